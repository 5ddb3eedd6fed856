"""The batch summary workbook 汇总.xlsx: one row per form (or per unreadable file).

Text that came from the forms is written as text (``data_type = "s"``), so a project named
``=HYPERLINK(...)`` stays a name and never becomes a formula. Links to the outputs are relative,
so the output folder can be moved or zipped and sent on as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path

from .batch import SUMMARY_NAME, FileRecord
from .numbers import round_half_up
from .writeutil import atomic_path

SHEET_NAME = "汇总"
COLUMNS = (
    "文件", "项目名称", "主管部门", "全年预算数", "全年执行数", "执行率",
    "总分（填写）", "总分（重算）", "等级", "错误数", "警告数", "状态", "自评结果", "自评报告",
)
_MONEY, _RATE, _SCORE, _COUNT = "#,##0.00", "0.00%", "0.00", "0"
_FORMATS = {"全年预算数": _MONEY, "全年执行数": _MONEY, "执行率": _RATE, "总分（填写）": _SCORE, "总分（重算）": _SCORE, "错误数": _COUNT, "警告数": _COUNT}
_MAX_WIDTH = 60


def summary_rows(records: list[FileRecord]) -> list[dict]:
    """The rows of 汇总 as dicts keyed by column; links are paths (or None)."""
    rows = []
    for record in records:
        if record.error_code is not None:
            rows.append({"文件": record.label, "_file": record.path, "状态": f"{record.status}：{record.error_message}"})
            continue
        several = len(record.forms) > 1
        for form in record.forms:
            rows.append({
                "文件": f"{record.label}［{form.sheet}］" if several else record.label,
                "_file": record.path,
                "项目名称": form.project,
                "主管部门": form.department,
                "全年预算数": form.budget,
                "全年执行数": form.executed,
                "执行率": form.rate,
                "总分（填写）": form.score_stated,
                "总分（重算）": form.score_computed,
                "等级": form.grade,
                "错误数": form.errors,
                "警告数": form.warnings,
                "状态": "通过" if form.ok else "有错误",
                "自评结果": record.workbook,
                "自评报告": form.report,
            })
    return rows


def write_summary(records: list[FileRecord], folder: Path, force: bool = False) -> Path:
    """Write ``folder/汇总.xlsx`` atomically and return its path (FormError if it cannot be written).

    An existing 汇总.xlsx that perfxl did not write is kept (FormError) unless ``force``.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .provenance import refuse_foreign
    from .writer import display_width as _text_width

    target = Path(folder) / SUMMARY_NAME
    refuse_foreign(target, force)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    widths = [_text_width(name) for name in COLUMNS]
    error_font = Font(color="C00000")
    for row_index, row in enumerate(summary_rows(records), start=2):
        for col, name in enumerate(COLUMNS, start=1):
            value = row.get(name)
            cell = ws.cell(row=row_index, column=col)
            if name in ("自评结果", "自评报告"):
                if value is not None:
                    _link(cell, Path(value).name, _relative(Path(value), target.parent))
                    widths[col - 1] = max(widths[col - 1], _text_width(Path(value).name))
                continue
            if name == "文件":
                _link(cell, value, _relative(row["_file"], target.parent))
            elif isinstance(value, str):
                _text(cell, value)
            elif value is not None:
                cell.value = _rounded(value, name)
                cell.number_format = _FORMATS.get(name, "General")
            if name == "状态" and value != "通过":
                cell.font = error_font
            widths[col - 1] = max(widths[col - 1], _text_width(_shown(value, name)))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 1)}"
    with atomic_path(target) as temp:
        wb.save(temp)
    return target


def _text(cell, value: str) -> None:
    """Text stays text: openpyxl would otherwise store '=…' as a formula. Characters XML cannot hold
    (ESC and other controls, which a file name may carry) are written as escapes such as ``\\x1b``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from .systext import printable

    cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda found: printable(found.group()), value)
    cell.data_type = "s"
    if value.startswith(("=", "+", "-", "@")):
        cell.quotePrefix = True


def _link(cell, text: str, target: str) -> None:
    from urllib.parse import quote

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    _text(cell, text)
    cell.hyperlink = ILLEGAL_CHARACTERS_RE.sub(lambda found: quote(found.group()), target)  # XML cannot hold ESC & co.
    cell.style = "Hyperlink"
    cell.data_type = "s"


def _relative(path: Path, base: Path) -> str:
    """A link Excel resolves against the summary's folder; absolute where no relative path exists."""
    try:
        return Path(os.path.relpath(Path(path).absolute(), Path(base).absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).absolute().as_uri()


def _rounded(value, name: str):
    """What accountants see: 执行率 to 0.01 %, amounts and scores to 0.01 (half away from zero)."""
    if not isinstance(value, float):
        return value
    return round_half_up(value, 4 if name == "执行率" else 2)


def _shown(value, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2%}" if name == "执行率" else f"{value:,.2f}"
    return str(value)
