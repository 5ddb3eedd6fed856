"""What perfxl marks on a filled workbook, decided once for both workbook writers.

perfxl changes only:

* derived cells (执行率, 预算执行率得分, 总分 分值/得分, 等级): the recalculated value, shown as
  ``100.00%`` / ``10.00``; where the form stated something else, the original goes into a comment
  (``原填写：92；按规则重新计算：102``) and the cell is highlighted;
* cells with findings: highlighted, with the findings as a comment, value untouched;
* a ``校验结果`` sheet listing every finding, each linked to its cell.

Which cells are derived, and whether each states something else, the check decides
(:mod:`perfxl.checks.derived`, ``CheckResult.derived``). This module decides the rest as plain
values: the comment texts, the highlight colours, and the 校验结果 sheet's content and layout (:func:`findings_sheet`). The
writers only render it: :mod:`perfxl.write.patch` as XML into the input package (.xlsx/.xlsm),
:mod:`perfxl.write.xlswriter` with openpyxl (.xls inputs). The words by which a file says perfxl
marked it (the author, the records, the sheets) are :mod:`perfxl.mark.format`'s.

All comments are written by :data:`~perfxl.mark.format.PERFXL_AUTHOR`; a re-run removes them first, so
filling an output again gives the same workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from perfxl.mark.format import FILE_PREFIX, FINDINGS_HEADERS, original_comment, original_record
from perfxl.model import KIND_ZH, SEVERITY_ORDER, SEVERITY_ZH, Finding
from perfxl.read import schemes
from perfxl.numbers import format_number, format_percent, text_width

RATE_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
CHANGED_FILL = SEVERITY_FILL["warning"]
#: Every colour perfxl highlights with (RRGGBB, upper case): a cell with one of these was marked by perfxl.
HIGHLIGHT_COLORS = frozenset(color.upper() for color in (*SEVERITY_FILL.values(), CHANGED_FILL))


# ---------------------------------------------------------------- derived and flagged cells


def shown_value(value, kind: str) -> str:
    """A recalculated value as the comment states it (``100.00%``, ``102``, ``优``)."""
    if kind == "rate":
        return format_percent(value)
    if kind == "grade":
        return str(value)
    return format_number(value)


def findings_text(findings: list[Finding]) -> str:
    """The comment of a flagged cell: one ``【错误】…`` line per finding."""
    return "\n".join(f"【{SEVERITY_ZH[f.severity]}】{f.message}" for f in findings)


def worst_severity(findings: list[Finding]) -> str:
    """The most severe of ``findings`` (it picks the cell's highlight colour)."""
    return min((f.severity for f in findings), key=SEVERITY_ORDER.__getitem__)


def highlight_color(severity: str) -> str:
    """The fill (RRGGBB) of a cell flagged with ``severity``."""
    return SEVERITY_FILL.get(severity, CHANGED_FILL)


def derived_comment(derived, findings: list[Finding], *, formula: str | None, record: str | None = None) -> str:
    """The comment of a derived cell perfxl rewrites (a :class:`perfxl.checks.derived.Derived`): the
    findings, after the recorded original when the form stated something else (``formula``: the
    cell's own formula, ``=…``, if it had one; ``record``: the words of the earlier run's record the
    reading honoured, kept as they were)."""
    text = findings_text(findings)
    if derived.differs:
        if record is None:
            shown = derived.shown if not (formula and derived.stated.raw is None) else ""
            record = original_record(shown, formula, is_text=isinstance(derived.stated.raw, str))
        text = original_comment(record, shown_value(derived.value, derived.kind)) + "\n" + text
    return text


# ---------------------------------------------------------------- the 校验结果 sheet

FONT_NAME = "宋体"
TITLE_SIZE, HEADER_SIZE, BODY_SIZE = 14, 11, 10
HEADER_FILL = "D9D9D9"
BORDER_COLOR = "999999"
LINK_COLOR = "0563C1"
NO_FINDINGS = "未发现问题"


@dataclass(frozen=True)
class FindingRow:
    """One row of the findings table: the four texts, the severity (its fill is the first cell's),
    and where the 单元格 text links to (``'表'!H25``; None: no link)."""

    row: int
    values: tuple[str, str, str, str]
    severity: str
    link: str | None


@dataclass(frozen=True)
class FindingsSheet:
    """The 校验结果 sheet as content, for a writer to render.

    Row 1 is :data:`~perfxl.mark.format.FINDINGS_SHEET` (title font); ``lines`` follow from row 2 (body font); the
    header row (:data:`~perfxl.mark.format.FINDINGS_HEADERS`, bold, grey, bordered, centred) is frozen under; then one
    bordered, wrapped :class:`FindingRow` per finding (the first cell filled with
    :data:`SEVERITY_FILL` of its severity, the third a hyperlink where ``link`` is set), or, with no
    findings, :data:`NO_FINDINGS` in a bordered row ``empty_row``. The sheet prints landscape,
    one page wide.
    """

    lines: list[str]
    header_row: int
    rows: list[FindingRow]
    empty_row: int | None
    widths: list[int]  # columns A–D, in characters
    heights: dict[int, float] = field(default_factory=dict)  # rows whose wrapped text needs more than one line

    @property
    def last_row(self) -> int:
        return self.empty_row or (self.rows[-1].row if self.rows else self.header_row)


def findings_sheet(file_name: str, results, sheet_names: Iterable[str], note: str = "") -> FindingsSheet:
    """The content of the 校验结果 sheet for ``results`` (the forms of the file ``file_name``).

    ``sheet_names``: the workbook's sheets (a finding links to its cell where its sheet is one);
    ``note``: a sentence on how the output was made (an .xls input), said under the summaries.
    """
    sheet_names = set(sheet_names)
    lines = [f"{FILE_PREFIX}{file_name}"]
    for result in results:
        c = result.computed
        counts = "，".join(f"{SEVERITY_ZH[s]} {result.count(s)} 项" for s in SEVERITY_ORDER)
        lines.append(f"工作表“{result.form.sheet}”（{KIND_ZH[result.form.kind]}{schemes.note(result.form.scheme)}）：总分（按规则重新计算）{format_number(c.total_score)}，{c.grade_text}；{counts}")
    if note:
        lines.append(f"说明：{note}")
    header_row = len(lines) + 3  # title, the lines, a blank row
    form_sheets = {r.form.sheet for r in results}
    several = len(form_sheets) > 1
    widths = [text_width(h) for h in FINDINGS_HEADERS]
    rows = []
    for number, finding in enumerate((f for r in results for f in r.findings), start=header_row + 1):
        label = finding.cell or "—"
        if finding.cell and (several or finding.sheet not in form_sheets):
            label = f"{finding.sheet}!{finding.cell}"
        values = (SEVERITY_ZH[finding.severity], finding.code, label, finding.message)
        link = None
        if finding.cell and finding.sheet in sheet_names:
            link = f"'{finding.sheet.replace(chr(39), chr(39) * 2)}'!{finding.cell}"
        rows.append(FindingRow(number, values, finding.severity, link))
        widths = [max(width, text_width(value)) for width, value in zip(widths, values)]
    final = [min(max(width + 2, 8), 90 if col == 4 else 30) for col, width in enumerate(widths, 1)]
    usable = [final[0], final[1], final[2], final[3] * 0.92]  # the message column wraps a little early
    heights = {}
    for row in rows:  # wrapped messages: give each row the lines it needs
        lines_needed = max(-(-text_width(value) // int(usable[c])) for c, value in enumerate(row.values))
        if lines_needed > 1:
            heights[row.row] = 14 * lines_needed + 2
    empty_row = None if rows else header_row + 1
    return FindingsSheet(lines, header_row, rows, empty_row, final, heights)
