"""The report's files are written atomically (the full report runs in tests/test_plots.py)."""

import os

import matplotlib.pyplot as plt
import pytest

from bayesreg.cli import report


def test_figure_is_written_whole_with_umask_mode(tmp_path):
    previous = os.umask(0o027)
    try:
        fig, axis = plt.subplots()
        axis.plot([0, 1], [1, 0])
        report.save_figure(fig, tmp_path / "line.png")
    finally:
        os.umask(previous)
    assert (tmp_path / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.stat(tmp_path / "line.png").st_mode & 0o777 == 0o640
    assert not plt.fignum_exists(fig.number)


def test_a_failing_figure_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "line.png"
    path.write_bytes(b"old figure")
    fig, _ = plt.subplots()

    def fail(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(fig, "savefig", fail)
    with pytest.raises(RuntimeError, match="renderer failed"):
        report.save_figure(fig, path)
    assert path.read_bytes() == b"old figure"
    assert os.listdir(tmp_path) == ["line.png"]
    assert not plt.fignum_exists(fig.number)
