"""perfxl never writes over an input, nor over a file it did not write without --force (issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED, sha256
from perfxl.batch.inputs import is_candidate
from perfxl.pipeline import FillOptions, output_generation, output_paths
from perfxl.mark.provenance import written_by_perfxl


def _corrected(output: Path) -> None:
    """What a user does to an output: open it, correct a cell, save (here with openpyxl)."""
    wb = openpyxl.load_workbook(output)
    wb.worksheets[0]["B3"] = "改过的主管部门"
    wb.save(output)


def test_naming_rule_numbers_generations_and_never_names_the_input():
    options = FillOptions()
    cases = {
        "表.xlsx": ("表_自评结果.xlsx", "表_自评报告.docx"),
        "表_自评结果.xlsx": ("表_自评结果(2).xlsx", "表_自评报告(2).docx"),
        "表_自评结果(2).xlsx": ("表_自评结果(3).xlsx", "表_自评报告(3).docx"),
        "表_自评结果 (2).xlsm": ("表_自评结果(3).xlsm", "表_自评报告(3).docx"),
        "表_自评结果（4）.xls": ("表_自评结果(5).xlsx", "表_自评报告(5).docx"),
        "二期_自评结果_附表.xlsx": ("二期_自评结果_附表_自评结果.xlsx", "二期_自评结果_附表_自评报告.docx"),
    }
    for name, (workbook, report) in cases.items():
        path = Path("/x") / name
        got_workbook, got_reports = output_paths(path, options)
        assert (got_workbook.name, got_reports[0].name) == (workbook, report), name
        assert got_workbook != path
    assert output_generation("表_自评结果(12)") == ("表", 12)
    _, reports = output_paths(Path("/x/表_自评结果.xlsx"), options, ["甲", "乙"])
    assert [p.name for p in reports] == ["表_甲_自评报告(2).docx", "表_乙_自评报告(2).docx"]
    assert not is_candidate(Path("表_自评结果(2).xlsx")) and not is_candidate(Path("表_自评结果.xlsx"))
    assert not is_candidate(Path("表_自评报告.xlsx")) and is_candidate(Path("表.xlsx"))
    assert output_paths(Path("/x/表_自评报告.xlsx"), options)[0].name == "表_自评报告_自评结果.xlsx"  # only 自评结果 is a generation


def test_filling_outputs_again_and_again(seed_form, run_cli):
    folder = seed_form.parent
    stem = seed_form.stem
    assert run_cli("fill", seed_form).exit_code == 1
    first = folder / f"{stem}_自评结果.xlsx"
    assert first.exists() and (folder / f"{stem}_自评报告.docx").exists()
    # the common case: the same form filled twice just works, replacing perfxl's own outputs
    again = run_cli("fill", seed_form)
    assert again.exit_code == 1, again.stderr
    _corrected(first)
    before = sha256(first)
    second = run_cli("fill", first)
    assert second.exit_code == 1, second.stderr
    assert sha256(first) == before  # the file being read is never written
    assert (folder / f"{stem}_自评结果(2).xlsx").exists() and (folder / f"{stem}_自评报告(2).docx").exists()
    third = run_cli("fill", folder / f"{stem}_自评结果(2).xlsx")
    assert third.exit_code == 1, third.stderr
    assert (folder / f"{stem}_自评结果(3).xlsx").exists()
    assert not list(folder.glob("*_自评结果_自评结果*"))
    filled = openpyxl.load_workbook(folder / f"{stem}_自评结果(2).xlsx").worksheets[0]
    assert filled["B3"].value == "改过的主管部门"


def test_glob_over_a_folder_with_outputs_never_overwrites_an_input(tmp_path, run_cli):
    """`perfxl fill *.xlsx` as a shell expands it: the corrected b_自评结果.xlsx is an input too."""
    form = Path(shutil.copy(SEED, tmp_path / "b.xlsx"))
    assert run_cli("fill", form, "--no-report").exit_code == 1
    corrected = tmp_path / "b_自评结果.xlsx"
    _corrected(corrected)
    before = sha256(corrected), sha256(form)
    inputs = sorted(tmp_path.glob("*.xlsx"))
    assert [p.name for p in inputs] == ["b.xlsx", "b_自评结果.xlsx"]
    for jobs in ("1", "2"):
        result = run_cli("fill", *inputs, "--jobs", jobs)
        assert result.exit_code == 2
        assert "b_自评结果.xlsx 也是本次要处理的输入文件" in result.stderr
        assert (sha256(corrected), sha256(form)) == before
        assert (tmp_path / "b_自评结果(2).xlsx").exists()  # the corrected output is itself filled
        assert openpyxl.load_workbook(tmp_path / "b_自评结果(2).xlsx").worksheets[0]["B3"].value == "改过的主管部门"
        assert (tmp_path / "汇总.xlsx").exists()


def test_summary_given_as_an_input_is_not_overwritten(tmp_path, run_cli):
    """A 汇总.xlsx named among the inputs (a shell's ``*.xlsx``): perfxl's own is passed over with one
    line and refreshed like any output of a re-run; one perfxl did not write is an input, never written over."""
    form = Path(shutil.copy(SEED, tmp_path / "a.xlsx"))
    other = Path(shutil.copy(SEED, tmp_path / "c.xlsx"))
    assert run_cli("fill", form, other, "--no-report").exit_code == 1
    summary = tmp_path / "汇总.xlsx"
    result = run_cli("fill", form, other, summary, "--no-report")
    assert result.exit_code == 1, result.stderr
    assert "已跳过 perfxl 写出的 1 个文件（汇总表 1 份）" in result.stderr and "共 2 份" in result.stdout
    foreign = openpyxl.Workbook()
    foreign.active["A1"] = "财政局自己的汇总"
    foreign.save(summary)
    before = sha256(summary)
    result = run_cli("fill", form, other, summary, "--no-report")
    assert result.exit_code == 2
    assert "汇总.xlsx 是本次的输入文件之一" in result.stderr
    assert sha256(summary) == before


@pytest.mark.parametrize("kind", ["report", "workbook"])
def test_a_file_perfxl_did_not_write_needs_force(seed_form, run_cli, kind):
    import docx

    folder, stem = seed_form.parent, seed_form.stem
    if kind == "report":
        own = folder / f"{stem}_自评报告.docx"
        document = docx.Document()
        document.add_paragraph("单位自己写的自评报告")
        document.save(own)
    else:
        own = folder / f"{stem}_自评结果.xlsx"
        wb = openpyxl.Workbook()
        wb.active["A1"] = "别人的表"
        wb.save(own)
    before = sha256(own)
    refused = run_cli("fill", seed_form)
    assert refused.exit_code == 2
    assert f"输出文件 {own.name} 已存在，且不是 perfxl 写出的文件" in refused.stderr and "--force" in refused.stderr
    assert sha256(own) == before
    assert not (folder / f"{stem}_自评结果.xlsx").exists() or kind == "workbook"  # nothing half-written
    forced = run_cli("fill", seed_form, "--force")
    assert forced.exit_code == 1, forced.stderr
    assert sha256(own) != before and written_by_perfxl(own)
    assert run_cli("fill", seed_form).exit_code == 1  # now it is perfxl's: replaced without --force


def test_a_users_own_summary_needs_force(tmp_path, run_cli):
    folder = tmp_path / "收件"
    folder.mkdir()
    shutil.copy(SEED, folder / "一.xlsx")
    shutil.copy(SEED, folder / "二.xlsx")
    own = folder / "汇总.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "汇总"
    wb.active.append(["单位", "金额"])
    wb.save(own)
    before = sha256(own)
    result = run_cli("fill", folder, "--no-report", "--jobs", "1")
    assert result.exit_code == 2
    assert "汇总.xlsx 已存在，且不是 perfxl 写出的文件" in result.stderr
    assert sha256(own) == before and (folder / "一_自评结果.xlsx").exists()
    assert run_cli("fill", folder, "--no-report", "--jobs", "1", "--force").exit_code == 1
    assert written_by_perfxl(own)
    assert run_cli("fill", folder, "--no-report", "--jobs", "1").exit_code == 1


def test_template_never_replaces_an_existing_file_without_force(tmp_path, run_cli):
    filled = Path(shutil.copy(SEED, tmp_path / "我的已填表.xlsx"))
    before = sha256(filled)
    refused = run_cli("template", "-o", filled)
    assert refused.exit_code == 2
    assert "已存在" in refused.stderr and "--force" in refused.stderr
    assert sha256(filled) == before
    blank = tmp_path / "空白.xlsx"
    assert run_cli("template", "-o", blank).exit_code == 0
    same = run_cli("template", "-o", blank)  # the very same blank form: nothing to protect
    assert same.exit_code == 0 and "内容相同" in same.stdout
    forced = run_cli("template", "-o", filled, "--force")
    assert forced.exit_code == 0 and sha256(filled) == sha256(blank)


def test_outputs_carry_perfxl_marks_and_forms_do_not(seed_form, tmp_path, run_cli):
    import docx

    other = Path(shutil.copy(SEED, tmp_path / "另一份.xlsx"))
    assert run_cli("fill", seed_form, other, "--jobs", "1").exit_code == 1
    folder, stem = seed_form.parent, seed_form.stem
    workbook, report, summary = folder / f"{stem}_自评结果.xlsx", folder / f"{stem}_自评报告.docx", folder / "汇总.xlsx"
    assert written_by_perfxl(workbook) and written_by_perfxl(report) and written_by_perfxl(summary)
    assert not written_by_perfxl(seed_form)
    # the marks survive the user's own editing and saving
    _corrected(workbook)
    document = docx.Document(report)
    document.add_paragraph("补充的内容")
    document.save(report)
    assert written_by_perfxl(workbook) and written_by_perfxl(report)
    # a form whose own sheet is called 校验结果 is not mistaken for an output
    wb = openpyxl.load_workbook(seed_form)
    wb.create_sheet("校验结果")["A1"] = "单位自己的校验记录"
    wb.save(seed_form)
    assert not written_by_perfxl(seed_form)
    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    (tmp_path / "坏.xlsx").write_bytes(b"nope")
    assert not written_by_perfxl(plain) and not written_by_perfxl(tmp_path / "坏.xlsx")


@pytest.mark.office
def test_marks_survive_a_save_by_libreoffice(seed_form, tmp_path, run_cli):
    """Saved again by another program (shared strings instead of inline ones), an output is still perfxl's."""
    from perfxl.read.office import convert_with_office

    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    assert run_cli("fill", seed_form, "--no-report").exit_code == 1
    output = seed_form.parent / f"{seed_form.stem}_自评结果.xlsx"
    resaved = convert_with_office(output, "xlsx", tmp_path / "另存")
    assert resaved is not None
    import zipfile

    with zipfile.ZipFile(resaved) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    assert written_by_perfxl(resaved)
    assert not written_by_perfxl(convert_with_office(seed_form, "xlsx", tmp_path / "原表"))


def test_watch_keeps_files_it_did_not_write_unless_forced(tmp_path):
    from perfxl.batch.watch import OUTPUT_FOLDER, Watcher

    inbox = tmp_path / "收件"
    (inbox / OUTPUT_FOLDER).mkdir(parents=True)
    shutil.copy(SEED, inbox / "表.xlsx")
    own = inbox / OUTPUT_FOLDER / "汇总.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["单位自己的汇总"])
    wb.save(own)
    before = sha256(own)
    problems = []
    watcher = Watcher(inbox, FillOptions(report=False), stable_seconds=0, on_summary=lambda target, error: problems.append(error))
    watcher.poll(now=0)
    [record] = watcher.poll(now=1)
    assert record.status == "有错误"  # the form itself was filled
    assert sha256(own) == before and problems and "不是 perfxl 写出的文件" in problems[-1].message
    forced = Watcher(inbox, FillOptions(report=False, force=True), stable_seconds=0)
    forced.poll(now=0)
    forced.poll(now=1)
    forced.poll(now=2)
    assert written_by_perfxl(own)
