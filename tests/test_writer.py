"""The filled workbook: derived cells, flagged cells, 校验结果, preservation, idempotence, atomic writes."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import PatternFill
import pytest
from conftest import sha256, spec_copy, visible_sheets
from helpers import decorated_form, rewrite_zip

from perfxl.mark import marks
from perfxl.write import writer
from perfxl.write import xlswriter
from perfxl.write.losses import inspect_package
from perfxl.mark.format import PERFXL_AUTHOR, parse_record, record_matches
from perfxl.read.reader import read_forms
from perfxl.checks.rules import check
from perfxl.read.workbook import open_book

OUT_SUFFIX = "_自评结果.xlsx"


def output_of(path: Path, folder: Path | None = None) -> Path:
    from perfxl.pipeline import FillOptions, output_paths

    return output_paths(path, FillOptions(output_dir=folder))[0]  # an output's output: 表_自评结果(2).xlsx


def fill(run_cli, path: Path, *extra) -> Path:
    result = run_cli("fill", path, "--no-report", *extra)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return output_of(path)


def findings_rows(ws) -> list[tuple]:
    """(严重程度, 代码, 单元格, 说明, hyperlink location) of every row under the table header."""
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "严重程度")
    rows = []
    for r in range(header + 1, ws.max_row + 1):
        link = ws.cell(r, 3).hyperlink
        rows.append(tuple(ws.cell(r, c).value for c in range(1, 5)) + (link.location if link else None,))
    return rows


def insert_before_end(xml: str, snippet: str, tag: str = "</worksheet>") -> str:
    return xml.replace(tag, snippet + tag)


# ---------------------------------------------------------------- the seed form


def test_seed_fill_total_comment_and_findings_sheet(run_cli, seed_form):
    result = run_cli("fill", seed_form, "--no-report")
    assert result.exit_code == 1
    out = output_of(seed_form)
    assert out.is_file() and str(out) in result.stdout
    wb = openpyxl.load_workbook(out)
    ws = wb["自评表"]
    total = ws["H25"]
    assert total.value == 102 and total.number_format == "0.00"
    assert total.comment.author == PERFXL_AUTHOR
    assert total.comment.text.startswith("原填写：92；按规则重新计算：102")
    assert total.fill.fgColor.rgb.endswith(marks.SEVERITY_FILL["error"])
    assert ws["G25"].value == 110 and ws["G25"].comment.text.startswith("原填写：100；")
    # A derived cell no finding names is left exactly as the form had it (check and fill agree).
    assert ws["H5"].value == 1 and ws["H5"].number_format == "0%" and ws["H5"].comment is None and ws["H5"].fill.fill_type is None
    assert ws["I5"].value == 10 and ws["I5"].number_format == "General" and ws["I5"].comment is None
    # Judgement cells: flagged, never changed.
    assert ws["H18"].value == 8 and "已完成" in ws["H18"].comment.text
    assert ws["H18"].fill.fgColor.rgb.endswith(marks.SEVERITY_FILL["warning"])

    [check_doc] = json.loads(run_cli("check", seed_form, "--format", "json").stdout)
    sheet = wb["校验结果"]
    assert visible_sheets(wb) == ["自评表", "校验结果"]
    header_text = " ".join(str(sheet.cell(r, 1).value) for r in range(1, 5))
    assert seed_form.name in header_text and "102" in header_text and "等级待定：分值合计 110 分，不是 100 分" in header_text
    rows = findings_rows(sheet)
    assert [(code, cell, message) for _, code, cell, message, _ in rows] == [
        (f["code"], f["cell"], f["message"]) for f in check_doc["findings"]
    ]
    assert all(link == f"'自评表'!{cell}" for _, _, cell, _, link in rows)
    assert {severity for severity, *_ in rows} == {"错误", "警告", "提示"}
    assert sheet.freeze_panes == f"A{sheet.max_row - len(rows) + 1}"
    assert sheet.column_dimensions["D"].width >= 60 and sheet.column_dimensions["B"].width >= len("deducted-but-complete")
    assert wb.calculation.fullCalcOnLoad is True


def test_input_never_modified_and_output_dir(run_cli, seed_form, tmp_path):
    before = sha256(seed_form)
    outdir = tmp_path / "结果"
    result = run_cli("fill", seed_form, "--no-report", "-o", outdir)
    assert result.exit_code == 1
    assert output_of(seed_form, outdir).is_file()
    assert not output_of(seed_form).exists()
    assert sha256(seed_form) == before
    assert sorted(p.name for p in seed_form.parent.iterdir() if p.is_file()) == [seed_form.name]


def test_clean_form_says_no_problem(run_cli, clean_form):
    out = fill(run_cli, clean_form)
    sheet = openpyxl.load_workbook(out)["校验结果"]
    rows = findings_rows(sheet)
    assert rows == [("未发现问题", None, None, None, None)]
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.comment is not None]


# ---------------------------------------------------------------- preservation


def _cells(ws) -> dict[str, tuple]:
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.__class__.__name__ == "MergedCell":
                continue
            out[c.coordinate] = (
                c.value, c.data_type, c.number_format, repr(c.font), repr(c.border), repr(c.fill),
                repr(c.alignment), repr(c.protection), c.comment.text if c.comment else None,
            )
    return out


def _changed_cells(path: Path) -> set[str]:
    """What perfxl is meant to change on the form sheet: derived cells and finding cells."""
    (result,) = [check(form) for form in read_forms(path)]
    derived = result.derived
    return set(derived) | {f.cell for f in result.findings if f.cell}


def test_everything_outside_changed_cells_is_kept(run_cli, make_form, seed_spec):
    path = decorated_form(make_form, seed_spec)
    changed = _changed_cells(path)
    out = fill(run_cli, path)
    before, after = openpyxl.load_workbook(path), openpyxl.load_workbook(out)
    assert [name for name in after.sheetnames if name != "perfxl原底色"] == before.sheetnames + ["校验结果"]
    for name in before.sheetnames:
        a, b = before[name], after[name]
        cells_a, cells_b = _cells(a), _cells(b)
        differing = {k for k in set(cells_a) | set(cells_b) if cells_a.get(k) != cells_b.get(k)}
        assert differing <= changed, (name, sorted(differing - changed))
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
        assert {k: d.width for k, d in a.column_dimensions.items()} == {k: d.width for k, d in b.column_dimensions.items()}
        assert {k: d.height for k, d in a.row_dimensions.items()} == {k: d.height for k, d in b.row_dimensions.items()}
        assert a.sheet_state == b.sheet_state and a.freeze_panes == b.freeze_panes
        assert repr(a.page_setup) == repr(b.page_setup) and a.print_area == b.print_area and a.print_title_rows == b.print_title_rows
        assert a.oddFooter.center.text == b.oddFooter.center.text
        assert [(str(v.sqref), v.formula1) for v in a.data_validations.dataValidation] == [(str(v.sqref), v.formula1) for v in b.data_validations.dataValidation]
        assert [(str(r.sqref), [x.formula for x in r.rules]) for r in a.conditional_formatting] == [(str(r.sqref), [x.formula for x in r.rules]) for r in b.conditional_formatting]
    assert changed & {"H25", "G25"}  # the comparison above really excluded something
    assert after.defined_names["项目名称"].attr_text == before.defined_names["项目名称"].attr_text
    assert after.worksheets[0]["E12"].comment.text == "请核实指标值" and after.worksheets[0]["E12"].comment.author == "张三"


X14_DROPDOWN = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" error="请从列表中选择">'
    "<x14:formula1><xm:f>选项!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>F12:F24</xm:sqref></x14:dataValidation>"
    "</x14:dataValidations></ext></extLst>"
)
X14_DATABAR = (
    '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:cfRule type="iconSet" priority="2" id="{00000000-0000-0000-0000-000000000001}"><x14:iconSet iconSet="3Stars">'
    '<x14:cfvo type="percent"><xm:f>0</xm:f></x14:cfvo><x14:cfvo type="percent"><xm:f>33</xm:f></x14:cfvo><x14:cfvo type="percent"><xm:f>67</xm:f></x14:cfvo>'
    "</x14:iconSet></x14:cfRule><xm:sqref>H12:H24</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
)


def sheet_xml(path: Path, name: str = "xl/worksheets/sheet1.xml") -> str:
    """The part as canonical XML (namespace declarations and quoting normalised)."""
    from lxml import etree

    with zipfile.ZipFile(path) as archive:
        return etree.canonicalize(archive.read(name).decode("utf-8"))


def canonical(fragment: str) -> str:
    from lxml import etree

    wrapped = etree.canonicalize(f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{fragment}</worksheet>')
    return wrapped[wrapped.index(">") + 1: wrapped.rindex("<")]


def test_cross_sheet_dropdown_is_kept(run_cli, make_form, clean_spec):
    """x14 dropdowns (lists on another sheet), which openpyxl drops, stay as they are: the output is the input patched."""
    path = decorated_form(make_form, clean_spec)
    rewrite_zip(path, {"xl/worksheets/sheet1.xml": lambda xml: insert_before_end(xml, X14_DROPDOWN)})
    with pytest.warns(UserWarning, match="Data Validation extension"):
        openpyxl.load_workbook(path)  # openpyxl alone would drop it
    result = run_cli("fill", path, "--no-report")
    assert result.exit_code == 0, result.stdout
    out = output_of(path)
    assert canonical(X14_DROPDOWN) in sheet_xml(out)
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert [str(v.sqref) for v in ws.data_validations.dataValidation] == ["F12:F14"]  # the plain dropdown survives too
    codes = [row[1] for row in findings_rows(openpyxl.load_workbook(out)["校验结果"])]
    assert "roundtrip-loss" not in codes
    again = fill(run_cli, out)
    assert sheet_xml(again).count("x14:dataValidation ") == 1 and canonical(X14_DROPDOWN) in sheet_xml(again)


def test_extension_conditional_format_is_kept(run_cli, make_form, clean_spec):
    path = decorated_form(make_form, clean_spec)
    rewrite_zip(path, {"xl/worksheets/sheet1.xml": lambda xml: insert_before_end(xml, X14_DATABAR)})
    result = run_cli("fill", path, "--no-report")
    assert result.exit_code == 0
    assert "警告 0 项" in result.stdout  # no roundtrip-loss any more
    out = output_of(path)
    assert canonical(X14_DATABAR) in sheet_xml(out)
    wb = openpyxl.load_workbook(out)
    assert not [row for row in findings_rows(wb["校验结果"]) if row[1] == "roundtrip-loss"]
    # The ordinary conditional format is still there.
    assert [str(r.sqref) for r in wb.worksheets[0].conditional_formatting] == ["H12:H24"]


SHAPE_DRAWING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    "<xdr:twoCellAnchor><xdr:from><xdr:col>10</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>2</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
    "<xdr:to><xdr:col>13</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>6</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
    '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="文本框 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
    '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
    "<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>盖章处</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
)


def test_shapes_are_kept(run_cli, make_form, clean_spec):
    path = make_form(clean_spec)
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rIdD1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>'
    )
    rewrite_zip(path, {
        "xl/drawings/drawing1.xml": SHAPE_DRAWING,
        "xl/worksheets/_rels/sheet1.xml.rels": rels,
        "xl/worksheets/sheet1.xml": lambda xml: insert_before_end(xml, '<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rIdD1"/>'),
        "[Content_Types].xml": lambda xml: xml.replace("</Types>", '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'),
    })
    out = fill(run_cli, path)
    rows = [row for row in findings_rows(openpyxl.load_workbook(out)["校验结果"]) if row[1] == "roundtrip-loss"]
    assert rows == []
    with zipfile.ZipFile(out) as archive:
        assert archive.read("xl/drawings/drawing1.xml").decode("utf-8") == SHAPE_DRAWING
        assert 'r:id="rIdD1"' in archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


# ---------------------------------------------------------------- text, comments, formulas


def test_text_from_forms_never_becomes_a_formula(run_cli, make_form, clean_spec):
    spec = spec_copy(clean_spec)
    spec.project = "=HYPERLINK(\"http://example.com\",\"点我\")"
    spec.blocks[0][0].level3 = "=1+1"
    spec.blocks[0][0].score = None  # a finding whose message quotes the formula-like name
    path = make_form(spec)
    project = read_forms(path)[0].project.address
    out = fill(run_cli, path)
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws[project].value.startswith("=HYPERLINK") and ws[project].data_type == "s"
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode("utf-8"), name
    assert any("=1+1" in (row[3] or "") for row in findings_rows(wb["校验结果"]))


def test_user_comment_kept_and_not_duplicated_on_rerun(run_cli, make_form, seed_spec):
    from openpyxl.comments import Comment

    path = make_form(seed_spec)
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0]["H25"].comment = Comment("财务科已复核", "李四")
    wb.save(path)
    out = fill(run_cli, path)
    text = openpyxl.load_workbook(out).worksheets[0]["H25"].comment.text
    assert text.startswith("原填写：92；") and text.endswith("财务科已复核") and "李四" in text
    again = fill(run_cli, out)
    assert openpyxl.load_workbook(again).worksheets[0]["H25"].comment.text == text


def test_formula_cells_kept_when_right_replaced_when_wrong(run_cli, make_form, clean_spec):
    path = make_form(clean_spec)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    rate_cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, float) and c.number_format == "0%")
    budget_col = rate_cell.column - 3  # 全年预算数 … 执行率 in the standard layout
    ws.cell(rate_cell.row, rate_cell.column).value = f"={ws.cell(rate_cell.row, budget_col + 1).coordinate}/{ws.cell(rate_cell.row, budget_col).coordinate}"
    total_score = ws["H25"] if ws["A25"].value == "总分" else None
    wb.save(path)
    out = fill(run_cli, path)
    result_ws = openpyxl.load_workbook(out).worksheets[0]
    kept = result_ws[rate_cell.coordinate]
    assert kept.value == ws[rate_cell.coordinate].value and kept.comment is None and kept.number_format == "0%"
    assert total_score is None or result_ws["H25"].comment is None


# ---------------------------------------------------------------- idempotence and folders


def workbook_snapshot(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    snap = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        snap[ws.title] = (_cells(ws), sorted(map(str, ws.merged_cells.ranges)), str(ws.freeze_panes),
                          [(c.coordinate, c.hyperlink.location) for row in ws.iter_rows() for c in row if c.hyperlink])
    return snap


@pytest.mark.parametrize("fixture", ["seed_form", "clean_form"])
def test_fill_on_own_output_gives_the_same_workbook(run_cli, request, fixture):
    path = request.getfixturevalue(fixture)
    first = fill(run_cli, path)
    second = fill(run_cli, first)
    assert workbook_snapshot(first) == workbook_snapshot(second)
    assert openpyxl.load_workbook(second).sheetnames.count("校验结果") == 1


@pytest.mark.parametrize("scenario", ["fixed", "fixed-and-recoloured", "records-lost"])
def test_a_fixed_cell_gets_its_own_fill_back_on_the_next_run(run_cli, clean_form, tmp_path, scenario):
    """The user fixes the output and runs fill on it again: a cell no longer flagged loses perfxl's highlight."""
    wb = openpyxl.load_workbook(clean_form)
    ws = wb["自评表"]
    ws["H18"] = 12  # 长效管理机制建立 scored 12 of 15 with no 偏差原因 (I18), so the total is wrong too
    ws["I18"].fill = PatternFill(fill_type="solid", start_color="FFE2EFDA", end_color="FFE2EFDA")  # the form's own colour
    form = tmp_path / "表.xlsx"
    wb.save(form)

    first = fill(run_cli, form)
    out = openpyxl.load_workbook(first)
    assert out["自评表"]["I18"].fill.fgColor.rgb.endswith("FFC7CE") and "偏差原因" in out["自评表"]["I18"].comment.text
    assert out["perfxl原底色"].sheet_state == "veryHidden"
    assert [row[0] for row in out["perfxl原底色"].values] == ["自评表!I18"]  # only cells that had a fill
    assert visible_sheets(out) == ["自评表", "校验结果"]

    out["自评表"]["I18"] = "部分制度待印发，明年一季度完成。"  # the user's fix, saved over the output
    if scenario == "fixed-and-recoloured":
        out["自评表"]["I18"].fill = PatternFill(fill_type="solid", start_color="FF00B050", end_color="FF00B050")
    if scenario == "records-lost":
        del out["perfxl原底色"]
    fixed = tmp_path / "表（已改）.xlsx"
    out.save(fixed)
    second = openpyxl.load_workbook(fill(run_cli, fixed))
    cell = second["自评表"]["I18"]
    assert cell.comment is None
    expected = {"fixed": "FFE2EFDA", "fixed-and-recoloured": "FF00B050", "records-lost": None}[scenario]
    assert (cell.fill.fgColor.rgb if cell.fill.fill_type else None) == expected  # never perfxl's colour
    assert [row[1] for row in findings_rows(second["校验结果"])] == ["total-mismatch"]  # still flagged: still highlighted
    assert second["自评表"]["H20"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "perfxl原底色" not in openpyxl.load_workbook(fill(run_cli, clean_form)).sheetnames  # nothing flagged, nothing kept


def test_a_derived_cell_changed_in_the_output_is_the_new_stated_value(run_cli, seed_form, tmp_path):
    first = fill(run_cli, seed_form)
    out = openpyxl.load_workbook(first)
    assert out["自评表"]["H25"].value == 102 and out["自评表"]["H25"].comment.text.startswith("原填写：92；")
    out["自评表"]["H25"] = 101  # typed over perfxl's 102
    edited = tmp_path / "改过总分.xlsx"
    out.save(edited)
    [checked] = json.loads(run_cli("check", edited, "--format", "json").stdout)
    assert checked["form"]["total"]["score_stated"] == 101
    cell = openpyxl.load_workbook(fill(run_cli, edited))["自评表"]["H25"]
    assert cell.value == 102 and cell.comment.text.startswith("原填写：101；按规则重新计算：102")


def test_a_record_matches_only_while_the_cell_holds_perfxls_value():
    text = "原填写：95%；按规则重新计算：100%\n【错误】执行率不符"
    record = parse_record(text)
    assert (record.original, record.recomputed) == ("95%", "100%")
    assert record_matches(record, 1.0, "0.00%")  # still perfxl's value
    assert not record_matches(record, 0.9, "0.00%")  # changed by hand: that value stands
    assert parse_record("原填写：（空）；按规则重新计算：优").original == ""
    assert record_matches(parse_record("原填写：（空）；按规则重新计算：优"), "优")
    assert not record_matches(parse_record("原填写：（空）；按规则重新计算：优"), "良")
    assert record_matches(parse_record("原填写：92；按规则重新计算：102"), 102.0)
    assert not record_matches(parse_record("原填写：92；按规则重新计算：102"), None)  # cleared by hand
    assert parse_record("【警告】其他批注") is None
    assert parse_record("原填写：99.36（公式：=HYPERLINK(\"x\",1)）；按规则重新计算：50").original == "99.36"  # the formula is words


def test_outputs_in_a_folder_are_not_new_forms(run_cli, seed_form):
    fill(run_cli, seed_form)
    result = run_cli("fill", seed_form.parent, "--no-report")
    assert result.exit_code == 1
    assert sorted(p.name for p in seed_form.parent.glob("*.xlsx") if "汇总" not in p.name) == sorted([seed_form.name, output_of(seed_form).name])


# ---------------------------------------------------------------- atomic write


def test_failure_mid_write_leaves_nothing_and_keeps_input(seed_form, monkeypatch):
    from perfxl.pipeline import fill_path, FillOptions
    from perfxl.xlsx.package import Package

    before = sha256(seed_form)
    out = output_of(seed_form)
    out.write_bytes(b"previous output")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Package, "save", broken_save)
    outcome = fill_path(seed_form, FillOptions(report=False, force=True))
    assert outcome.error is not None and outcome.error.code == "write-failed"
    assert "无法写入" in outcome.error.message
    assert out.read_bytes() == b"previous output"  # the old output was not touched
    assert sha256(seed_form) == before
    assert sorted(p.name for p in seed_form.parent.iterdir()) == sorted([seed_form.name, out.name])  # no temp file left


# ---------------------------------------------------------------- .xlsm and .xls


def test_xlsm_keeps_macros_and_suffix(run_cli, make_form, seed_spec):
    xlsx = make_form(seed_spec)
    path = xlsx.with_suffix(".xlsm")
    xlsx.rename(path)
    vba = b"\xd0\xcf\x11\xe0fake vba project" * 20
    rewrite_zip(path, {
        "xl/vbaProject.bin": vba,
        "[Content_Types].xml": lambda xml: xml.replace(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
            "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace("</Relationships>", '<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'),
    })
    result = run_cli("fill", path, "--no-report")
    assert result.exit_code == 1, result.stdout + result.stderr
    out = path.parent / f"{path.stem}_自评结果.xlsm"
    assert out.is_file() and not out.with_suffix(".xlsx").exists()
    with zipfile.ZipFile(out) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert "macroEnabled" in archive.read("[Content_Types].xml").decode()
    again = run_cli("fill", out, "--no-report")
    assert again.exit_code == 1
    second = out.parent / f"{path.stem}_自评结果(2).xlsm"  # filling an output numbers the next generation
    assert workbook_snapshot(second) == workbook_snapshot(out)
    with zipfile.ZipFile(second) as archive:
        vml = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".vml")]
        assert archive.read("xl/vbaProject.bin") == vba
    comments = sum(1 for row in openpyxl.load_workbook(second).worksheets[0].iter_rows() for c in row if c.comment)
    assert sum(text.count('ObjectType="Note"') for text in vml) == comments  # no comment boxes piled up by re-runs


def test_xls_without_libreoffice_is_rebuilt_in_standard_layout(seed_form, tmp_path, monkeypatch):
    """book.workbook is None (as for .xls) and no soffice: the form is rebuilt and the loss reported."""
    monkeypatch.setattr(xlswriter, "convert_with_office", lambda *args, **kwargs: None)
    book = open_book(seed_form, styles=False)
    book.kind = "xls"
    results = [check(form) for form in read_forms(seed_form, book)]
    before = list(results[0].findings)
    target = tmp_path / "out" / "rebuilt_自评结果.xlsx"
    lost = writer.write_filled_workbook(book, results, target)
    assert results[0].findings == before  # the check's results are the check's: the writer returns its losses
    assert [f.code for f in lost] == ["roundtrip-loss"] and "LibreOffice" in lost[0].message
    wb = openpyxl.load_workbook(target)
    assert visible_sheets(wb) == ["自评表", "校验结果"]
    sheet = wb["校验结果"]
    assert any("标准表格式" in str(sheet.cell(r, 1).value) for r in range(1, 6))
    rebuilt = [check(form) for form in read_forms(target)][0]
    assert rebuilt.computed.total_score == 102
    total = wb["自评表"][rebuilt.form.total_score.address]
    assert total.value == 102 and total.comment.text.startswith("原填写：92；")
    links = [row[4] for row in findings_rows(sheet) if row[1] == "total-mismatch"]
    assert links == [f"'自评表'!{rebuilt.form.total_score.address}"]
    assert [row[1] for row in findings_rows(sheet)].count("roundtrip-loss") == 1  # listed in the workbook's 校验结果


def test_package_inspection_names_lost_parts(tmp_path, make_form, clean_spec):
    path = make_form(clean_spec)
    rewrite_zip(path, {"xl/embeddings/oleObject1.bin": b"ole", "xl/ctrlProps/ctrlProp1.xml": "<formControlPr/>"})
    validations, losses = inspect_package(path)
    assert validations == []
    assert sorted(loss.what for loss in losses) == ["嵌入对象（OLE） 1 个", "表单控件（按钮、复选框等） 1 个"]


def test_text_width_counts_chinese_double():
    from perfxl.numbers import text_width

    assert text_width("总分") == 4 and text_width("H25") == 3 and text_width(102) == 3


def test_original_text_reads_back_as_the_same_value():
    from perfxl.model import Cell
    from perfxl.checks.derived import shown_original
    from perfxl.checks.rules import stated_rate
    from perfxl.read.workbook import typed_value

    for raw, fmt in ((1, "0%"), (0.95, None), (95, None), ("100%", None), ("\u300092", None)):
        shown = shown_original(Cell("H5", raw, fmt), "rate")
        assert stated_rate(Cell("H5", typed_value(shown), "0.00%")) == pytest.approx(stated_rate(Cell("H5", raw, fmt))), (raw, shown)
    assert re.fullmatch(r"92", shown_original(Cell("H25", "\u300092"), "score"))


def test_damaged_part_is_reported_not_fatal(make_form, clean_spec):
    path = make_form(clean_spec)
    rewrite_zip(path, {"xl/drawings/drawing9.xml": "<not-closed"})
    validations, losses = inspect_package(path)
    assert [loss.what for loss in losses] == ["无法读取的内部部件 xl/drawings/drawing9.xml"]


def test_pictures_such_as_a_stamp_are_kept(seed_form, tmp_path, run_cli):
    import zipfile

    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    stamp = tmp_path / "公章.png"
    PILImage.new("RGB", (60, 60), (200, 0, 0)).save(stamp)
    wb = openpyxl.load_workbook(seed_form)
    wb["自评表"].add_image(Image(str(stamp)), "H26")
    with_stamp = tmp_path / "盖章.xlsx"
    wb.save(with_stamp)
    result = run_cli("fill", with_stamp, "--no-report")
    assert result.exit_code == 1, result.stderr
    output = tmp_path / "盖章_自评结果.xlsx"
    with zipfile.ZipFile(output) as archive:
        assert any(name.startswith("xl/media/") for name in archive.namelist())
    findings = [row[1].value for row in openpyxl.load_workbook(output)["校验结果"].iter_rows()]
    assert "roundtrip-loss" not in findings


@pytest.mark.parametrize("written, changed", [("优秀", False), ("优", False), ("良好", True)])
def test_grade_cell_is_compared_by_its_word(run_cli, make_form, clean_spec, written, changed):
    """优秀 is 优: the 等级 cell is left as the form wrote it; 良好 for a total of 99.36 is rewritten to 优."""
    clean_spec.narrative_rows = {"评价等级": written}
    path = make_form(clean_spec)
    ws = openpyxl.load_workbook(fill(run_cli, path)).worksheets[0]
    cell = ws["C21"]
    if changed:
        assert cell.value == "优" and cell.comment.text.startswith("原填写：良好；按规则重新计算：优")
    else:
        assert cell.value == written and cell.comment is None and cell.fill.fill_type is None
