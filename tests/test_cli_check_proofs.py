from approx.cli import main


def test_check_proofs_forwards_options(tmp_path, capsys):
    report = tmp_path / "report.md"
    assert main(["check-proofs", "--quick", "--report", str(report)]) == 0
    assert "PASS" in capsys.readouterr().out
    assert report.read_text().strip()
