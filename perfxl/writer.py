"""Checked form → the filled, annotated workbook ``<stem>_自评结果.xlsx``.

.xlsx/.xlsm inputs are written by :mod:`perfxl.patch`: the input package with surgical edits.
This module keeps what both writers share (which cells are derived, comment texts, highlight
colours, the findings sheet's layout) and the writer of .xls inputs: LibreOffice converts them to
.xlsx, openpyxl loads the conversion, perfxl edits it and saves it. perfxl changes only:

* derived cells (执行率, 预算执行率得分, 总分 分值/得分, 等级): the recalculated value, shown as
  ``100.00%`` / ``10.00``; where the form stated something else, the original goes into a comment
  (``原填写：92；按规则重新计算：102``) and the cell is highlighted;
* cells with findings: highlighted, with the findings as a comment, value untouched;
* a ``校验结果`` sheet listing every finding, each linked to its cell.

openpyxl drops some parts of a workbook on load/save. Before saving a converted .xls we look into
its zip: dropdowns stored as ``x14`` extensions are re-created as classic validations; whatever
else cannot be kept becomes a ``roundtrip-loss`` finding, so the user learns of it before submitting.

All comments are written by :data:`~perfxl.model.PERFXL_AUTHOR`; a re-run removes them first, so
filling an output again gives the same workbook.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import labels as L
from .model import KIND_ZH, PERFXL_AUTHOR, Cell, Finding, Form, original_comment, original_formula, original_from_comment, original_record
from .numbers import display_text, format_number, format_percent, round_half_up, text_width
from .workbook import resolve as _resolve, sheet_parts
from .writeutil import atomic_path

RATE_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
CHANGED_FILL = SEVERITY_FILL["warning"]
SEVERITY_ORDER = ("error", "warning", "info")
#: Separates perfxl's comment text from a comment the user had already put on the cell.
USER_COMMENT_MARKER = "\n\n【原批注"
SOFFICE_TIMEOUT = 180

_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "xm": "http://schemas.microsoft.com/office/excel/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
}
#: Worksheet extensions (extLst uri, upper case) and what the user loses with them.
_SHEET_EXTENSIONS = {
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": None,  # x14 data validations: re-created
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": None,  # x14 conditional formats: reported per rule
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "迷你图",
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "切片器",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "切片器",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "日程表",
}
#: Package parts openpyxl does not write back, and what they are to a user.
_LOST_PARTS = (
    ("xl/embeddings/", "嵌入对象（OLE）"),
    ("xl/ctrlProps/", "表单控件（按钮、复选框等）"),
    ("xl/activeX/", "ActiveX 控件"),
    ("xl/diagrams/", "SmartArt 图形"),
    ("xl/slicers/", "切片器"),
    ("xl/timelines/", "日程表"),
    ("xl/threadedComments/", "新版批注的回复（仅保留为普通批注）"),
    ("xl/model/", "数据模型"),
)
#: openpyxl load warnings already covered by the zip inspection (or harmless).
_COVERED_WARNINGS = re.compile(r"extension is not supported|DrawingML support is incomplete|contains no default style")


@dataclass(frozen=True)
class Loss:
    """Something of the input the output cannot keep."""

    sheet: str | None
    cell: str | None
    what: str


@dataclass(frozen=True)
class Validation:
    """An x14 data validation read from the input, to be re-created as a classic one."""

    sheet: str
    sqref: str
    attrs: dict
    formula1: str | None
    formula2: str | None


# ---------------------------------------------------------------- entry point


def write_filled_workbook(book, results, target: Path | str) -> None:
    """Write the filled, annotated workbook of ``book`` (checked as ``results``) to ``target``.

    ``target`` is written atomically; the input file is only read. ``roundtrip-loss`` findings
    are appended to ``results`` for whatever of the input cannot be kept.
    """
    if book.kind in ("xlsx", "xlsm"):  # the input package with surgical edits (see perfxl.patch)
        from .patch import write_patched_workbook

        return write_patched_workbook(book, results, target)
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="perfxl-") as scratch:
        wb, source, note, annotated = _load_for_writing(book, results, Path(scratch))
        validations, losses = inspect_package(source) if source is not None else ([], [])
        losses += _warning_losses(book.load_warnings if source == book.path else [])
        if note.loss:
            losses.append(Loss(None, None, note.loss))
        _recreate_validations(wb, validations)
        _prepare_legacy_drawings(wb)
        _append_loss_findings(results, annotated, losses)
        file_name = _previous_file_name(wb) or book.path.name
        _remove_perfxl_marks(wb)
        originals: dict[str, str] = {}
        for result in annotated:
            if result.form.sheet in wb.sheetnames:
                annotate_form(wb[result.form.sheet], result, originals)
        write_findings_sheet(wb, file_name, annotated, note.text)
        _record_original_fills(wb, originals)
        wb.calculation.fullCalcOnLoad = True
        with atomic_path(target) as temp:
            wb.save(temp)


@dataclass(frozen=True)
class _Note:
    text: str = ""  # said in the 校验结果 header
    loss: str = ""  # reported as roundtrip-loss


def _load_for_writing(book, results, scratch: Path):
    """(workbook to edit, package to inspect for losses, note, results whose addresses fit the workbook)."""
    if book.workbook is not None:
        return book.workbook, book.path, _Note(), results
    converted = book.converted.result() if hasattr(book.converted, "result") else book.converted  # batch.PendingConversion
    converted = converted if converted is not None and converted.is_file() else None
    converted = converted or convert_with_office(book.path, "xlsx", scratch)
    if converted is not None:
        import openpyxl

        wb = openpyxl.load_workbook(converted, keep_links=True)
        note = _Note(f"原文件 {book.path.name} 为 .xls 格式，已用 LibreOffice 转换为 .xlsx（保留原格式）后填写。")
        return wb, converted, note, results
    wb, annotated = _rebuild_standard(results)
    note = _Note(
        f"原文件 {book.path.name} 为 .xls 格式，本机未安装 LibreOffice，已按标准表格式重建（原格式未保留）。",
        "原 .xls 文件的格式、其他工作表和批注（未安装 LibreOffice，已按标准表格式重建表格内容）",
    )
    return wb, None, note, annotated


# ---------------------------------------------------------------- derived and flagged cells


def annotate_form(ws, result, originals: dict[str, str] | None = None) -> None:
    """Write the derived cells of one form and flag every finding's cell on ``ws``.

    ``originals`` collects the fill each highlighted cell had (see :func:`_record_original_fills`).
    """
    originals = {} if originals is None else originals
    form, computed = result.form, result.computed
    by_cell: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.cell and finding.sheet == form.sheet:
            by_cell.setdefault(_anchor(ws, finding.cell), []).append(finding)
    derived = derived_cells(form, computed)
    for address, (stated, value, kind) in derived.items():
        _write_derived(ws, address, stated, value, kind, by_cell.pop(address, []), originals)
    for address, findings in by_cell.items():
        cell = ws[address]
        _set_comment(cell, _findings_text(findings))
        _highlight(cell, _worst(findings), originals)


def derived_cells(form: Form, computed) -> dict[str, tuple[Cell, object, str]]:
    """address → (the cell as the form stated it, recomputed value, kind: rate | score | amount | grade)."""
    cells: dict[str, tuple[Cell, object, str]] = {}
    for row in form.funds:
        rate = computed.rates.get(row.row)
        if row.rate.address and rate is not None:
            cells[row.rate.address] = (row.rate, rate, "rate")
    total = form.fund("funds_total")
    if total is not None:
        has_rate = computed.rate is not None or total.rate.reading.is_number
        if total.score.address and has_rate and computed.budget_score is not None:
            cells[total.score.address] = (total.score, computed.budget_score, "score")
        for name in ("initial", "budget", "executed"):
            cell, value = getattr(total, name), computed.funds_totals.get(name)
            if cell.address and cell.is_blank and value is not None:  # a blank subtotal: fill in the sum of its parts
                cells[cell.address] = (cell, round_half_up(value / form.money_factor, 4), "amount")
    if form.total_weight.address:
        cells[form.total_weight.address] = (form.total_weight, computed.total_weight, "score")
    if form.total_score.address:
        cells[form.total_score.address] = (form.total_score, computed.total_score, "score")
    if form.grade_cell.address and computed.grade:
        cells[form.grade_cell.address] = (form.grade_cell, computed.grade, "grade")
    return cells


def _write_derived(ws, address: str, stated: Cell, value, kind: str, findings: list[Finding], originals: dict[str, str]) -> None:
    """A derived cell is changed only where a finding names it (check and fill agree): then it gets the
    recalculated value, and the value it stated goes into the comment when that differs."""
    if not findings:
        return
    from .rules import stated_differs

    cell = ws[address]
    formula = cell.value if cell.data_type == "f" and isinstance(cell.value, str) else None
    differs = stated_differs(stated, value, kind)
    if differs or not formula:  # a formula that gives the right value is the form's own: keep it
        cell.value = value
        if kind == "grade":
            cell.data_type = "s"
        if kind == "rate":
            cell.number_format = RATE_FORMAT
        elif kind == "score":
            cell.number_format = SCORE_FORMAT
    text = _findings_text(findings)
    if differs:
        shown = _shown_original(stated, kind) if not (formula and stated.raw is None) else ""
        text = original_comment(original_record(shown, formula, is_text=isinstance(stated.raw, str)), _shown_value(value, kind)) + "\n" + text
    _set_comment(cell, text)
    _highlight(cell, _worst(findings), originals)


def _shown_original(stated: Cell, kind: str) -> str:
    """What a person saw in the cell, written so that reading the comment back gives the same value."""
    from .rules import stated_rate

    raw, fmt = stated.raw, stated.number_format or ""
    if raw is None:
        return ""
    is_number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if is_number and "%" in fmt:
        match = re.search(r"\.(0+)", fmt)
        places = len(match.group(1)) if match else 0
        return f"{round_half_up(raw * 100, places):.{places}f}%"
    reading = stated.reading
    if kind == "rate" and reading.is_number and reading.unit not in ("%", "‰"):
        # A bare 95 or 0.95 in a rate column means 95 %; the cell will show percent, so say it that way.
        return format_percent(stated_rate(stated), 6)
    return format_number(raw, 6) if is_number else display_text(raw)


def _shown_value(value, kind: str) -> str:
    if kind == "rate":
        return format_percent(value)
    if kind == "grade":
        return str(value)
    return format_number(value)


def _findings_text(findings: list[Finding]) -> str:
    from .rules import SEVERITY_ZH

    return "\n".join(f"【{SEVERITY_ZH[f.severity]}】{f.message}" for f in findings)


def _worst(findings: list[Finding]) -> str:
    return min((f.severity for f in findings), key=SEVERITY_ORDER.index)


def _highlight(cell, severity: str, originals: dict[str, str]) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.xml.functions import tostring

    if cell.fill.fill_type is not None and not _is_highlight(cell.fill):  # no fill, or ours: nothing to keep
        originals.setdefault(f"{cell.parent.title}!{cell.coordinate}", tostring(cell.fill.to_tree()).decode("utf-8"))
    color = SEVERITY_FILL.get(severity, CHANGED_FILL)
    cell.fill = PatternFill(fill_type="solid", start_color=color, end_color=color)


def _set_comment(cell, text: str) -> None:
    """Put perfxl's text on ``cell``, keeping (after ours) any comment the user had there."""
    from openpyxl.comments import Comment

    existing = cell.comment
    if existing is not None and existing.author != PERFXL_AUTHOR:
        text += f"{USER_COMMENT_MARKER}（{existing.author or '原作者'}）】\n{existing.text}"
    lines = sum(1 + len(line) // 24 for line in text.split("\n"))
    cell.comment = Comment(text, PERFXL_AUTHOR, height=min(40 + 16 * lines, 600), width=320)


def _remove_perfxl_marks(wb) -> None:
    """Undo a previous perfxl run: its comments and highlights go (user comments and fills return),
    derived cells get their stated value."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if L.FINDINGS_SHEET in wb.sheetnames:
        del wb[L.FINDINGS_SHEET]
    fills = _original_fills(wb)
    for ws in wb.worksheets:
        for cell in [c for c in ws._cells.values() if c.comment is not None and c.comment.author == PERFXL_AUTHOR]:
            if _is_highlight(cell.fill):  # perfxl's colour, not one the user gave it since
                cell.fill = fills.get((ws.title, cell.coordinate), PatternFill())
            text = cell.comment.text or ""
            original = original_from_comment(text, cell.value, cell.number_format)
            if original is not None:
                formula = original_formula(text)
                cell.value = formula if formula else _typed(original)  # the form's own formula, or its value
                if isinstance(cell.value, str) and not formula:
                    cell.data_type = "s"  # text stays text, even where it looks like a formula
            head, marker, rest = text.partition(USER_COMMENT_MARKER)
            if marker:
                author, _, user_text = rest.partition("）】\n")
                author = author.lstrip("（")
                cell.comment = Comment(user_text, "" if author == "原作者" else author)
            else:
                cell.comment = None


def _record_original_fills(wb, originals: dict[str, str]) -> None:
    """Keep the fill each highlighted cell had (where it had one), on a very hidden sheet.

    A later run on this output (after the user fixed some cells) gives a cell that is no longer
    flagged its own fill back instead of leaving perfxl's highlight on it. The cells are found
    again by perfxl's comment on them, which moves with the cell; a cell without a record had no
    fill.
    """
    if not originals:
        return
    ws = wb.create_sheet(L.ORIGINAL_FILLS_SHEET)
    ws.sheet_state = "veryHidden"
    for row, (where, fill) in enumerate(sorted(originals.items()), start=1):
        for col, text in ((1, where), (2, fill)):
            cell = ws.cell(row=row, column=col, value=text)
            cell.data_type = "s"


def _original_fills(wb) -> dict[tuple[str, str], object]:
    """The fills a previous run recorded, by (sheet, cell); the record sheet itself goes."""
    if L.ORIGINAL_FILLS_SHEET not in wb.sheetnames:
        return {}
    from openpyxl.styles.fills import Fill
    from openpyxl.xml.functions import fromstring

    fills = {}
    for where, fill in wb[L.ORIGINAL_FILLS_SHEET].iter_rows(max_col=2, values_only=True):
        sheet, _, address = str(where or "").rpartition("!")
        try:
            fills[(sheet, address)] = Fill.from_tree(fromstring(str(fill)))
        except Exception:  # a record edited by hand: that cell gets no fill back
            continue
    del wb[L.ORIGINAL_FILLS_SHEET]
    return fills


def _is_highlight(fill) -> bool:
    """One of the fills perfxl highlights with (whatever alpha byte a later save gave its colour)."""
    rgb = getattr(fill.fgColor, "rgb", None)
    return fill.fill_type == "solid" and isinstance(rgb, str) and rgb[-6:].upper() in _HIGHLIGHTS


_HIGHLIGHTS = {color.upper() for color in (*SEVERITY_FILL.values(), CHANGED_FILL)}


def _typed(text: str) -> object:
    from .workbook import _typed as typed

    return typed(text)


def _anchor(ws, address: str) -> str:
    """The top-left cell of the merged range holding ``address`` (only anchors can be written)."""
    for merged in ws.merged_cells.ranges:
        if address in merged:
            return merged.start_cell.coordinate
    return address


# ---------------------------------------------------------------- the 校验结果 sheet


def write_findings_sheet(wb, file_name: str, results, note: str = "") -> None:
    """(Re)create the 校验结果 sheet: a header per form, then one row per finding linked to its cell."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.hyperlink import Hyperlink

    from .rules import SEVERITY_ZH, grade_text

    if L.FINDINGS_SHEET in wb.sheetnames:
        del wb[L.FINDINGS_SHEET]
    ws = wb.create_sheet(L.FINDINGS_SHEET)
    bold = Font(name="宋体", size=11, bold=True)
    body = Font(name="宋体", size=10)
    link = Font(name="宋体", size=10, color="0563C1", underline="single")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def text(row: int, col: int, value: str, font=body):
        cell = ws.cell(row=row, column=col, value=value)
        cell.data_type = "s"  # text from forms and messages never becomes a formula
        cell.font = font
        return cell

    text(1, 1, "校验结果", Font(name="宋体", size=14, bold=True))
    text(2, 1, f"文件：{file_name}")
    row = 3
    for result in results:
        c = result.computed
        counts = "，".join(f"{SEVERITY_ZH[s]} {result.count(s)} 项" for s in SEVERITY_ORDER)
        text(row, 1, f"工作表“{result.form.sheet}”（{KIND_ZH[result.form.kind]}）：总分（按规则重新计算）{format_number(c.total_score)}，{grade_text(c)}；{counts}")
        row += 1
    if note:
        text(row, 1, f"说明：{note}")
        row += 1
    row += 1
    header_row = row
    headers = ("严重程度", "代码", "单元格", "说明")
    for col, title in enumerate(headers, 1):
        cell = text(row, col, title, bold)
        cell.fill = PatternFill(fill_type="solid", start_color="D9D9D9", end_color="D9D9D9")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center")
    several = len({r.form.sheet for r in results}) > 1
    findings = [f for r in results for f in r.findings]
    widths = [text_width(h) for h in headers]
    for finding in findings:
        row += 1
        label = finding.cell or "—"
        if finding.cell and (several or finding.sheet not in {r.form.sheet for r in results}):
            label = f"{finding.sheet}!{finding.cell}"
        values = (SEVERITY_ZH[finding.severity], finding.code, label, finding.message)
        for col, value in enumerate(values, 1):
            cell = text(row, col, value)
            cell.border = border
            cell.alignment = wrap
            widths[col - 1] = max(widths[col - 1], text_width(value))
        severity_cell = ws.cell(row=row, column=1)
        color = SEVERITY_FILL[finding.severity]
        severity_cell.fill = PatternFill(fill_type="solid", start_color=color, end_color=color)
        if finding.cell and finding.sheet in wb.sheetnames:
            target = ws.cell(row=row, column=3)
            location = f"'{finding.sheet.replace(chr(39), chr(39) * 2)}'!{finding.cell}"
            target.hyperlink = Hyperlink(ref=target.coordinate, location=location, display=label)
            target.font = link
    if not findings:
        row += 1
        text(row, 1, "未发现问题").border = border
        for col in range(2, 5):
            ws.cell(row=row, column=col).border = border
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    final = [min(max(width + 2, 8), 90 if col == 4 else 30) for col, width in enumerate(widths, 1)]
    for col, width in enumerate(final, 1):
        ws.column_dimensions["ABCD"[col - 1]].width = width
    for r in range(header_row + 1, row + 1):  # wrapped messages: give each row the lines it needs
        usable = [final[0], final[1], final[2], final[3] * 0.92]  # the message column wraps a little early
        lines = max(-(-text_width(ws.cell(r, c).value or "") // int(usable[c - 1])) for c in range(1, 5))
        if lines > 1:
            ws.row_dimensions[r].height = 14 * lines + 2
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _previous_file_name(wb) -> str | None:
    """On a re-run, the original file name the earlier 校验结果 sheet named (keeps the output identical)."""
    if L.FINDINGS_SHEET not in wb.sheetnames:
        return None
    value = wb[L.FINDINGS_SHEET]["A2"].value
    if isinstance(value, str) and value.startswith("文件："):
        return value[len("文件："):]
    return None


# ---------------------------------------------------------------- what openpyxl would lose


def inspect_package(path: Path) -> tuple[list[Validation], list[Loss]]:
    """Look inside the .xlsx/.xlsm zip for what openpyxl drops: x14 validations (to re-create) and losses.

    A damaged part is itself reported as a loss; inspection never stops the fill.
    """
    from defusedxml.ElementTree import fromstring

    validations: list[Validation] = []
    losses: list[Loss] = []
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())

        def xml(name: str):
            try:
                return fromstring(archive.read(name))
            except Exception:  # zlib/zip/XML errors in a part openpyxl did not need
                losses.append(Loss(None, None, f"无法读取的内部部件 {name}"))
                return None

        sheets = sheet_parts(archive, xml)
        drawing_sheet: dict[str, str] = {}
        for sheet, part in sheets.items():
            root = xml(part)
            if root is None:
                continue
            for rel_target in _rel_targets(archive, part, xml, "/drawing"):
                drawing_sheet[rel_target] = sheet
            validations += _x14_validations(root, sheet)
            for rule in root.iter(f"{{{_NS['x14']}}}conditionalFormatting"):
                sqref = rule.findtext(f"{{{_NS['xm']}}}sqref") or ""
                losses.append(Loss(sheet, _first_cell(sqref), f"扩展条件格式（数据条/图标集等 Excel 2010 以后的样式，范围 {sqref or '未知'}）"))
            for ext in root.iter(f"{{{_NS['main']}}}ext"):
                what = _SHEET_EXTENSIONS.get((ext.get("uri") or "").upper(), f"工作表扩展内容（{ext.get('uri')}）")
                if what:
                    losses.append(Loss(sheet, None, what))
        for name in sorted(n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
            root = xml(name)
            if root is not None:
                losses += _drawing_losses(root, drawing_sheet.get(name))
        for prefix, what in _LOST_PARTS:
            count = sum(1 for n in names if n.startswith(prefix) and not n.endswith(".rels") and "/_rels/" not in n)
            if count:
                losses.append(Loss(None, None, f"{what} {count} 个"))
    return validations, _dedupe(losses)


def _rel_targets(archive, part: str, xml, type_suffix: str) -> list[str]:
    folder, name = part.rsplit("/", 1)
    rels_name = f"{folder}/_rels/{name}.rels"
    root = xml(rels_name) if rels_name in archive.namelist() else None
    if root is None:
        return []
    return [_resolve(part, rel.get("Target")) for rel in root if (rel.get("Type") or "").endswith(type_suffix)]


def _x14_validations(root, sheet: str) -> list[Validation]:
    found = []
    for element in root.iter(f"{{{_NS['x14']}}}dataValidation"):
        sqref = element.findtext(f"{{{_NS['xm']}}}sqref") or ""
        formula1 = element.findtext(f"{{{_NS['x14']}}}formula1/{{{_NS['xm']}}}f")
        formula2 = element.findtext(f"{{{_NS['x14']}}}formula2/{{{_NS['xm']}}}f")
        if sqref:
            found.append(Validation(sheet, sqref, dict(element.attrib), formula1, formula2))
    return found


def _drawing_losses(root, sheet: str | None) -> list[Loss]:
    losses = []
    anchors = [a for a in root if a.tag.rsplit("}", 1)[-1] in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")]
    shapes = sum(1 for a in anchors for tag in ("sp", "grpSp", "cxnSp") if a.find(f"xdr:{tag}", _NS) is not None)
    controls = sum(1 for a in root.iter(f"{{{_NS['mc']}}}AlternateContent"))
    pictures = sum(1 for a in anchors if a.find("xdr:pic", _NS) is not None)
    charts = sum(1 for _ in root.iter(f"{{{_NS['c']}}}chart"))
    if shapes:
        losses.append(Loss(sheet, None, f"图形/文本框 {shapes} 个"))
    if controls:
        losses.append(Loss(sheet, None, f"控件或新版图形 {controls} 个"))
    if pictures and not _pillow_available():
        losses.append(Loss(sheet, None, f"图片 {pictures} 张（未安装 Pillow，无法保留）"))
    if charts:
        losses.append(Loss(sheet, None, f"图表 {charts} 个的部分样式（图表将被重写，颜色、字体等可能改变）"))
    return losses


def _pillow_available() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def _first_cell(sqref: str) -> str | None:
    match = re.match(r"\$?([A-Z]{1,3})\$?(\d+)", sqref.strip())
    return f"{match.group(1)}{match.group(2)}" if match else None


def _dedupe(losses: list[Loss]) -> list[Loss]:
    seen, unique = set(), []
    for loss in losses:
        if loss not in seen:
            seen.add(loss)
            unique.append(loss)
    return unique


def _warning_losses(warnings: list[str]) -> list[Loss]:
    return [Loss(None, None, f"读取时 openpyxl 提示：{text}") for text in warnings if not _COVERED_WARNINGS.search(text)]


def _recreate_validations(wb, validations: list[Validation]) -> None:
    """Dropdowns whose list lives on another sheet, as classic validations that openpyxl writes."""
    from openpyxl.worksheet.datavalidation import DataValidation

    flags = {"allowBlank": "allow_blank", "showDropDown": "showDropDown", "showInputMessage": "showInputMessage", "showErrorMessage": "showErrorMessage"}
    texts = ("errorTitle", "error", "promptTitle", "prompt", "errorStyle", "operator", "imeMode")
    for item in validations:
        if item.sheet not in wb.sheetnames:
            continue
        options = {py: item.attrs.get(xml) in ("1", "true") for xml, py in flags.items() if xml in item.attrs}
        options.update({key: item.attrs[key] for key in texts if key in item.attrs})
        validation = DataValidation(type=item.attrs.get("type", "list"), formula1=item.formula1, formula2=item.formula2, **options)
        validation.sqref = item.sqref
        wb[item.sheet].add_data_validation(validation)


def _prepare_legacy_drawings(wb) -> None:
    """.xlsm: openpyxl would append our comment boxes to the old VML on every run; let it write a fresh one.

    Kept only where the VML holds something besides comment boxes (legacy form controls).
    """
    archive = getattr(wb, "vba_archive", None)
    if archive is None:
        return
    for ws in wb.worksheets:
        if ws.legacy_drawing and ws.legacy_drawing in archive.namelist():
            vml = archive.read(ws.legacy_drawing).decode("utf-8", "replace")
            objects = re.findall(r'ObjectType="(\w+)"', vml)
            if all(kind == "Note" for kind in objects):
                ws.legacy_drawing = None


def _append_loss_findings(results, annotated, losses: list[Loss]) -> None:
    """One roundtrip-loss finding per loss, on the form of its sheet (else the first form)."""
    from .catalogue import CATALOGUE

    if not losses or not results:
        return
    rule = CATALOGUE["roundtrip-loss"]
    targets = [results] if annotated is results else [results, annotated]
    for loss in losses:
        for group in targets:
            result = next((r for r in group if r.form.sheet == loss.sheet), group[0])
            sheet = loss.sheet or result.form.sheet
            where = f"工作表“{sheet}”的" if loss.sheet else ""
            message = f"输出工作簿无法保留{where}{loss.what}：提交前请对照原文件在 Excel/WPS 中补回，或直接在原文件中修改。"
            result.findings.append(Finding(rule.code, rule.severity, sheet, loss.cell, message))


# ---------------------------------------------------------------- .xls input


def convert_with_office(source: Path, fmt: str, outdir: Path, timeout: int = SOFFICE_TIMEOUT) -> Path | None:
    """Convert ``source`` with LibreOffice headless (``fmt``: xlsx, pdf …); None when soffice is absent or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    outdir.mkdir(parents=True, exist_ok=True)
    if not _run_office(soffice, ["--convert-to", fmt, "--outdir", str(outdir), str(source)], timeout):
        return None
    result = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    return result if result.is_file() and result.stat().st_size > 0 else None


def convert_many_with_office(sources: list[Path], outdir: Path, timeout: int = SOFFICE_TIMEOUT) -> dict[Path, Path]:
    """Convert many .xls to .xlsx in one LibreOffice run (~0.17 s a file instead of ~1.5 s each).

    Sources must have distinct stems (they land in one folder). Returns source → converted file,
    for those that converted; an empty dict when soffice is absent or fails.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not sources:
        return {}
    outdir.mkdir(parents=True, exist_ok=True)
    if not _run_office(soffice, ["--convert-to", "xlsx", "--outdir", str(outdir), *map(str, sources)], timeout + 10 * len(sources)):
        return {}
    found = {}
    for source in sources:
        result = outdir / f"{source.stem}.xlsx"
        if result.is_file() and result.stat().st_size > 0:
            found[source] = result
    return found


#: LibreOffice runs under way, so that a stopped run can stop them too (see :func:`stop_office`).
_OFFICE_RUNS: set = set()


def _run_office(soffice: str, args: list[str], timeout: float) -> bool:
    """Run LibreOffice headless with a profile of its own; False if it could not start or timed out.

    It runs in a process group of its own, so that stopping it (timeout, Ctrl-C, SIGTERM, or
    :func:`stop_office` from another thread) also stops the soffice.bin it starts.
    """
    profile = Path(tempfile.mkdtemp(prefix="perfxl-lo-"))
    try:
        try:
            process = subprocess.Popen(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", *args],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HOME": str(profile)},
                start_new_session=(os.name == "posix"),
            )
        except (OSError, subprocess.SubprocessError):
            return False
        _OFFICE_RUNS.add(process)
        try:
            process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            _kill_office(process)
            return False
        except BaseException:
            _kill_office(process)
            raise
        finally:
            _OFFICE_RUNS.discard(process)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def stop_office() -> None:
    """Stop the LibreOffice runs under way (the run is being stopped; their waiting threads return at once)."""
    for process in list(_OFFICE_RUNS):
        _kill_office(process, wait=False)


def _kill_office(process, wait: bool = True) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, 9)
        else:
            process.kill()
    except OSError:
        pass
    if wait:
        process.wait()


def _rebuild_standard(results):
    """No LibreOffice: rebuild each form in the standard layout; findings re-pointed at the new cells."""
    from openpyxl import Workbook

    from .formbuilder import build_workbook
    from .reader import parse_sheet
    from .rules import CheckResult
    from .workbook import _grid_from_openpyxl

    wb = Workbook()
    wb.remove(wb.active)
    annotated = []
    for result in results:
        built = build_workbook(spec_from_form(result.form))
        ws = _copy_sheet(built.worksheets[0], wb, result.form.sheet)
        rebuilt = parse_sheet(_grid_from_openpyxl(ws), result.form.path)
        mapping = _address_map(result.form, rebuilt) if rebuilt else {}
        findings = [replace(f, cell=mapping.get(f.cell)) for f in result.findings]
        annotated.append(CheckResult(rebuilt or result.form, findings, result.computed))
    return wb, annotated


def spec_from_form(form: Form):
    """A FormSpec that rebuilds ``form`` in the standard layout (values as read, text stays text)."""
    from .formbuilder import FormSpec, IndicatorSpec

    stated = {group.name: group.stated_weight for group in form.level1_groups}

    def level1_label(name: str) -> str:
        weight = stated.get(name)
        return f"{name}\n（{format_number(weight)}分）" if weight is not None else name

    funds = {row.kind: tuple(getattr(row, name).raw for name in ("initial", "budget", "executed", "weight", "rate", "score")) for row in form.funds}
    unit = "（元）" if form.money_unit == "元" else "（万元）"
    block = [
        IndicatorSpec(level1_label(ind.level1), ind.level2, ind.level3.raw, ind.target.raw, ind.actual.raw, ind.weight.raw, ind.score.raw, ind.deviation.raw)
        for ind in form.indicators
    ]
    return FormSpec(
        title=form.title or "项目支出绩效自评表", subtitle=None, project=form.project.raw, department=form.department.raw,
        implementer=form.implementer.raw, funds=funds, goal_expected=form.goal_expected.raw, goal_actual=form.goal_actual.raw,
        blocks=[block], total_weight=form.total_weight.raw, total_score=form.total_score.raw, sheet_name=form.sheet,
        funds_label=f"项目资金\n{unit}",
    )


def _copy_sheet(source, wb, title: str):
    """Copy values, styles, merges and dimensions of ``source`` into a new sheet of ``wb``."""
    from copy import copy

    ws = wb.create_sheet(title)
    for (row, col), cell in source._cells.items():
        target = ws.cell(row=row, column=col)
        target._value, target.data_type = cell._value, cell.data_type
        if cell.has_style:
            target.font, target.border, target.fill = copy(cell.font), copy(cell.border), copy(cell.fill)
            target.alignment, target.number_format = copy(cell.alignment), cell.number_format
    for merged in source.merged_cells.ranges:
        ws.merge_cells(str(merged))
    for key, dim in source.column_dimensions.items():
        ws.column_dimensions[key].width = dim.width
    for key, dim in source.row_dimensions.items():
        ws.row_dimensions[key].height = dim.height
    ws.page_setup.paperSize, ws.page_setup.orientation = source.page_setup.paperSize, source.page_setup.orientation
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = source.page_setup.fitToWidth, source.page_setup.fitToHeight
    ws.sheet_properties.pageSetUpPr = copy(source.sheet_properties.pageSetUpPr)
    return ws


def _address_map(old: Form, new: Form) -> dict[str, str]:
    """Cell of the original form → the corresponding cell of the rebuilt one."""
    pairs: list[tuple[Cell, Cell]] = [(old.project, new.project), (old.department, new.department), (old.implementer, new.implementer),
                                      (old.goal_expected, new.goal_expected), (old.goal_actual, new.goal_actual),
                                      (old.total_label, new.total_label), (old.total_weight, new.total_weight), (old.total_score, new.total_score)]
    for row in old.funds:
        other = new.fund(row.kind)
        if other is not None:
            pairs += [(getattr(row, name), getattr(other, name)) for name in ("initial", "budget", "executed", "weight", "rate", "score")]
    for a, b in zip(old.indicators, new.indicators):
        pairs += [(getattr(a, name), getattr(b, name)) for name in ("level3", "target", "actual", "weight", "score", "deviation")]
    mapping = {a.address: b.address for a, b in pairs if a.address and b.address}
    groups = {g.name: g.cell for g in new.level1_groups}
    for group in old.level1_groups:
        if group.cell and groups.get(group.name):
            mapping[group.cell] = groups[group.name]
    return mapping
