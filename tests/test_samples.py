"""The committed samples and blank template are exactly what samples/make_samples.py builds."""

from __future__ import annotations

import openpyxl
import pytest

import make_samples
from conftest import ROOT


def _content(path):
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {c.coordinate: (c.value, c.number_format, c.font.name, c.font.sz, c.font.b, c.border.left.style)
                      for row in ws.iter_rows() for c in row if c.value is not None or c.border.left.style},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
        }
    return out


TEMPLATES = (make_samples.TEMPLATE_NAME, make_samples.DEPARTMENT_TEMPLATE_NAME)


@pytest.mark.parametrize("name", [make_samples.SEED_NAME, make_samples.CLEAN_NAME, make_samples.WITH_INFO_NAME,
                                  make_samples.DEPARTMENT_NAME, *TEMPLATES])
def test_committed_file_matches_generator(tmp_path, name):
    built = make_samples.build_all(tmp_path / "samples", tmp_path / "templates")
    fresh = next(p for p in built if p.name == name)
    committed = ROOT / ("templates" if name in TEMPLATES else "samples") / name
    assert committed.exists(), f"{committed} missing: run python samples/make_samples.py"
    assert _content(committed) == _content(fresh), f"{name} differs from make_samples.py: regenerate it"


def test_seed_is_faithful_to_the_published_form():
    wb = openpyxl.load_workbook(ROOT / "samples" / make_samples.SEED_NAME)
    ws = wb["自评表"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "年度\n指标值" in texts and "实际\n完成值" in texts
    assert "　92" in texts  # the published 总分 得分, full-width space and all
    assert sum(1 for t in texts if t == "绩\n效\n指\n标") == 2  # two 绩效指标 blocks
    assert "有待完善" in texts
    # the 可持续影响指标 row's 一级指标 cell holds only a full-width space
    row = next(c.row for c in ws["C"] if c.value == "可持续影响指标")
    assert ws.cell(row=row, column=2).value == "　"


def test_department_sample_is_read_as_a_department_form_with_its_mistake(run_cli):
    """The department sample: 80 % spent, printed as 100 % and scored 10/10, so its 总分 is 2 too high."""
    import json

    result = run_cli("check", ROOT / "samples" / make_samples.DEPARTMENT_NAME, "--format", "json")
    [doc] = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["form"]["kind"] == "department" and doc["form"]["unit"] == "某县农业农村局"
    assert sorted(f["code"] for f in doc["findings"] if f["severity"] == "error") == ["budget-score-mismatch", "rate-mismatch", "total-mismatch"]
    assert doc["form"]["total"]["score_computed"] == 98 and doc["form"]["grade"] == "优"


@pytest.mark.parametrize("department", [False, True])
def test_template_writes_each_kind_of_blank_form(tmp_path, run_cli, department):
    """`perfxl template` and `perfxl template --department`: a blank form perfxl reads as its kind, whose
    报告信息 rows are those that kind of report reads, each filled-in row reaching the report."""
    from docx import Document

    from perfxl.read.reader import read_form
    from perfxl.read.labels import DEPARTMENT_REPORT_INFO_ROWS, REPORT_INFO_ROWS
    from perfxl.report.document import write_report
    from perfxl.checks.rules import check

    args = ["template", "--department"] if department else ["template"]
    result = run_cli(*args, "-o", tmp_path / "空白.xlsx")
    assert result.exit_code == 0, result.stderr
    blank = tmp_path / "空白.xlsx"
    form = read_form(blank)
    assert form.kind == ("department" if department else "project")
    rows = DEPARTMENT_REPORT_INFO_ROWS if department else REPORT_INFO_ROWS
    wb = openpyxl.load_workbook(blank)
    sheet = wb["报告信息"]
    assert [(r[0], r[2]) for r in sheet.iter_rows(min_row=2, values_only=True)] == list(rows.items())
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 2, f"第{row}行的内容。")
    wb.save(blank)
    write_report(check(read_form(blank)), tmp_path / "报告.docx")
    text = "\n".join(p.text for p in Document(str(tmp_path / "报告.docx")).paragraphs)
    missing = [sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1) if f"第{row}行的内容" not in text]
    assert not missing and "“报告信息”工作表中填写" not in text
    # the default names say the kind
    default = run_cli(*args, "-o", tmp_path / "默认" / "x.xlsx")
    assert default.exit_code == 0
