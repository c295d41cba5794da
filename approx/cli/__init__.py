"""The `approx` command: a thin argparse layer over the public API, one module per command.

Usage errors (bad arguments, files, targets that break a theorem's assumptions) print one line
`approx: error: …` on stderr and exit with status 2; the line names the command-line flag
where the library named the argument, with the value as the flag takes it (`ascent_steps=-1`
reads `--ascent-steps=-1`, `n=[29, 29, 25]` reads `--n=29,29,25`, `rescale=True` reads
`--rescale`), and advice only on the options the command has (`approx compare` has no
--eps). Ctrl-C prints one line and exits with status 130. Options the user does not give are
None, so the library's defaults (`approx.basics.defaults`) apply.

Start-up is cheap: each command's parser lives in a light module (`approx.cli.parsers.<name>`:
argparse and approx's light modules only), and the command itself (`approx.cli.<name>`, which
loads torch, numba, ...) is imported only when it runs, inside the handler of Ctrl-C. So
`approx --help` and usage errors never import torch.
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys

from .. import __version__
from ..basics.errors import InvalidArgument
from ..basics.threads import quiet_thread_pools
from .common import Parser

# command name -> module name, in the order --help lists them: approx.cli.parsers.<module>
# holds the command's options, approx.cli.<module> runs it (not bound here by name, so that
# `from approx.cli import run` is the command's module)
COMMANDS = {
    "run": "run",
    "search": "search",
    "sweep": "sweep",
    "plot": "plot",
    "report": "report",
    "tightness": "tightness",
    "check-proofs": "check_proofs",
    "export": "export",
    "compare": "compare",
}


def build_parser() -> Parser:
    parser = Parser(
        prog="approx",
        description="Numerical checks of the strong lottery ticket theorems.",
    )
    parser.add_argument("--version", action="version", version=f"approx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS.values():
        importlib.import_module(f"{__name__}.parsers.{module}").add_parser(sub)
    return parser


def implementation(name: str):
    """The module that runs command `name` (imported now: it loads torch and the rest)."""
    return importlib.import_module(f"{__name__}.{COMMANDS[name]}")


# a value as the library prints it: a list or tuple of numbers (`[29, 29, 25]`, `(4,)`), and a
# list of them (`[(4, 4), (8,)]`: the values of a repeatable flag)
_NUMBERS = r"[\[(][-+.\de]+(?:, [-+.\de]+)*,?[\])]"
_NESTED = rf"\[{_NUMBERS}(?:, {_NUMBERS})*,?\]"


def name_flags(message: str, flags: dict[str, str]) -> str:
    """`message` with each library argument `name=value` that has a flag written as the user
    writes the flag: `--flag=value`, a list of numbers comma-separated (`n=[29, 29, 25]` reads
    `--n=29,29,25`; a list of lists, the flag once per list), a switch without a value
    (`rescale=True` reads `--rescale`), an argument named without a value (`input_shape=`)
    as the flag alone, and the flag once where the library named it beside
    the argument (`density=0.1 (--density)`, `rescale=True / --rescale`)."""
    for name, flag in flags.items():
        arg = rf"(?<![\w.\-']){re.escape(name)}="
        message = re.sub(
            rf"{arg}({_NESTED}|{_NUMBERS})", lambda m, f=flag: _as_typed(f, m[1]), message
        )
        message = re.sub(arg + r"True\b", flag, message)
        message = re.sub(arg + r"(?=[\s,;:)]|$)", flag, message)  # `name=`: the argument
        message = re.sub(arg, f"{flag}=", message)
        twice = re.escape(flag)
        message = re.sub(rf"({twice}(?:=\S+)?) (?:\({twice}\)|/ {twice})(?![\w-])", r"\1", message)
    return message


def _as_typed(flag: str, value: str) -> str:
    """`flag` with a list `value` (`_NUMBERS` or `_NESTED`) as the command line takes it."""
    inner = value[1:-1]
    lists = (
        re.findall(r"[\[(]([^\[\]()]*)[\])]", inner) if re.fullmatch(_NESTED, value) else [inner]
    )
    return " ".join(f"{flag}={v.replace(' ', '').rstrip(',')}" for v in lists)


def _out_of_memory(e: BaseException) -> bool:
    torch = sys.modules.get("torch")  # not imported: not torch's error
    return (
        isinstance(e, MemoryError)
        or (torch is not None and isinstance(e, torch.OutOfMemoryError))
        or (isinstance(e, RuntimeError) and "can't allocate memory" in str(e))
    )


def _quick_exit() -> None:
    """Move every object to the collector's permanent generation (`gc.freeze`), so that the
    interpreter's exit does not traverse torch's hundreds of thousands of objects in a last
    collection: 0.5-0.8 s of every command that imported torch, ~0.1 s after. Only when the
    process ends right after (not when `main` is called with arguments, as tests and other
    programs do): frozen objects are never collected again. Output streams are still flushed
    and `atexit` handlers still run."""
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    """Run the command `argv` (None: this process's own command line) and return its exit
    status. As the process's own command it also spares the interpreter's exit a last full
    garbage collection (`_quick_exit`)."""
    if argv is None:
        code = main(sys.argv[1:])
        _quick_exit()
        return code
    argv = list(argv)
    quiet_thread_pools()  # before torch or numba load: they read it once
    if argv[:1] == ["check-proofs"]:
        return implementation("check-proofs").forward(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        # the import inside the try: Ctrl-C during seconds of imports is an interrupt too
        return implementation(args.command).command(args)
    except InvalidArgument as e:
        # read after the call: a command may drop its flags (a sweep file names TOML keys)
        flags = getattr(args, "flags", {})
        # one line, whatever the message held; advice only on the options this command has
        text = " ".join(e.for_options(flags or None).split())
        print(f"approx: error: {name_flags(text, flags)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"approx {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`approx run --json | head -c 100`): no traceback, and no second
        # error when Python flushes stdout at exit; 141 = 128 + SIGPIPE, as a shell reports it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:
        if not _out_of_memory(e):
            raise
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        print(
            f"approx: error: out of memory ({first[:200]}); the estimate missed"
            + _memory_advice(getattr(args, "flags", {})),
            file=sys.stderr,
        )
        return 2


def _memory_advice(flags: dict[str, str]) -> str:
    """What shrinks a command that ran out of memory, among the options it has."""
    lower = " or ".join(
        text for name, text in (("n", "--n"), ("widths", "the widths")) if name in flags
    )
    advice = [f"lower {lower}"] if lower else []
    if "max_memory_gib" in flags:
        advice.append("pass --max-memory")
    return ": " + ", or ".join(advice) if advice else ""
