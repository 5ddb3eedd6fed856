"""Outputs: never a formula from form text, clear messages when the output cannot be written."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import openpyxl

from conftest import SEED, sha256, spec_copy

INJECTIONS = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)"]


def _no_formula_from_form(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                assert "HYPERLINK(&quot;http://x" not in xml and "<f>HYPERLINK" not in xml, name
                assert "<f>SUM(A1)" not in xml and "<f>1+1" not in xml, name


def test_formula_injection_stays_text_in_every_output(clean_spec, make_form, tmp_path, run_cli):
    spec = spec_copy(clean_spec)
    spec.project = INJECTIONS[0]
    spec.department = INJECTIONS[1]
    spec.blocks[0][0].level3 = INJECTIONS[2]
    spec.blocks[0][1].actual = INJECTIONS[3]
    spec.blocks[0][1].score = 8  # a finding whose message quotes the injected text
    form = make_form(spec, "注入.xlsx")
    second = Path(shutil.copy(form, tmp_path / "注入2.xlsx"))
    out = tmp_path / "out"
    result = run_cli("fill", form, second, "-o", out, "--jobs", "1")
    assert result.exit_code in (0, 1), result.stderr
    filled = out / "注入_自评结果.xlsx"
    summary = out / "汇总.xlsx"
    for path in (filled, summary):
        _no_formula_from_form(path)
    wb = openpyxl.load_workbook(filled)
    assert wb["自评表"]["B2"].value == INJECTIONS[0]
    assert wb["自评表"]["B2"].data_type == "s"
    summary_values = [c.value for row in openpyxl.load_workbook(summary).active.iter_rows() for c in row]
    assert INJECTIONS[0] in summary_values
    import docx

    text = "\n".join(p.text for p in docx.Document(out / "注入_自评报告.docx").paragraphs)
    assert INJECTIONS[0] in text  # shown literally in the report


def test_output_folder_that_is_a_file(seed_form, tmp_path, run_cli):
    blocker = tmp_path / "结果"
    blocker.write_text("x")
    result = run_cli("fill", seed_form, "-o", blocker)
    assert result.exit_code == 2
    assert "不是文件夹" in result.stderr


def test_output_locked_elsewhere_is_reported_and_batch_goes_on(tmp_path, monkeypatch, run_cli):
    folder = tmp_path / "收到 的 自评表"
    folder.mkdir()
    first = Path(shutil.copy(SEED, folder / "甲 单位.xlsx"))
    second = Path(shutil.copy(SEED, folder / "乙 单位.xlsx"))
    before = sha256(first), sha256(second)
    real_replace = os.replace

    def locked(src, dst, *args, **kwargs):
        if "甲 单位_自评结果" in str(dst):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", locked)
    result = run_cli("fill", folder, "--jobs", "1")
    assert result.exit_code == 2
    assert "请先在 Excel/WPS 中关闭该文件" in result.stderr
    assert (folder / "乙 单位_自评结果.xlsx").exists()
    assert not (folder / "甲 单位_自评结果.xlsx").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".~perfxl")]  # no temp files left
    assert (sha256(first), sha256(second)) == before


def test_chinese_path_with_spaces(tmp_path, run_cli):
    folder = tmp_path / "财政 局" / "2020 年 自评"
    folder.mkdir(parents=True)
    form = Path(shutil.copy(SEED, folder / "智慧 大脑 自评表.xlsx"))
    result = run_cli("fill", form)
    assert result.exit_code == 1
    assert (folder / "智慧 大脑 自评表_自评结果.xlsx").exists()
    assert (folder / "智慧 大脑 自评表_自评报告.docx").exists()


def test_outputs_get_ordinary_permissions(seed_form, tmp_path, run_cli):
    out = tmp_path / "out"
    run_cli("fill", seed_form, "-o", out)
    old = os.umask(0o022)
    os.umask(old)
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~old, path


def test_a_full_disk_after_the_workbook_says_what_was_written(seed_form, tmp_path, monkeypatch, run_cli):
    """The disk fills up while the report is written: the complete 自评结果.xlsx stands and is named,
    the report is said to be missing — not the whole file as 无法处理 (issue 22, item 6)."""
    import errno

    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if str(dst).endswith(".docx"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    result = run_cli("fill", seed_form, "-o", tmp_path / "out")
    assert result.exit_code == 2
    workbook = tmp_path / "out" / f"{seed_form.stem}_自评结果.xlsx"
    assert workbook.exists() and openpyxl.load_workbook(workbook)
    assert f"已写出：{workbook}" in result.stdout and "总分 102（待定）" in result.stdout
    assert "其余结果未能写出" in result.stderr and "无法处理" not in result.stderr + result.stdout
    assert not list((tmp_path / "out").glob("*.docx")) and not list((tmp_path / "out").glob(".~perfxl*"))
