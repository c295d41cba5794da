"""One light module per command: its argparse parser and the flags its errors name. They
import argparse and the light parts of approx only, so that `approx --help` and usage errors
never load torch; the command itself (`approx.cli.<command>`) is imported when it runs."""
