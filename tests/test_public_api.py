"""The public API: every name `approx` exports resolves to the object of its layer, and the
README's Python example runs as written."""

import importlib
import re
from pathlib import Path

import approx

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_exported_name_resolves_to_its_module_object():
    for name in approx.__all__:
        if name == "__version__":
            continue
        value = getattr(approx, name)
        module = importlib.import_module(approx._PUBLIC[name])
        assert value is getattr(module, name)


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has a Python example"
    code = blocks[0].replace("seed=0)", "seed=0, empirical_samples=64, ascent_steps=2)")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    r = namespace["r"]
    assert r.certified_error >= r.empirical_error >= 0
