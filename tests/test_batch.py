"""Folders of forms: batch fill, 汇总.xlsx, parallel workers, progress output."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, ROOT, SEED, spec_copy

from perfxl.batch.plan import Job, plan_batch
from perfxl.batch.pool import run_batch
from perfxl.batch.records import FileRecord
from perfxl.pipeline import FillOptions
from perfxl.write.formbuilder import build_workbook
from perfxl.batch.summary import COLUMNS

DANGEROUS_NAME = "=HYPERLINK(\"http://example.com\",\"点我\")"
HAS_REPORT = (ROOT / "perfxl" / "report.py").exists()


def _mixed_folder(folder: Path, clean_spec) -> Path:
    """Good, erroneous and broken files, plus files a scan must skip."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CLEAN, folder / "a_无误.xlsx")
    shutil.copy(SEED, folder / "b_有错误.xlsx")
    spec = spec_copy(clean_spec)
    spec.project = DANGEROUS_NAME
    build_workbook(spec).save(folder / "c_公式名.xlsx")
    (folder / "d_不是压缩包.xlsx").write_bytes(b"this is not a workbook at all\r\n")
    (folder / "e_空文件.xlsx").write_bytes(b"")
    import docx

    docx.Document().save(folder / "f_其实是Word.xlsx")
    # to be skipped: a lock file, a hidden file, our own outputs, a file of another type
    (folder / "~$a_无误.xlsx").write_bytes(b"\x00" * 165)
    shutil.copy(CLEAN, folder / ".隐藏.xlsx")
    shutil.copy(CLEAN, folder / "旧_自评结果.xlsx")
    (folder / "说明.txt").write_text("不是自评表", encoding="utf-8")
    return folder


EXPECTED_STATUS = {
    "a_无误.xlsx": "通过",
    "b_有错误.xlsx": "有错误",
    "c_公式名.xlsx": "通过",
    "d_不是压缩包.xlsx": "无法读取：",
    "e_空文件.xlsx": "无法读取：",
    "f_其实是Word.xlsx": "无法读取：",
}


def _summary_rows(path: Path) -> list[dict]:
    """The form rows of 汇总 (up to the 合计 row), keyed by header (line breaks in headers removed)."""
    from itertools import takewhile

    ws = openpyxl.load_workbook(path).active
    header = [c.value.replace("\n", "") for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    return list(takewhile(lambda row: not str(row["文件"]).startswith("合计"), rows))


def _fill_args(*extra):
    return ("fill", *extra) if HAS_REPORT else ("fill", *extra, "--no-report")


def test_folder_fill_writes_outputs_and_summary(tmp_path, clean_spec, run_cli):
    folder = _mixed_folder(tmp_path / "收件", clean_spec)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "结果"
    result = run_cli(*_fill_args(folder, "-o", out, "--jobs", "1"))

    assert result.exit_code == 2
    # the bad files are named with their reason, the batch went on past them
    assert "d_不是压缩包.xlsx：无法处理" in result.stderr and "不是 Excel 工作簿" in result.stderr
    assert "e_空文件.xlsx：无法处理" in result.stderr and "空文件" in result.stderr
    assert "f_其实是Word.xlsx：无法处理" in result.stderr and "Word" in result.stderr
    assert "共 6 份：通过 2 份，有错误 1 份，无法读取 3 份" in result.stdout
    assert "~$" not in result.stdout + result.stderr and "隐藏" not in result.stdout + result.stderr
    # inputs untouched
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    produced = sorted(p.name for p in out.iterdir())
    expected = ["a_无误_自评结果.xlsx", "b_有错误_自评结果.xlsx", "c_公式名_自评结果.xlsx", "汇总.xlsx"]
    if HAS_REPORT:
        expected += ["a_无误_自评报告.docx", "b_有错误_自评报告.docx", "c_公式名_自评报告.docx"]
    assert produced == sorted(expected)

    rows = _summary_rows(out / "汇总.xlsx")
    assert [r["文件"] for r in rows] == list(EXPECTED_STATUS)
    for row in rows:
        assert row["状态"].startswith(EXPECTED_STATUS[row["文件"]]), row
    clean, seed = rows[0], rows[1]
    assert (clean["项目名称"], clean["主管部门"]) == ("老旧小区改造项目", "示例市住房和城乡建设局")
    assert (clean["全年预算数（万元）"], clean["全年执行数（万元）"], clean["执行率"]) == (1200, 1150, 0.9583)
    assert (clean["总分（填写）"], clean["总分（重算）"], clean["等级"], clean["错误数"], clean["警告数"]) == (99.36, 99.36, "优", 0, 0)
    assert (seed["总分（填写）"], seed["总分（重算）"], seed["错误数"]) == (92, 102, 4)
    assert seed["警告数"] > 0
    assert "Word" in rows[5]["状态"] and rows[5]["项目名称"] is None


def test_summary_workbook_layout_links_and_text_safety(tmp_path, clean_spec, run_cli):
    folder = _mixed_folder(tmp_path / "收件", clean_spec)
    out = tmp_path / "结果"
    run_cli(*_fill_args(folder, "-o", out, "--jobs", "1"))
    summary = out / "汇总.xlsx"
    ws = openpyxl.load_workbook(summary).active
    assert tuple(c.value.replace("\n", "") for c in ws[1]) == COLUMNS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:P{len(_summary_rows(summary)) + 1}"  # the 合计 row below the filter
    assert ws.column_dimensions["C"].width >= len("益阳智慧大脑+政务服务项目") + 8  # CJK counts double
    assert ws["G2"].number_format == "0.00%"

    # a project name starting with "=" is stored as text, not as a formula
    name_cell = ws["C4"]
    assert name_cell.value == DANGEROUS_NAME and name_cell.data_type == "s"
    with zipfile.ZipFile(summary) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml

    # every link resolves, relative to the summary, to a file that exists
    links = {}
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.hyperlink is not None:
                target = (out / cell.hyperlink.target).resolve()
                assert target.exists(), cell.hyperlink.target
                links.setdefault(row[0].value, []).append(target.name)
    assert links["a_无误.xlsx"][0] == "a_无误.xlsx"  # the input itself
    assert "a_无误_自评结果.xlsx" in links["a_无误.xlsx"]
    if HAS_REPORT:
        assert "a_无误_自评报告.docx" in links["a_无误.xlsx"]
    assert links["d_不是压缩包.xlsx"] == ["d_不是压缩包.xlsx"]  # no outputs for a broken file


def _workbook_values(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, [[c.value for c in row] for row in ws.iter_rows()]) for ws in wb.worksheets]


def test_parallel_run_gives_the_same_results_as_sequential(tmp_path, clean_spec, run_cli):
    folder = _mixed_folder(tmp_path / "收件", clean_spec)
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"结果{jobs}"
        result = run_cli(*_fill_args(folder, "-o", out, "--jobs", jobs))
        assert result.exit_code == 2
        stdout = re.sub(r"用时 [^。]+。", "", result.stdout).replace(str(out), "OUT")
        runs[jobs] = (out, stdout, result.stderr.count("无法处理"))
    (out1, stdout1, bad1), (out2, stdout2, bad2) = runs["1"], runs["2"]
    assert stdout1 == stdout2 and bad1 == bad2 == 3
    assert sorted(p.name for p in out1.iterdir()) == sorted(p.name for p in out2.iterdir())
    assert _workbook_values(out1 / "汇总.xlsx") == _workbook_values(out2 / "汇总.xlsx")
    for filled in out1.glob("*_自评结果.xlsx"):
        assert _workbook_values(filled) == _workbook_values(out2 / filled.name), filled.name


def test_a_cold_pool_matches_jobs_1(tmp_path, clean_spec):
    """A fresh `perfxl fill folder --jobs 2` (a pool of two spawned workers: a small folder alone would be
    filled in one process by default) and `--jobs 1` agree."""
    folder = _mixed_folder(tmp_path / "收件", clean_spec)
    runs = {}
    for name, extra in (("default", ("--jobs", "2")), ("one", ("--jobs", "1"))):
        out = tmp_path / f"结果{name}"
        done = subprocess.run([sys.executable, "-m", "perfxl", *_fill_args(folder, "-o", out, *extra)],
                              capture_output=True, timeout=300)
        assert done.returncode == 2, done.stderr.decode("utf-8", "replace")
        stdout = re.sub(r"用时 [^。]+。", "", done.stdout.decode("utf-8")).replace(str(out), "OUT")
        runs[name] = (out, stdout, done.stderr.decode("utf-8").count("无法处理"))
    (out1, stdout1, bad1), (out2, stdout2, bad2) = runs["default"], runs["one"]
    assert stdout1 == stdout2 and bad1 == bad2 == 3 and "总分 102（待定）" in stdout1
    assert sorted(p.name for p in out1.iterdir()) == sorted(p.name for p in out2.iterdir())
    assert _workbook_values(out1 / "汇总.xlsx") == _workbook_values(out2 / "汇总.xlsx")
    for filled in out1.glob("*_自评结果.xlsx"):
        assert _workbook_values(filled) == _workbook_values(out2 / filled.name), filled.name


def test_plain_progress_lines_when_not_a_terminal(tmp_path, run_cli):
    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "一.xlsx")
    shutil.copy(CLEAN, folder / "二.xlsx")
    result = run_cli("fill", folder, "--no-report", "--jobs", "1")
    assert result.exit_code == 0
    assert "[1/2] 一.xlsx：通过" in result.stderr and "[2/2] 二.xlsx：通过" in result.stderr
    assert "共 2 份：通过 2 份，有错误 0 份，无法读取 0 份；用时" in result.stdout
    # no -o: outputs beside the inputs, 汇总.xlsx in the folder; a second run skips them all
    assert (folder / "汇总.xlsx").exists() and (folder / "一_自评结果.xlsx").exists()
    again = run_cli("fill", folder, "--no-report", "--jobs", "1")
    assert "共 2 份" in again.stdout


def test_single_file_gets_no_summary_and_no_progress(tmp_path, run_cli):
    form = Path(shutil.copy(CLEAN, tmp_path / "表.xlsx"))
    result = run_cli("fill", form, "--no-report")
    assert result.exit_code == 0
    assert not (tmp_path / "汇总.xlsx").exists()
    assert "[1/1]" not in result.stderr and "共 1 份" not in result.stdout
    assert "已写出" in result.stdout


def test_recursive_mirrors_subfolders_in_output(tmp_path, run_cli):
    folder = tmp_path / "收件"
    for sub in ("城区", "郊区"):
        (folder / sub).mkdir(parents=True)
        shutil.copy(CLEAN, folder / sub / "表.xlsx")
    out = tmp_path / "结果"
    assert "没有找到" in run_cli("fill", folder, "-o", out, "--no-report").stderr  # not recursive: nothing
    result = run_cli("fill", folder, "-o", out, "--no-report", "--recursive", "--jobs", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (out / "城区" / "表_自评结果.xlsx").exists() and (out / "郊区" / "表_自评结果.xlsx").exists()
    assert [r["文件"] for r in _summary_rows(out / "汇总.xlsx")] == ["城区/表.xlsx", "郊区/表.xlsx"]


def test_two_inputs_with_the_same_output_name_do_not_overwrite_each_other(tmp_path):
    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "seed.xls", folder / "表.xls")
    shutil.copy(CLEAN, folder / "表.xlsx")
    plan = plan_batch([folder], FillOptions(output_dir=tmp_path / "结果", report=False))
    assert [job.label for job in plan.jobs] == ["表.xls", "表.xlsx"]
    records = run_batch(plan.jobs)
    assert records[0].error_code is None
    assert records[1].error_code == "output-conflict" and "改名" in records[1].error_message


def _boom(job: Job) -> FileRecord:
    """A per-file step that crashes on one file (module level, so spawned workers can import it)."""
    if "坏" in job.path.name:
        raise ValueError("模拟的程序错误")
    return FileRecord(job.path, job.label)


def test_a_crash_in_one_file_does_not_stop_the_batch(tmp_path):
    jobs = [Job(tmp_path / name, FillOptions(), name) for name in ("1.xlsx", "2坏.xlsx", "3.xlsx")]
    for workers in (1, 2):
        seen = []
        records = run_batch(jobs, workers, on_record=lambda index, record: seen.append(index), process=_boom)
        assert [r.label for r in records] == ["1.xlsx", "2坏.xlsx", "3.xlsx"]
        assert [r.exit_code for r in records] == [0, 2, 0]
        assert records[1].error_code == "internal-error" and "ValueError" in records[1].error_message
        assert sorted(seen) == [0, 1, 2]


def test_rich_progress_uses_only_gbk_characters():
    import io

    from perfxl.cli.progress import BatchProgress

    class GbkBuffer(io.StringIO):
        encoding = "gbk"

    stream = GbkBuffer()
    with BatchProgress(3, stream=stream, terminal=True) as progress:
        assert progress.terminal
        for name in ("甲.xlsx", "乙乙乙乙乙乙乙乙乙乙乙乙乙乙乙乙乙乙.xlsx", "丙.xlsx"):
            progress.advance(name, "通过")
            progress._progress.refresh()
    text = stream.getvalue()
    assert "\x1b[" in text and "3/3" in text
    text.encode("gbk")  # raises if a glyph a Chinese Windows console cannot show slipped in


def test_gbk_console_batch_subprocess(tmp_path, clean_spec):
    """A Chinese Windows console: GBK streams, a terminal for rich; nothing may be replaced or crash."""
    folder = _mixed_folder(tmp_path / "收件", clean_spec)
    env = dict(os.environ, PYTHONIOENCODING="gbk", TTY_COMPATIBLE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "perfxl", "fill", str(folder), "-o", str(tmp_path / "结果"), "--no-report", "--jobs", "2"],
        capture_output=True, env=env, timeout=120,
    )
    assert proc.returncode == 2
    stdout, stderr = proc.stdout.decode("gbk"), proc.stderr.decode("gbk")
    assert "共 6 份：通过 2 份，有错误 1 份，无法读取 3 份" in stdout
    assert "6/6" in stderr and "\x1b[" in stderr  # the rich bar was drawn
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stdout + stderr)
    assert "?" not in plain  # nothing had to be replaced
    assert "Traceback" not in stderr


def test_a_pending_conversion_that_failed_is_none(tmp_path):
    from concurrent.futures import Future

    from perfxl.batch.plan import PendingConversion

    done, failed = Future(), Future()
    done.set_result({tmp_path / "甲.xls": tmp_path / "甲.xlsx"})
    failed.set_exception(OSError("soffice crashed"))
    assert PendingConversion(done, tmp_path / "甲.xls").result() == tmp_path / "甲.xlsx"
    assert PendingConversion(done, tmp_path / "乙.xls").result() is None  # not converted: converted one by one later
    assert PendingConversion(failed, tmp_path / "甲.xls").result() is None


def test_only_small_runs_convert_xls_in_the_background(tmp_path, monkeypatch, run_cli):
    """A long run converts its .xls before it starts, so LibreOffice's memory never adds to perfxl's peak."""
    from perfxl.batch import plan as batch

    seen = []
    real = batch.preconvert_xls

    def recording(jobs, background=False):
        seen.append((len(jobs), background))
        return real(jobs, background)

    monkeypatch.setattr(batch, "preconvert_xls", recording)
    folder = tmp_path / "收件"
    folder.mkdir()
    for count in (batch.BACKGROUND_XLS_JOBS, batch.BACKGROUND_XLS_JOBS + 1):
        for index in range(count):
            shutil.copy(CLEAN, folder / f"{index:02d}.xlsx")
        run_cli("fill", folder, "-o", tmp_path / f"out{count}", "--no-report", "--jobs", "1")
    assert seen == [(batch.BACKGROUND_XLS_JOBS, True), (batch.BACKGROUND_XLS_JOBS + 1, False)]


def test_a_failed_write_is_counted_and_shown_as_unwritable(tmp_path, monkeypatch, run_cli):
    """The form was read; its result could not be written: 无法写入 (not 无法读取) in the lines, the tally and 汇总."""
    from perfxl import atomic as writeutil

    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "甲.xlsx")
    shutil.copy(CLEAN, folder / "乙.xlsx")
    real_replace = os.replace

    def no_space(src, dst, *args, **kwargs):
        if Path(dst).name == "乙_自评结果.xlsx":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(writeutil.os, "replace", no_space)
    out = tmp_path / "结果"
    result = run_cli("fill", folder, "-o", out, "--no-report", "--jobs", "1")
    assert result.exit_code == 2
    assert "[1/2] 乙.xlsx：无法写入" in result.stderr
    assert "乙.xlsx：无法处理 —— 无法写入 乙_自评结果.xlsx：磁盘空间不足" in result.stderr
    assert "No space" not in result.stderr
    assert "共 2 份：通过 1 份，有错误 0 份，无法读取 0 份，无法写入 1 份；用时" in result.stdout
    rows = _summary_rows(out / "汇总.xlsx")
    assert [r["状态"].split("：")[0] for r in rows] == ["无法写入", "通过"]


@pytest.mark.parametrize("name", ["ENOENT", "EACCES", "ENOSPC", "EROFS", "ENAMETOOLONG", "EISDIR", "ENOTDIR", "EEXIST", "EBUSY",
                                  "ETXTBSY", "EMFILE", "EIO", "ECHILD"])
def test_system_errors_are_told_in_chinese(tmp_path, monkeypatch, name):
    from perfxl import atomic as writeutil
    from perfxl.model import FormError

    number = getattr(errno, name)

    def failing(src, dst, *args, **kwargs):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(writeutil.os, "replace", failing)
    with pytest.raises(FormError) as caught:
        writeutil.write_bytes_atomic(tmp_path / "表_自评结果.xlsx", b"data")
    message = caught.value.message
    assert message.startswith("无法写入 表_自评结果.xlsx：") and message.endswith(f"（输出文件夹：{tmp_path}）。")
    rest = message.removeprefix("无法写入 表_自评结果.xlsx：").replace(str(tmp_path), "").replace("系统错误（ECHILD）", "")  # one not in the table: its code
    assert os.strerror(number) not in message and not re.search(r"[A-Za-z]{4,}", rest.replace("Excel", "").replace("jobs", "")), message
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~perfxl")]


def test_a_newline_in_a_file_name_does_not_split_a_line(tmp_path, run_cli):
    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "甲\n乙.xlsx")
    (folder / "坏\r\n\x1b[2J.xlsx").write_bytes(b"not a workbook")
    result = run_cli("fill", folder, "-o", tmp_path / "结果", "--no-report", "--jobs", "1")
    lines = (result.stdout + result.stderr).splitlines()
    assert any(line.startswith("甲\\n乙.xlsx［自评表］：总分 99.36") for line in lines), lines
    assert any(line.startswith("坏\\r\\n\\x1b[2J.xlsx：无法处理 —— 坏\\r\\n\\x1b[2J.xlsx 不是 Excel 工作簿") for line in lines), lines
    assert "\x1b" not in result.stdout + result.stderr
    assert not [line for line in lines if line.startswith(("乙.xlsx", ".xlsx", "[2J"))]
    checked = run_cli("check", folder)
    lines = (checked.stdout + checked.stderr).splitlines()
    assert "甲\\n乙.xlsx（工作表：自评表；项目支出绩效自评表）" in lines and not [line for line in lines if line.startswith("乙.xlsx")]


def test_nothing_found_names_the_folder_and_points_at_recursive(tmp_path, run_cli):
    folder = tmp_path / "收件"
    (folder / "城区").mkdir(parents=True)
    (folder / "郊区").mkdir()
    for command in ("check", "fill"):
        result = run_cli(command, folder)
        assert result.exit_code == 2
        assert f"文件夹 {folder} 中没有找到" in result.stderr and "--recursive" not in result.stderr
    shutil.copy(CLEAN, folder / "城区" / "表.xlsx")
    shutil.copy(CLEAN, folder / "郊区" / "表.xlsx")
    for command in ("check", "fill"):
        result = run_cli(command, folder)
        assert result.exit_code == 2
        assert f"文件夹 {folder} 中没有找到" in result.stderr
        assert "子文件夹中有 2 份" in result.stderr and f"perfxl {command} {folder} --recursive" in result.stderr


def test_a_file_that_cannot_be_read_is_told_in_chinese(tmp_path, monkeypatch):
    from perfxl.pipeline import check_path

    form = Path(shutil.copy(CLEAN, tmp_path / "表.xlsx"))
    real_open = Path.open

    def failing(self, *args, **kwargs):
        if self == form:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing)
    outcome = check_path(form)
    assert outcome.error.code == "unreadable"
    assert outcome.error.message == "无法读取 表.xlsx：磁盘读写出错。请确认文件完整后重试。"


# ---------------------------------------------------------------- perfxl's own files among the inputs


def _filled_folder(tmp_path: Path, run_cli) -> tuple[Path, Path]:
    """收件/ with two forms, and 结果/ with what `perfxl fill 收件/ -o 结果/` wrote (results, reports, 汇总)."""
    inbox, out = tmp_path / "收件", tmp_path / "结果"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "甲 项目.xlsx")
    shutil.copy(SEED, inbox / "乙.xlsx")
    assert run_cli("fill", inbox, "-o", out).exit_code == 1
    return inbox, out


def test_a_shell_glob_with_our_own_files_skips_them_in_one_line(tmp_path, run_cli):
    """`perfxl check 结果/*` as bash expands it: 汇总.xlsx and the reports are no forms and no 无法读取;
    the corrected results named one by one are checked."""
    _, out = _filled_folder(tmp_path, run_cli)
    files = sorted(str(path) for path in out.iterdir())
    assert len(files) == 5
    result = run_cli("check", *files)
    assert result.exit_code == 1, result.stderr  # the seed's errors; nothing unreadable (2)
    assert "共 2 份：通过 1 份，有错误 1 份，无法读取 0 份" in result.stdout
    [line] = [line for line in result.stderr.splitlines() if "已跳过" in line]
    assert line == "已跳过 perfxl 写出的 3 个文件（自评报告 2 份，汇总表 1 份），它们不是收到的自评表。"
    # a 汇总.xlsx perfxl did not write is read like any file named directly
    foreign = tmp_path / "其他" / "汇总.xlsx"
    foreign.parent.mkdir()
    foreign.write_bytes(b"not a workbook")
    assert run_cli("check", foreign).exit_code == 2


def test_a_folder_of_outputs_says_what_they_are_and_how_to_check_one(tmp_path, run_cli):
    _, out = _filled_folder(tmp_path, run_cli)
    result = run_cli("fill", out)
    assert result.exit_code == 2
    skipped, failed = [line for line in result.stderr.splitlines() if line]
    example = out / "乙_自评结果.xlsx"
    assert skipped == (f"已跳过 perfxl 写出的 5 个文件（自评结果 2 份，自评报告 2 份，汇总表 1 份），它们不是收到的自评表。"
                       f"要重新校验改正过的自评结果，请直接指定该文件，例如：perfxl fill \"{example}\"（或 \"{out / '*_自评结果*'}\"）。")
    assert failed == f"错误：文件夹 {out} 中没有收到的自评表，只有 perfxl 写出的文件（见上一行）。"
    assert not (out / "甲 项目_自评结果(2).xlsx").exists()
    # both ways the line suggests work (the glob as cmd.exe / PowerShell pass it, unexpanded)
    checked = run_cli("check", str(out / "*_自评结果*"))
    assert "共 2 份：通过 1 份，有错误 1 份" in checked.stdout and "已跳过" not in checked.stderr
    assert run_cli("check", example).exit_code == 1


def test_every_worker_warm_up_imports_real_modules():
    """The warm-up is plain imports (no module names as strings): a renamed module fails here, not
    silently in a worker. Run in a fresh interpreter, so the imports are the warm-up's own."""
    import subprocess
    import sys

    code = ("import sys; from perfxl.pipeline import warm_fill; from perfxl.show.render import warm_check; from perfxl.web.engine import warm_web\n"
            "warm_check(); assert {'perfxl.checks.rules', 'perfxl.read.reader'} <= set(sys.modules) and 'perfxl.write.patch' not in sys.modules\n"
            "warm_fill(); assert {'perfxl.write.patch', 'perfxl.report.document', 'perfxl.read.reader'} <= set(sys.modules)\n"
            "warm_web(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
