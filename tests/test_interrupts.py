"""SIGTERM, Ctrl-C and a full disk: no temporary file anywhere, one clean Chinese line (issue 13)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SEED, sha256
from helpers import FailingWrites

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")

NOISE = ("Traceback", "Exception ignored", "Warning", "leaked")


def _batch(tmp_path: Path, count: int = 24) -> Path:
    folder = tmp_path / "收件"
    folder.mkdir()
    for index in range(count):
        shutil.copy(SEED, folder / f"表{index:02d}.xlsx")
    return folder


def _env(temp: Path) -> dict:
    temp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}


def _debris(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.name.startswith((".~perfxl", "perfxl-", "openpyxl.", "tmp")) or path.suffix == ".tmp":
                found.append(str(path))
    return found


@pytest.mark.parametrize("how", ["term-1", "term-2", "term-group-2", "term-group-auto", "int-group-1"])
def test_a_signal_mid_run_leaves_no_temporary_files(tmp_path, how):
    kind, *rest = how.split("-")
    jobs = [] if rest[-1] == "auto" else ["--jobs", rest[-1]]
    folder, out, temp = _batch(tmp_path), tmp_path / "结果", tmp_path / "临时"
    # SIGINT back to its default in the child: a test run started in the background ignores it, and a
    # child inherits that (a program rightly leaves an ignored Ctrl-C ignored).
    process = subprocess.Popen([sys.executable, "-m", "perfxl", "fill", str(folder), "-o", str(out), *jobs],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(temp), start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out.is_dir() and any(out.glob("*_自评结果.xlsx"))):
        time.sleep(0.005)
    time.sleep(0.05)  # well inside the next files
    number = signal.SIGTERM if kind == "term" else signal.SIGINT
    if "group" in rest:  # as a service stop or Ctrl-C in a terminal: every process of the run
        os.killpg(process.pid, number)
    else:  # as `kill` or `timeout`: the main process only
        process.send_signal(number)
    stdout, stderr = process.communicate(timeout=120)
    text = stderr.decode("utf-8")
    assert process.returncode == (143 if kind == "term" else 130), text
    assert text.rstrip().endswith("已终止。" if kind == "term" else "已中断。")
    assert not any(word in text for word in NOISE), text
    assert _debris(out, temp) == []
    assert not list(temp.iterdir())
    written = sorted(out.glob("*_自评结果.xlsx"))
    assert 0 < len(written) < 24  # stopped mid-run
    import openpyxl

    for path in written:  # what was written is whole
        openpyxl.load_workbook(path).close()


def _disk_full_run(tmp_path: Path, full: Path, out: Path, temp: Path):
    """Fill `full` (a tiny tmpfs) until a few KB are left, then run perfxl on one form."""
    filler = full / "占位.bin"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 1024)
        except OSError:
            pass
        handle.truncate(max(filler.stat().st_size - 6 * 1024, 0))
    form = Path(shutil.copy(SEED, tmp_path / "表.xlsx"))
    before = sha256(form)
    done = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(form), "-o", str(out)],
                          capture_output=True, env=_env(temp), timeout=120)
    assert sha256(form) == before
    return done


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "小盘"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.mark.parametrize("where", ["output", "temp"])
def test_a_full_disk_is_one_chinese_line_and_leaves_nothing(tmp_path, tiny_disk, where):
    out = tiny_disk if where == "output" else tmp_path / "结果"
    temp = tiny_disk if where == "temp" else tmp_path / "临时"
    done = _disk_full_run(tmp_path, tiny_disk, out, temp)
    text = done.stderr.decode("utf-8")
    # A full output folder always stops the write; a full temporary folder only where the
    # writer needs one (openpyxl's save does, patching the package in memory does not).
    assert done.returncode == 2 if where == "output" else done.returncode in (1, 2), text
    if done.returncode == 2:
        assert "磁盘空间不足" in text and "表_自评" in text, text
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1 and "无法处理" in lines[0], text
    assert not any(word in text for word in NOISE), text
    assert _debris(out, temp) == []
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["占位.bin"]


_INJECT = """
import errno, sys, zipfile
sys.path.insert(0, sys.argv.pop(1))
from helpers import FailingWrites
zipfile.io = FailingWrites(lambda: OSError(errno.ENOSPC, "No space left on device"))
sys.argv = ["perfxl", *sys.argv[1:]]
from perfxl.cli.main import main
main()
"""


def test_injected_disk_full_while_saving(tmp_path):
    """ENOSPC in the middle of writing the output's zip: half written, and (openpyxl's save) a worksheet temp file exists."""
    form = Path(shutil.copy(SEED, tmp_path / "表.xlsx"))
    out, temp = tmp_path / "结果", tmp_path / "临时"
    done = subprocess.run([sys.executable, "-c", _INJECT, str(Path(__file__).parent), "fill", str(form), "-o", str(out), "--jobs", "1"],
                          capture_output=True, env=_env(temp), timeout=120)
    text = done.stderr.decode("utf-8")
    assert done.returncode == 2, text
    assert "无法写入 表_自评结果.xlsx：磁盘空间不足" in text
    assert not any(word in text for word in NOISE), text
    assert _debris(out, temp) == [] and not list(temp.iterdir())
    assert not (out / "表_自评结果.xlsx").exists()


def test_an_interrupt_while_writing_removes_the_temporary_file(seed_form, monkeypatch):
    """In the library too: Ctrl-C (or SIGTERM, raised the same way) inside a save leaves no .~perfxl file."""
    import zipfile

    from perfxl.pipeline import fill_path, FillOptions
    from perfxl.batch.lifecycle import Terminated

    monkeypatch.setattr(zipfile, "io", FailingWrites(Terminated))
    with pytest.raises(Terminated):
        fill_path(seed_form, FillOptions(report=False))
    assert [p.name for p in seed_form.parent.iterdir()] == [seed_form.name]


def test_a_signal_inside_a_library_call_stops_the_run_not_reported_as_a_bug(seed_form, monkeypatch):
    """SIGTERM arriving while a C function runs surfaces as SystemError(cause=Terminated): the run stops."""
    from perfxl.batch.lifecycle import Terminated
    from perfxl.pipeline import check_path, internal_error

    def stopped(*args, **kwargs):
        try:
            raise Terminated()
        except Terminated as signal_:
            raise SystemError("<built-in function isinstance> returned a result with an exception set") from signal_

    monkeypatch.setattr("perfxl.read.reader.read_forms", stopped)
    with pytest.raises(Terminated):
        check_path(seed_form)
    assert internal_error(seed_form, ValueError("a bug")).code == "internal-error"  # a real bug is still one


def test_write_error_messages():
    from perfxl.atomic import _write_error

    full = _write_error(Path("/x/表_自评结果.xlsx"), OSError(errno.ENOSPC, "No space left on device"))
    assert "表_自评结果.xlsx" in full.message and "磁盘空间不足" in full.message


def test_a_normal_run_leaves_its_temporary_folder_removed(tmp_path):
    form = Path(shutil.copy(SEED, tmp_path / "表.xlsx"))
    temp = tmp_path / "临时"
    done = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(form)], capture_output=True, env=_env(temp), timeout=120)
    assert done.returncode == 1, done.stderr.decode("utf-8")
    assert not list(temp.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["表.xlsx", "表_自评结果.xlsx", "表_自评报告.docx", "临时"])


@pytest.mark.office
def test_a_signal_during_an_xls_conversion_stops_libreoffice_too(tmp_path):
    """LibreOffice converting .xls in the background is stopped at once, with nothing left behind."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    folder, out, temp = tmp_path / "收件", tmp_path / "结果", tmp_path / "临时"
    folder.mkdir()
    for index in range(3):
        shutil.copy(ROOT / "tests" / "data" / "seed.xls", folder / f"表{index}.xls")
    process = subprocess.Popen([sys.executable, "-m", "perfxl", "fill", str(folder), "-o", str(out), "--jobs", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(temp))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(temp.rglob("perfxl-lo-*")):
        time.sleep(0.01)  # LibreOffice has started
    time.sleep(0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr.decode("utf-8")
    assert time.monotonic() - started < 5  # not after LibreOffice has finished its work
    assert not any(word in stderr.decode("utf-8") for word in NOISE)
    time.sleep(0.5)
    running = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout.splitlines()
    assert not [line for line in running if str(temp) in line and not line.startswith("Z")]
    assert not list(temp.iterdir()) and not (out.exists() and _debris(out))


def test_private_tempdir_is_used_and_given_back(tmp_path, monkeypatch):
    import tempfile

    from perfxl.batch import lifecycle

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = lifecycle.use_private_tempdir()
    try:
        assert Path(folder).parent == tmp_path and Path(folder).name.startswith("perfxl-run-")
        assert tempfile.gettempdir() == folder and os.environ["TMPDIR"] == folder
        Path(tempfile.mkstemp()[1]).write_text("openpyxl leftovers")
    finally:
        lifecycle.remove_private_tempdir()
    assert not Path(folder).exists() and list(tmp_path.iterdir()) == []
    assert tempfile.gettempdir() == str(tmp_path) and os.environ["TMPDIR"] == str(tmp_path)


def test_an_interrupt_while_the_temporary_output_is_made_leaves_nothing(tmp_path, monkeypatch):
    """The signal can land just after the file exists and before its name is known to the writer
    (tempfile.mkstemp has that window): the name is chosen first, so it is still removed."""
    from perfxl.atomic import atomic_path

    real_open = os.open

    def open_then_interrupted(path, flags, *args, **kwargs):
        os.close(real_open(path, flags, *args, **kwargs))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "表_自评结果.xlsx"):
            pass
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_second_signal_does_not_cut_a_workers_cleanup_short(monkeypatch):
    """The first signal stops the file through its cleanup (finally blocks remove the temporary
    output); a second one arriving meanwhile (a parent's terminate, a group kill) must not raise
    inside that cleanup."""
    from perfxl.batch import lifecycle

    monkeypatch.setattr(lifecycle, "_busy", True)
    monkeypatch.setattr(lifecycle, "_stop", False)
    with pytest.raises(lifecycle.Terminated):
        lifecycle._worker_signal(signal.SIGTERM, None)
    assert lifecycle._worker_signal(signal.SIGINT, None) is None
