"""A run owns its output folder (tb/jobs/run_folder.py): an earlier run's files are gone
before it starts, Ctrl-C leaves a result that says "complete": false with how far it got, and a
second run into the same folder waits for the first."""

from __future__ import annotations

import fcntl
import json
import threading
import time

import pytest

from tb.jobs import progress, run_folder


def test_stale_outputs_are_removed_and_other_files_kept(tmp_path):
    for name in ("summary.json", "link.pcap", "timeline.png", "notes.txt"):
        (tmp_path / name).write_text("old")
    with run_folder.owned(tmp_path, ("summary.json", "link.pcap", "timeline.png"), "summary.json", 3):
        assert not (tmp_path / "link.pcap").exists() and not (tmp_path / "timeline.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "old"     # not a file a run writes: kept


def test_ctrl_c_marks_the_result_incomplete_with_the_images_done(tmp_path, capsys):
    with pytest.raises(run_folder.Interrupted) as exc:
        with run_folder.owned(tmp_path, ("summary.json",), "summary.json", 20):
            progress.report(tmp_path / "progress.json", 7, 20, 123)
            raise KeyboardInterrupt
    assert exc.value.code == 130
    result = json.loads((tmp_path / "summary.json").read_text())
    assert result["complete"] is False and result["error"] == "interrupted: 7 of 20 images done"
    err = capsys.readouterr().err
    assert "interrupted: 7 of 20 images done" in err and "Traceback" not in err


def test_a_second_run_waits_for_the_first(tmp_path, capsys):
    lock = open(tmp_path / ".run.lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.write("pid 4242")
    lock.flush()
    entered = threading.Event()

    def second():
        with run_folder.owned(tmp_path, (), "summary.json", 1):
            entered.set()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.3)
    assert not entered.is_set()          # still held by the first run
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    t.join(5)
    assert entered.is_set()
    assert "is in use by pid 4242" in capsys.readouterr().err
