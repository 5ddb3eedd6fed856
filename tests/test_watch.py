"""Drop-folder mode: files that land in a folder are processed once, when they are whole."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, SEED

from perfxl.batch import FillOptions
from perfxl.watch import OUTPUT_FOLDER, Watcher

NO_REPORT = FillOptions(report=False)


def _summary(folder: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(folder / OUTPUT_FOLDER / "汇总.xlsx").active
    return [(row[0].value, row[11].value) for row in ws.iter_rows(min_row=2)]


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_slow_copy_is_processed_once_and_lock_file_ignored(tmp_path):
    """A form written in chunks, pausing longer than the stability time mid-copy, is taken once, whole."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=0.2, give_up_seconds=15)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), kwargs={"poll_interval": 0.05, "max_seconds": 40}, daemon=True)
    thread.start()
    try:
        (inbox / "~$表.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file appears first
        data = CLEAN.read_bytes()
        chunks = [data[i:i + len(data) // 4 + 1] for i in range(0, len(data), len(data) // 4 + 1)]
        with (inbox / "表.xlsx").open("wb") as handle:
            for index, chunk in enumerate(chunks):
                handle.write(chunk)
                handle.flush()
                # a stall longer than stable_seconds: size is stable but the zip is incomplete
                time.sleep(0.8 if index == 1 else 0.1)
                assert watcher.processed == 0, "a partial file was processed"
        assert _wait_for(lambda: watcher.processed == 1 and (inbox / OUTPUT_FOLDER / "汇总.xlsx").exists(), 20)
        time.sleep(0.6)  # several more polls: nothing is processed twice
        assert watcher.processed == 1
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert (inbox / OUTPUT_FOLDER / "表_自评结果.xlsx").exists()
    assert _summary(inbox) == [("表.xlsx", "通过")]
    assert list(watcher.records) == [inbox / "表.xlsx"]


def test_polls_decide_stability_content_changes_and_removals(tmp_path):
    """Driven poll by poll with a fake clock: no sleeping, every decision visible."""
    inbox = tmp_path / "收件"
    inbox.mkdir()
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0, give_up_seconds=10.0)
    form = inbox / "表.xlsx"
    form.write_bytes(CLEAN.read_bytes()[:3000])  # a copy in progress
    assert watcher.poll(now=0) == [] and watcher.poll(now=5) == []  # stable size, but it does not open
    form.write_bytes(CLEAN.read_bytes())
    assert watcher.poll(now=6) == []  # changed: seen afresh
    assert watcher.poll(now=6.5) == []  # not yet stable
    [record] = watcher.poll(now=7.1)
    assert record.status == "通过" and watcher.processed == 1
    assert watcher.poll(now=20) == []

    os.utime(form, (time.time() + 5, time.time() + 5))  # touched, same content: not again
    watcher.poll(now=21)
    assert watcher.poll(now=23) == [] and watcher.processed == 1

    shutil.copy(SEED, form)  # new content under the same name: processed again
    watcher.poll(now=24)
    [record] = watcher.poll(now=26)
    assert record.status == "有错误" and watcher.processed == 2
    assert _summary(inbox) == [("表.xlsx", "有错误")]

    (inbox / "坏.xlsx").write_bytes(b"not a workbook")  # plainly no workbook: reported as soon as it is stable
    watcher.poll(now=30)
    [record] = watcher.poll(now=31.5)
    assert record.error_code == "not-a-spreadsheet"
    assert _summary(inbox) == [("坏.xlsx", record.status + "：" + record.error_message), ("表.xlsx", "有错误")]
    (inbox / "坏.xlsx").write_bytes(CLEAN.read_bytes()[:5000])  # a zip cut short: waited for, then given up on
    watcher.poll(now=32)
    assert watcher.poll(now=35) == [] and watcher.poll(now=41.9) == []
    [record] = watcher.poll(now=42.1)
    assert record.error_code == "corrupt"

    form.unlink()  # a removed form leaves 汇总
    watcher.poll(now=43)
    assert [name for name, _ in _summary(inbox)] == ["坏.xlsx"]


def test_restart_does_not_refill_what_is_already_done(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "表.xlsx")
    first = Watcher(inbox, NO_REPORT, stable_seconds=0)
    first.poll(now=0)
    assert len(first.poll(now=1)) == 1
    output = inbox / OUTPUT_FOLDER / "表_自评结果.xlsx"
    stamp = output.stat().st_mtime_ns
    (inbox / OUTPUT_FOLDER / "汇总.xlsx").unlink()

    second = Watcher(inbox, NO_REPORT, stable_seconds=0)
    second.poll(now=0)
    [record] = second.poll(now=1)
    assert record.status == "通过" and record.outputs == [output]
    assert output.stat().st_mtime_ns == stamp  # read for 汇总, not written again
    assert _summary(inbox) == [("表.xlsx", "通过")]


def test_watch_command_stops_cleanly_on_ctrl_c(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "perfxl", "watch", str(inbox), "--interval", "0.1", "--no-report", "--max-seconds", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    try:
        assert "正在监视" in proc.stdout.readline().decode("utf-8")
        shutil.copy(CLEAN, inbox / "表.xlsx")
        (inbox / "~$表.xlsx").write_bytes(b"\x00" * 165)
        assert _wait_for(lambda: (inbox / OUTPUT_FOLDER / "汇总.xlsx").exists(), 30)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = stdout.decode("utf-8")
    assert proc.returncode == 0, stderr.decode("utf-8")
    assert "表.xlsx［自评表］：总分 99.36（优），通过" in text
    assert "已停止监视，本次共处理 1 份自评表。" in text
    assert "~$" not in text and "Traceback" not in stderr.decode("utf-8")


def test_watch_refuses_a_missing_folder(tmp_path, run_cli):
    result = run_cli("watch", tmp_path / "没有这个文件夹")
    assert result.exit_code == 2 and "找不到文件夹" in result.stderr


@pytest.mark.parametrize("use_events", [True, False])
def test_run_is_bounded_and_works_with_or_without_events(tmp_path, use_events):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "表.xlsx")
    stop = threading.Event()
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=0.1, on_record=lambda record: stop.set())
    started = time.monotonic()
    watcher.run(stop, poll_interval=0.05, max_seconds=10, use_events=use_events)
    assert time.monotonic() - started < 10
    assert watcher.processed == 1 and stop.is_set()
    watcher.run(poll_interval=0.05, max_seconds=0.3, use_events=use_events)  # max_seconds bounds it too
    assert watcher.processed == 1
