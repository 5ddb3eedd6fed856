"""The filled workbook of an .xls input, written with openpyxl.

.xlsx/.xlsm inputs are written by :mod:`perfxl.write.patch` (the input package with surgical edits). An
.xls cannot be patched: LibreOffice converts it to .xlsx (:mod:`perfxl.read.office`), openpyxl loads the
conversion, perfxl marks it and saves it. Without LibreOffice the form is rebuilt in the standard
layout (:mod:`perfxl.write.rebuild`). What is marked (derived cells, comments, highlights, the 校验结果
sheet) is decided by :mod:`perfxl.mark.marks`; this module renders it with openpyxl.

openpyxl drops some parts of a workbook on load/save: before saving, :mod:`perfxl.write.losses` looks
into the converted package; dropdowns stored as ``x14`` extensions are re-created as classic
validations, whatever else cannot be kept becomes a ``roundtrip-loss`` finding.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from perfxl.write.losses import Loss, Validation, inspect_package, loss_findings, warning_losses, with_findings
from perfxl.mark.format import (FINDINGS_HEADERS, FINDINGS_SHEET, ORIGINAL_FILLS_SHEET, PERFXL_AUTHOR, USER_COMMENT_MARKER,
                                findings_sheet_file_name)
from perfxl.mark.marks import (BODY_SIZE, BORDER_COLOR, FONT_NAME, HEADER_FILL, HEADER_SIZE, HIGHLIGHT_COLORS, LINK_COLOR,
                               NO_FINDINGS, RATE_FORMAT, SCORE_FORMAT, SEVERITY_FILL, TITLE_SIZE, derived_comment,
                               findings_sheet, findings_text, highlight_color, worst_severity)
from perfxl.model import Finding
from perfxl.read.office import convert_with_office
from perfxl.atomic import atomic_path


def write_xls_workbook(book, results, target: Path | str) -> list[Finding]:
    """Write the filled, annotated workbook of ``book`` (an .xls checked as ``results``) to ``target``.

    ``target`` is written atomically; the input file is only read. Returns the ``roundtrip-loss``
    findings, one for each part of the input that cannot be kept; they are listed and marked in the
    workbook, and ``results`` are left as the check gave them.
    """
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="perfxl-") as scratch:
        wb, source, note, annotated = _load_for_writing(book, results, Path(scratch))
        validations, losses = inspect_package(source) if source is not None else ([], [])
        losses += warning_losses(book.load_warnings if source == book.path else [])
        if note.loss:
            losses.append(Loss(None, None, note.loss))
        _recreate_validations(wb, validations)
        _prepare_legacy_drawings(wb)
        lost = loss_findings(results, losses)
        annotated = with_findings(annotated, lost)
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
    return lost


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
    from perfxl.write.rebuild import rebuild_standard

    wb, annotated = rebuild_standard(results)
    note = _Note(
        f"原文件 {book.path.name} 为 .xls 格式，本机未找到 LibreOffice（已安装时可设置环境变量 PERFXL_SOFFICE 指向 soffice.exe），已按标准表格式重建（原格式未保留）。",
        "原 .xls 文件的格式、其他工作表和批注（未安装 LibreOffice，已按标准表格式重建表格内容）",
    )
    return wb, None, note, annotated


# ---------------------------------------------------------------- derived and flagged cells


def annotate_form(ws, result, originals: dict[str, str] | None = None) -> None:
    """Write the derived cells of one form and flag every finding's cell on ``ws``.

    ``originals`` collects the fill each highlighted cell had (see :func:`_record_original_fills`).
    """
    originals = {} if originals is None else originals
    form = result.form
    by_cell: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.cell and finding.sheet == form.sheet:
            by_cell.setdefault(_anchor(ws, finding.cell), []).append(finding)
    for address, derived in result.derived.items():
        _write_derived(ws, address, derived, by_cell.pop(address, []), originals)
    for address, findings in by_cell.items():
        cell = ws[address]
        _set_comment(cell, findings_text(findings))
        _highlight(cell, worst_severity(findings), originals)


def _write_derived(ws, address: str, derived, findings: list[Finding], originals: dict[str, str]) -> None:
    """A derived cell (a :class:`perfxl.checks.derived.Derived`) is changed only where a finding names
    it (check and fill agree): then it gets the recalculated value, and the value it stated goes into
    the comment when that differs."""
    if not findings:
        return
    value, kind = derived.value, derived.kind
    cell = ws[address]
    formula = cell.value if cell.data_type == "f" and isinstance(cell.value, str) else None
    if derived.differs or not formula:  # a formula that gives the right value is the form's own: keep it
        cell.value = value
        if kind == "grade":
            cell.data_type = "s"
        if kind == "rate":
            cell.number_format = RATE_FORMAT
        elif kind == "score":
            cell.number_format = SCORE_FORMAT
    _set_comment(cell, derived_comment(derived, findings, formula=formula))
    _highlight(cell, worst_severity(findings), originals)


def _highlight(cell, severity: str, originals: dict[str, str]) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.xml.functions import tostring

    if cell.fill.fill_type is not None and not _is_highlight(cell.fill):  # no fill, or ours: nothing to keep
        originals.setdefault(f"{cell.parent.title}!{cell.coordinate}", tostring(cell.fill.to_tree()).decode("utf-8"))
    color = highlight_color(severity)
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
    """Undo a previous perfxl run: its comments and highlights go (user comments and fills return)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if FINDINGS_SHEET in wb.sheetnames:
        del wb[FINDINGS_SHEET]
    fills = _original_fills(wb)
    for ws in wb.worksheets:
        for cell in [c for c in ws._cells.values() if c.comment is not None and c.comment.author == PERFXL_AUTHOR]:
            if _is_highlight(cell.fill):  # perfxl's colour, not one the user gave it since
                cell.fill = fills.get((ws.title, cell.coordinate), PatternFill())
            # The cell keeps what it shows: the check read it so (an .xls has no records perfxl
            # honours, see perfxl.checks.trust), and a record's formula is never written back.
            text = cell.comment.text or ""
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
    ws = wb.create_sheet(ORIGINAL_FILLS_SHEET)
    ws.sheet_state = "veryHidden"
    for row, (where, fill) in enumerate(sorted(originals.items()), start=1):
        for col, text in ((1, where), (2, fill)):
            cell = ws.cell(row=row, column=col, value=text)
            cell.data_type = "s"


def _original_fills(wb) -> dict[tuple[str, str], object]:
    """The fills a previous run recorded, by (sheet, cell); the record sheet itself goes."""
    if ORIGINAL_FILLS_SHEET not in wb.sheetnames:
        return {}
    from openpyxl.styles.fills import Fill
    from openpyxl.xml.functions import fromstring

    fills = {}
    for where, fill in wb[ORIGINAL_FILLS_SHEET].iter_rows(max_col=2, values_only=True):
        sheet, _, address = str(where or "").rpartition("!")
        try:
            fills[(sheet, address)] = Fill.from_tree(fromstring(str(fill)))
        except Exception:  # a record edited by hand: that cell gets no fill back
            continue
    del wb[ORIGINAL_FILLS_SHEET]
    return fills


def _is_highlight(fill) -> bool:
    """One of the fills perfxl highlights with (whatever alpha byte a later save gave its colour)."""
    rgb = getattr(fill.fgColor, "rgb", None)
    return fill.fill_type == "solid" and isinstance(rgb, str) and rgb[-6:].upper() in HIGHLIGHT_COLORS


def _anchor(ws, address: str) -> str:
    """The top-left cell of the merged range holding ``address`` (only anchors can be written)."""
    for merged in ws.merged_cells.ranges:
        if address in merged:
            return merged.start_cell.coordinate
    return address



# ---------------------------------------------------------------- the 校验结果 sheet


def write_findings_sheet(wb, file_name: str, results, note: str = "") -> None:
    """(Re)create the 校验结果 sheet (content and layout: :func:`perfxl.mark.marks.findings_sheet`)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.hyperlink import Hyperlink

    if FINDINGS_SHEET in wb.sheetnames:
        del wb[FINDINGS_SHEET]
    ws = wb.create_sheet(FINDINGS_SHEET)
    layout = findings_sheet(file_name, results, wb.sheetnames, note)
    body = Font(name=FONT_NAME, size=BODY_SIZE)
    link = Font(name=FONT_NAME, size=BODY_SIZE, color=LINK_COLOR, underline="single")
    thin = Side(style="thin", color=BORDER_COLOR)
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def solid(color: str):
        return PatternFill(fill_type="solid", start_color=color, end_color=color)

    def text(row: int, col: int, value: str, font=body):
        cell = ws.cell(row=row, column=col, value=value)
        cell.data_type = "s"  # text from forms and messages never becomes a formula
        cell.font = font
        return cell

    text(1, 1, FINDINGS_SHEET, Font(name=FONT_NAME, size=TITLE_SIZE, bold=True))
    for row, line in enumerate(layout.lines, start=2):
        text(row, 1, line)
    for col, title in enumerate(FINDINGS_HEADERS, 1):
        cell = text(layout.header_row, col, title, Font(name=FONT_NAME, size=HEADER_SIZE, bold=True))
        cell.fill = solid(HEADER_FILL)
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for item in layout.rows:
        for col, value in enumerate(item.values, 1):
            cell = text(item.row, col, value)
            cell.border = border
            cell.alignment = wrap
        ws.cell(row=item.row, column=1).fill = solid(SEVERITY_FILL[item.severity])
        if item.link:
            target = ws.cell(row=item.row, column=3)
            target.hyperlink = Hyperlink(ref=target.coordinate, location=item.link, display=item.values[2])
            target.font = link
    if layout.empty_row:
        text(layout.empty_row, 1, NO_FINDINGS).border = border
        for col in range(2, 5):
            ws.cell(row=layout.empty_row, column=col).border = border
    ws.freeze_panes = ws.cell(row=layout.header_row + 1, column=1).coordinate
    for col, width in enumerate(layout.widths, 1):
        ws.column_dimensions["ABCD"[col - 1]].width = width
    for row, height in layout.heights.items():
        ws.row_dimensions[row].height = height
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _previous_file_name(wb) -> str | None:
    """On a re-run, the original file name the earlier 校验结果 sheet named (keeps the output identical)."""
    if FINDINGS_SHEET not in wb.sheetnames:
        return None
    ws = wb[FINDINGS_SHEET]
    return findings_sheet_file_name(lambda row, col: ws.cell(row=row, column=col).value, range(1, ws.max_row + 1))


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

