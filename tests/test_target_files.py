"""Target files are data, never code: a crafted pickle is refused before anything in it runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from approx.basics.errors import InvalidArgument
from approx.basics.files import write_files_atomic, write_text_atomic
from approx.basics.loading import load_network


class _WritesAFile:
    """A pickle payload: unpickling it calls `os.system`, which creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _CustomNet(nn.Module):
    """A module class no construction knows: refused even though it is harmless."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2, bias=False)


@pytest.fixture
def malicious_target(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "evil.pt"
    torch.save([torch.eye(2), _WritesAFile(marker)], path)
    return path, marker


def test_malicious_pickle_is_refused_without_side_effects(malicious_target):
    path, marker = malicious_target
    with pytest.raises(InvalidArgument, match=r"target=.*weights_only=True"):
        load_network(path)
    assert not marker.exists()


def test_malicious_pickle_through_the_command_line(malicious_target):
    path, marker = malicious_target
    proc = subprocess.run(
        [sys.executable, "-m", "approx.cli", "run", "--target", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert not marker.exists()
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_unknown_module_class_is_refused(tmp_path):
    torch.save(_CustomNet(), tmp_path / "custom.pt")
    with pytest.raises(InvalidArgument, match="could not be read safely"):
        load_network(tmp_path / "custom.pt")


def test_pickled_sequential_still_loads(tmp_path):
    seq = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 2, bias=False))
    torch.save(seq, tmp_path / "seq.pt")
    net = load_network(tmp_path / "seq.pt")
    assert torch.equal(net.weights[0], seq[0].weight.detach().double())


def test_atomic_writes_leave_only_the_file_with_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "r.md", "report\n")
        write_files_atomic(tmp_path / "out", {"a.txt": lambda p: p.write_text("a")})
    finally:
        os.umask(umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "r.md"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.txt"]
    assert (tmp_path / "r.md").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "out" / "a.txt").stat().st_mode & 0o777 == 0o644
