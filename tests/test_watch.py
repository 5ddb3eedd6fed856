"""Drop-folder mode: files that land in a folder are processed once, when they are whole."""

from __future__ import annotations

import contextlib
import os
import re
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

from perfxl.pipeline import FillOptions
from perfxl.batch import watch as watch_module
from perfxl.batch.watch import OUTPUT_FOLDER, Watcher

NO_REPORT = FillOptions(report=False)


def _summary(folder: Path) -> list[tuple]:
    return [(line["文件"], line["状态"]) for line in _summary_lines(folder)]


@contextlib.contextmanager
def _watching(inbox: Path, *extra: str):
    """``perfxl watch inbox`` in a child process, killed on the way out if it is still running."""
    # SIGINT back to its default in the child: a background test run ignores it, and a child inherits that.
    interruptible = {"preexec_fn": lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)} if os.name == "posix" else {}
    proc = subprocess.Popen(
        [sys.executable, "-m", "perfxl", "watch", str(inbox), "--interval", "0.1", *extra, "--max-seconds", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONIOENCODING="utf-8"), **interruptible,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _ctrl_c(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Press Ctrl-C; what the process printed from then on (stdout, stderr)."""
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=timeout)
    return stdout.decode("utf-8"), stderr.decode("utf-8")


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
    with _watching(inbox, "--no-report") as proc:
        assert "正在监视" in proc.stdout.readline().decode("utf-8")
        shutil.copy(CLEAN, inbox / "表.xlsx")
        (inbox / "~$表.xlsx").write_bytes(b"\x00" * 165)
        assert _wait_for(lambda: (inbox / OUTPUT_FOLDER / "汇总.xlsx").exists(), 30)
        text, stderr = _ctrl_c(proc, 20)
    assert proc.returncode == 0, stderr
    assert "表.xlsx［自评表］：总分 99.36（优），通过" in text
    assert "已停止监视，本次共处理 1 份自评表。" in text
    assert "~$" not in text and "Traceback" not in stderr


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


def _stored_copy(target: Path, old: str = "", new: str = "") -> Path:
    """CLEAN repacked without compression, ``old`` replaced by ``new`` (of the same UTF-8 length): same size, other content."""
    import zipfile

    def entities(text: str) -> bytes:  # how the sample's sheet stores its text
        return "".join(f"&#{ord(ch)};" for ch in text).encode()

    assert len(entities(old)) == len(entities(new))
    with zipfile.ZipFile(CLEAN) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info.filename, data.replace(entities(old), entities(new)) if old else data, zipfile.ZIP_STORED)
    return target


def _summary_projects(folder: Path) -> list:
    return [line["项目名称"] for line in _summary_lines(folder)]


def _summary_lines(folder: Path) -> list[dict]:
    """The form lines of 汇总 (up to the 合计 line), keyed by header."""
    from itertools import takewhile

    ws = openpyxl.load_workbook(folder / OUTPUT_FOLDER / "汇总.xlsx").active
    header = [cell.value for cell in ws[1]]
    rows = ws.iter_rows(min_row=2, values_only=True)
    return [dict(zip(header, row)) for row in takewhile(lambda row: not str(row[0]).startswith("合计"), rows)]


@pytest.mark.parametrize("how", ["cp -p", "rsync -t"])
def test_a_replacement_with_the_same_size_and_mtime_is_noticed(tmp_path, how):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    form = _stored_copy(inbox / "表.xlsx")
    replacement = _stored_copy(tmp_path / "新.xlsx", "老旧小区", "新建小区")
    assert replacement.stat().st_size == form.stat().st_size and replacement.read_bytes() != form.read_bytes()
    stamp = form.stat().st_mtime_ns
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0)
    watcher.poll(now=0)
    [record] = watcher.poll(now=1.5)
    assert record.forms[0].project == "老旧小区改造项目"
    time.sleep(0.02)  # a later ctime
    if how == "cp -p":  # rewritten in place, times copied from the source
        form.write_bytes(replacement.read_bytes())
    else:  # a new file renamed over the old one, times copied
        temp = inbox / ".表.xlsx.tmp"
        shutil.copy(replacement, temp)
        os.replace(temp, form)
    os.utime(form, ns=(stamp, stamp))
    assert (form.stat().st_size, form.stat().st_mtime_ns) == (replacement.stat().st_size, stamp)
    watcher.poll(now=2)
    [record] = watcher.poll(now=3.5)
    assert record.forms[0].project == "新建小区改造项目" and watcher.processed == 2
    assert _summary_projects(inbox) == ["新建小区改造项目"]


def test_a_file_that_cannot_be_read_yet_is_announced_at_once_and_decided_in_time(tmp_path, monkeypatch):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    waiting, records = [], []
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0, give_up_seconds=30.0, on_waiting=waiting.append, on_record=records.append)
    form = inbox / "表.xlsx"
    data = CLEAN.read_bytes()
    form.write_bytes(data[:4000])  # a copy under way
    assert watcher.poll(now=0) == [] and waiting == [form]  # said at the first sight, not after the stability time
    for now in (0.5, 1.5, 5, 20):
        assert watcher.poll(now=now) == []
    assert waiting == [form]  # said once
    form.write_bytes(data)  # the copy completes
    watcher.poll(now=21)
    [record] = watcher.poll(now=22.5)
    assert record.status == "通过" and waiting == [form]

    # a file the copying program still holds exclusively (Windows): waited for, decided within give_up_seconds
    held = inbox / "乙.xlsx"
    held.write_bytes(data)
    real = watch_module._sha256
    monkeypatch.setattr(watch_module, "_sha256", lambda path: (_ for _ in ()).throw(PermissionError(13, "locked")) if path == held else real(path))
    watcher.poll(now=40)
    assert watcher.poll(now=41.5) == [] and waiting == [form, held]
    assert watcher.poll(now=69.9) == []
    [record] = watcher.poll(now=70.1)
    assert record.label == "乙.xlsx"
    assert len(records) == 2

    # plainly no workbook (a renamed text file): reported once it is stable, not after 30 s
    (inbox / "丙.xlsx").write_text("这不是表格", encoding="utf-8")
    watcher.poll(now=80)
    [record] = watcher.poll(now=81.1)
    assert record.error_code == "not-a-spreadsheet" and record.status == "无法读取"
    assert len(waiting) == 2


def test_unwritable_outputs_are_retried_quietly_and_the_summary_warning_is_said_once(tmp_path, monkeypatch):
    """Excel holds the output (and 汇总.xlsx) open: said once, retried, written when Excel lets go."""
    from perfxl import atomic as writeutil

    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "表.xlsx")
    locked = {"表_自评结果.xlsx", "汇总.xlsx"}
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name in locked:
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(writeutil.os, "replace", replace)
    records, summaries = [], []
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0, retry_seconds=5.0, on_record=records.append,
                      on_summary=lambda target, error: summaries.append(error.message if error else target))
    watcher.poll(now=0)
    [record] = watcher.poll(now=1.5)
    assert record.status == "无法写入" and record.error_code == "write-failed"
    assert "请先在 Excel/WPS 中关闭该文件" in record.error_message and "Permission" not in record.error_message
    assert len(summaries) == 1 and "汇总.xlsx" in summaries[0]
    for now in (2, 3, 6.6, 7, 12, 20):  # retried every 5 s, nothing said again
        watcher.poll(now=now)
    assert len(records) == 1 and len(summaries) == 1
    assert not (inbox / OUTPUT_FOLDER / "表_自评结果.xlsx").exists()

    locked.clear()  # Excel closed the files
    watcher.poll(now=30)
    assert [r.status for r in records] == ["无法写入", "通过"]
    assert (inbox / OUTPUT_FOLDER / "表_自评结果.xlsx").exists()
    assert summaries[-1] == inbox / OUTPUT_FOLDER / "汇总.xlsx" and _summary(inbox) == [("表.xlsx", "通过")]
    assert watcher.processed == 1
    watcher.poll(now=40)
    assert len(records) == 2  # done: not retried any more


def test_a_restart_says_the_results_are_current_and_counts_nothing(tmp_path, run_cli):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "表.xlsx")
    first = run_cli("watch", inbox, "--no-report", "--interval", "0.1", "--max-seconds", "2.5")
    assert "已写出" in first.stdout and "本次共处理 1 份自评表。" in first.stdout, first.stdout + first.stderr
    output = inbox / OUTPUT_FOLDER / "表_自评结果.xlsx"
    stamp = output.stat().st_mtime_ns
    second = run_cli("watch", inbox, "--no-report", "--interval", "0.1", "--max-seconds", "2.5")
    assert second.exit_code == 0
    assert "表.xlsx［自评表］：总分 99.36（优），通过" in second.stdout
    assert "已写出" not in second.stdout and "结果已是最新" in second.stdout
    assert "本次共处理 0 份自评表；另有 1 份的结果已是最新，未重写。" in second.stdout
    assert output.stat().st_mtime_ns == stamp


def test_watch_wants_a_folder_not_a_file(tmp_path, run_cli):
    form = Path(shutil.copy(CLEAN, tmp_path / "表.xlsx"))
    result = run_cli("watch", form)
    assert result.exit_code == 2
    assert "需要一个文件夹" in result.stderr and "找不到文件夹" not in result.stderr
    assert f"perfxl fill {form}" in result.stderr


def test_ctrl_c_in_a_burst_leaves_an_up_to_date_summary(tmp_path):
    inbox = tmp_path / "收件"
    inbox.mkdir()
    for index in range(8):
        shutil.copy(SEED if index % 2 else CLEAN, inbox / f"{index}.xlsx")
    lines = []
    with _watching(inbox) as proc:
        while True:
            line = proc.stdout.readline().decode("utf-8")
            assert line, proc.stderr.read().decode("utf-8")
            lines.append(line)
            if "已写出" in line:
                break  # the burst is under way: stop it
        stdout, stderr = _ctrl_c(proc, 60)
    text = "".join(lines) + stdout
    assert proc.returncode == 0, stderr
    done = sorted(set(re.findall(r"\] (\d\.xlsx)［", text)))
    assert 1 <= len(done) < 8, text  # stopped in the middle
    assert sorted(name for name, _ in _summary(inbox)) == done, text
    assert f"本次共处理 {len(done)} 份自评表" in text


def test_an_overwrite_that_keeps_size_times_and_file_number_is_found_by_its_content(tmp_path, monkeypatch):
    """Where an overwrite in place can keep every stat field (Windows), handled files are hashed again now and then."""
    monkeypatch.setattr(watch_module, "_signature", lambda stat: (stat.st_size, stat.st_mtime_ns))  # what such a system shows
    inbox = tmp_path / "收件"
    inbox.mkdir()
    form = _stored_copy(inbox / "表.xlsx")
    stamp = form.stat().st_mtime_ns
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0, rehash_seconds=10.0)
    watcher.poll(now=0)
    [record] = watcher.poll(now=1.5)
    form.write_bytes(_stored_copy(tmp_path / "新.xlsx", "老旧小区", "新建小区").read_bytes())
    os.utime(form, ns=(stamp, stamp))
    assert watcher.poll(now=5) == []  # not yet looked at again
    assert watcher.poll(now=12) == []  # hashed: changed, seen afresh
    [record] = watcher.poll(now=13.5)
    assert record.forms[0].project == "新建小区改造项目" and watcher.processed == 2
    assert watcher.poll(now=30) == [] and watcher.poll(now=45) == []  # hashed again: unchanged
    assert watcher.processed == 2


def test_a_retry_that_fails_the_same_way_changes_nothing(tmp_path, monkeypatch):
    from perfxl import atomic as writeutil

    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "表.xlsx")
    real_replace = os.replace
    locked = True

    def replace(src, dst, *args, **kwargs):
        if locked and Path(dst).name == "表_自评结果.xlsx":
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(writeutil.os, "replace", replace)
    records, summaries = [], []
    watcher = Watcher(inbox, NO_REPORT, stable_seconds=1.0, retry_seconds=5.0, on_record=records.append,
                      on_summary=lambda target, error: summaries.append((target, error)))
    watcher.poll(now=0)
    watcher.poll(now=1.5)
    assert _summary(inbox)[0][1].startswith("无法写入：") and len(summaries) == 1
    for now in (7, 13, 19):
        watcher.poll(now=now)
    assert len(records) == 1 and len(summaries) == 1  # retried three times: neither said again nor 汇总 rewritten
    locked = False
    watcher.poll(now=25)
    assert [r.status for r in records] == ["无法写入", "通过"] and len(summaries) == 2
    assert _summary(inbox) == [("表.xlsx", "通过")]
