"""The batch summary workbook 汇总.xlsx, printed and read by a 财政局 department by department.

Three sheets: 汇总 (one row per form or unreadable file, then a 合计 row), 按主管部门 (a pandas groupby
over the same rows) and 图表 (grade distribution, 执行率 by 主管部门). Each prints on A4 landscape, one
page wide, with the header row repeated and page numbers at the foot.

Text that came from the forms is written as text (``data_type = "s"``), so a project named
``=HYPERLINK(...)`` stays a name and never becomes a formula. Links to the outputs are relative,
so the output folder can be moved or zipped and sent on as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path

from .batch import SUMMARY_NAME, FileRecord
from .labels import GRADE_PENDING
from .numbers import round_half_up
from .writeutil import atomic_path

SHEET_NAME = "汇总"
COLUMNS = (
    "文件", "类型", "项目名称", "主管部门", "全年预算数", "全年执行数", "执行率",
    "总分（填写）", "总分（重算）", "等级", "错误数", "警告数", "状态", "自评结果", "自评报告",
)
_MONEY, _RATE, _SCORE, _COUNT = "#,##0.00", "0.00%", "0.00", "0"
_FORMATS = {"全年预算数": _MONEY, "全年执行数": _MONEY, "执行率": _RATE, "总分（填写）": _SCORE, "总分（重算）": _SCORE, "错误数": _COUNT, "警告数": _COUNT}
_MAX_WIDTH = 60
_WRAPPED = {"文件": 32, "类型": 8, "项目名称": 26, "主管部门": 16, "等级": 12, "状态": 24}  # wrap within this width
_TOTAL_FORMATS = {"总分（重算）": '"平均 "0.00'}
GRADES = ("优", "良", "中", "差", GRADE_PENDING)
STATUSES = ("通过", "有错误", "无法读取")
DEPARTMENT_SHEET = "按主管部门"
CHART_SHEET = "图表"
UNNAMED_DEPARTMENT = "（未填写主管部门）"
#: 类型 of a form in 汇总 (model.KIND_*): the two kinds are counted apart in 按主管部门.
KIND_LABELS = {"project": "项目", "department": "部门整体"}
DEPARTMENT_COLUMNS = ("主管部门", "项目数", "部门整体表", "全年预算数", "全年执行数", "执行率", "平均分", *GRADES, "有错误的表")
_DEPARTMENT_FORMATS = {"全年预算数": _MONEY, "全年执行数": _MONEY, "执行率": _RATE, "平均分": _SCORE,
                       **{name: _COUNT for name in ("项目数", "部门整体表", *GRADES, "有错误的表")}}


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
                "类型": KIND_LABELS.get(form.kind, form.kind),
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


def summary_totals(rows: list[dict]) -> dict:
    """The 合计 line of 汇总: counts, sums, the overall 执行率 and the average of the graded scores."""
    forms = [row for row in rows if "项目名称" in row]
    budget = sum(row["全年预算数"] for row in forms if row.get("全年预算数") is not None)
    executed = sum(row["全年执行数"] for row in forms if row.get("全年执行数") is not None)
    # The rate over the forms that give both amounts, so a missing 执行数 does not read as unspent money.
    both = [row for row in forms if row.get("全年预算数") and row.get("全年执行数") is not None]
    both_budget = sum(row["全年预算数"] for row in both)
    graded = [row["总分（重算）"] for row in forms if row.get("等级") in GRADES[:4] and row.get("总分（重算）") is not None]
    grades = {grade: sum(1 for row in forms if row.get("等级") == grade) for grade in GRADES}
    kinds = [_status_kind(row["状态"]) for row in rows]
    statuses = {status: kinds.count(status) for status in [*STATUSES, *sorted(set(kinds) - set(STATUSES))]}
    return {
        "文件": f"合计（{len(rows)} 个文件，{len(forms)} 份自评表）",
        "全年预算数": budget if forms else None,
        "全年执行数": executed if forms else None,
        "执行率": sum(row["全年执行数"] for row in both) / both_budget if both_budget else None,
        "总分（重算）": sum(graded) / len(graded) if graded else None,
        "等级": "，".join(f"{grade} {count}" for grade, count in grades.items()),
        "错误数": sum(row.get("错误数") or 0 for row in forms),
        "警告数": sum(row.get("警告数") or 0 for row in forms),
        "状态": "，".join(f"{status} {count}" for status, count in statuses.items()),
        "_grades": grades,
    }


def _status_kind(status: str) -> str:
    """通过 / 有错误 / 无法读取 (the reason after the colon dropped)."""
    return status.split("：", 1)[0]


def department_frame(rows: list[dict]):
    """The 按主管部门 table (pandas): per 主管部门 the projects, amounts, rate, average score, grades, errors."""
    import pandas as pd

    forms = pd.DataFrame([row for row in rows if "项目名称" in row], columns=[c for c in COLUMNS if c not in ("状态", "自评结果", "自评报告")])
    if forms.empty:
        return pd.DataFrame(columns=list(DEPARTMENT_COLUMNS))
    forms["主管部门"] = forms["主管部门"].fillna("").astype(str).str.strip().replace("", UNNAMED_DEPARTMENT)
    for column in ("全年预算数", "全年执行数", "总分（重算）"):
        forms[column] = pd.to_numeric(forms[column], errors="coerce")
    both = forms["全年预算数"].gt(0) & forms["全年执行数"].notna()
    forms["_rate_budget"] = forms["全年预算数"].where(both)
    forms["_rate_executed"] = forms["全年执行数"].where(both)
    forms["_graded_score"] = forms["总分（重算）"].where(forms["等级"].isin(GRADES[:4]))
    forms["_has_errors"] = forms["错误数"].fillna(0).astype(int).gt(0)
    for grade in GRADES:
        forms[f"_{grade}"] = forms["等级"].eq(grade).astype(int)
    grouped = forms.groupby("主管部门", sort=False)
    table = pd.DataFrame({
        "项目数": grouped["类型"].apply(lambda kinds: int(kinds.eq(KIND_LABELS["project"]).sum())),
        "部门整体表": grouped["类型"].apply(lambda kinds: int(kinds.eq(KIND_LABELS["department"]).sum())),
        "全年预算数": grouped["全年预算数"].sum(min_count=1),
        "全年执行数": grouped["全年执行数"].sum(min_count=1),
        "执行率": grouped["_rate_executed"].sum(min_count=1) / grouped["_rate_budget"].sum(min_count=1),
        "平均分": grouped["_graded_score"].mean(),
        **{grade: grouped[f"_{grade}"].sum() for grade in GRADES},
        "有错误的表": grouped["_has_errors"].sum(),
    }).reset_index()
    # Named departments in order, the forms without one last.
    table["_unnamed"] = table["主管部门"].eq(UNNAMED_DEPARTMENT)
    table = table.sort_values(["_unnamed", "主管部门"], kind="stable").drop(columns="_unnamed").reset_index(drop=True)
    return table[list(DEPARTMENT_COLUMNS)]


def write_summary(records: list[FileRecord], folder: Path, force: bool = False) -> Path:
    """Write ``folder/汇总.xlsx`` atomically and return its path (FormError if it cannot be written).

    An existing 汇总.xlsx that perfxl did not write is kept (FormError) unless ``force``.

    Sheets: 汇总 (one row per form, a 合计 row), 按主管部门 (pandas groupby) and 图表 (grade
    distribution, 执行率 by 主管部门); each prints on A4 landscape, one page wide, header repeated."""
    import openpyxl

    from .provenance import refuse_foreign

    target = Path(folder) / SUMMARY_NAME
    refuse_foreign(target, force)
    rows = summary_rows(records)
    totals = summary_totals(rows)
    wb = openpyxl.Workbook()
    _summary_sheet(wb.active, rows, totals, target.parent)
    departments = department_frame(rows)
    dep = wb.create_sheet(DEPARTMENT_SHEET)
    _department_sheet(dep, departments, totals)
    _charts(wb, totals["_grades"], dep, len(departments))
    with atomic_path(target) as temp:
        wb.save(temp)
    return target


def _put(cell, value, name: str, formats: dict) -> None:
    """One value: text stays text, numbers rounded as accountants see them, NaN/None left empty."""
    if isinstance(value, str):
        _text(cell, value)
    elif value is not None and value == value:  # NaN != NaN
        value = value.item() if hasattr(value, "item") else value  # numpy scalars from pandas
        cell.value = _rounded(float(value), name) if isinstance(value, float) else value
        cell.number_format = formats.get(name, "General")


def _total_row(ws, row: int, columns, values: dict, formats: dict) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side

    bold, rule, wrap = Font(bold=True), Border(top=Side(style="thin")), Alignment(wrap_text=True, vertical="top")
    for col, name in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=col)
        _put(cell, values.get(name), name, formats)
        cell.font, cell.border, cell.alignment = bold, rule, wrap


def _summary_sheet(ws, rows: list[dict], totals: dict, base: Path) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from .numbers import text_width

    ws.title = SHEET_NAME
    _header(ws, COLUMNS)
    widths = [max(text_width(name) / 2, 6) for name in COLUMNS]  # a header may wrap onto two lines
    error_font = Font(color="C00000")
    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    for row_index, row in enumerate(rows, start=2):
        for col, name in enumerate(COLUMNS, start=1):
            value = row.get(name)
            cell = ws.cell(row=row_index, column=col)
            cell.alignment = wrap if name in _WRAPPED else top
            if name in ("自评结果", "自评报告"):
                if value is not None:  # a short label: the name is the input's plus _自评结果/_自评报告
                    _link(cell, name, _relative(Path(value), base))
                    cell.alignment = top
                continue
            if name == "文件":
                _link(cell, value, _relative(row["_file"], base))
                cell.alignment = top  # LibreOffice does not wrap a link's text
            else:
                _put(cell, value, name, _FORMATS)
            if name == "状态" and value != "通过":
                cell.font = error_font
            widths[col - 1] = max(widths[col - 1], text_width(_shown(value, name)))
    last = len(rows) + 1
    _total_row(ws, last + 1, COLUMNS, totals, {**_FORMATS, **_TOTAL_FORMATS})
    widths[COLUMNS.index("等级")] = max(widths[COLUMNS.index("等级")], 12)  # the 合计 row's grade counts on a few lines
    for name in ("总分（填写）", "总分（重算）"):  # one-line header; room for the 合计 row's "平均 99.36"
        widths[COLUMNS.index(name)] = max(widths[COLUMNS.index(name)], text_width(name))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, _WRAPPED.get(COLUMNS[col - 1], _MAX_WIDTH))
    _fit_row_heights(ws, text_width)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(last, 1)}"  # the 合计 row stays out of the filter
    _print_setup(ws)


def _department_sheet(ws, departments, totals: dict) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from .numbers import text_width

    _header(ws, DEPARTMENT_COLUMNS)
    widths = [text_width(name) for name in DEPARTMENT_COLUMNS]
    for row_index, record in enumerate(departments.itertuples(index=False), start=2):
        for col, (name, value) in enumerate(zip(DEPARTMENT_COLUMNS, record), start=1):
            cell = ws.cell(row=row_index, column=col)
            _put(cell, value, name, _DEPARTMENT_FORMATS)
            cell.alignment = Alignment(wrap_text=col == 1, vertical="center")
            widths[col - 1] = max(widths[col - 1], text_width(_shown(cell.value, name)))
    _total_row(ws, len(departments) + 2, DEPARTMENT_COLUMNS, {
        "主管部门": f"合计（{len(departments)} 个主管部门）", "项目数": sum(totals["_grades"].values()),
        "全年预算数": totals["全年预算数"], "全年执行数": totals["全年执行数"], "执行率": totals["执行率"],
        "平均分": totals["总分（重算）"], **totals["_grades"],
        "有错误的表": int(departments["有错误的表"].sum()) if len(departments) else 0,
    }, _DEPARTMENT_FORMATS)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, 32 if col == 1 else _MAX_WIDTH)
    _fit_row_heights(ws, text_width)
    ws.freeze_panes = "B2"
    _print_setup(ws)


_LINE_HEIGHT = 15  # points per line of 11-point text


def _fit_row_heights(ws, text_width) -> None:
    """Row heights for wrapped text: Excel and LibreOffice do not grow rows written without heights,
    so a long status would be cut off on paper."""
    import math

    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows(min_row=1):
        lines = 1
        for cell in row:
            if cell.value is None or cell.hyperlink is not None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = (ws.column_dimensions[get_column_letter(cell.column)].width or 10) - 1
            lines = max(lines, math.ceil(text_width(_shown(cell.value, "")) / max(width, 1)))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * _LINE_HEIGHT


def _header(ws, columns) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for col, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _print_setup(ws) -> None:
    """A4 landscape, every column on one page width, the header row on every page, page numbers."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.oddHeader.center.text = "&A"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _charts(wb, grades: dict[str, int], dep, departments: int) -> None:
    """图表: the grade distribution (its small table beside it) and 执行率 by 主管部门."""
    from openpyxl.chart import BarChart, Reference

    sheet = wb.create_sheet(CHART_SHEET)
    _header(sheet, ("等级", "份数"))
    for row, (grade, count) in enumerate(grades.items(), start=2):
        _text(sheet.cell(row=row, column=1), grade)
        sheet.cell(row=row, column=2, value=count)
    chart = BarChart()
    chart.type = "col"
    chart.title = "自评等级分布"
    chart.y_axis.title = "份数"
    chart.y_axis.majorUnit = 1
    chart.y_axis.numFmt = "0"
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=len(grades) + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(grades) + 1))
    _show_axes(chart)
    chart.width, chart.height = 16, 8
    sheet.add_chart(chart, "D2")

    rate = BarChart()
    rate.type = "bar"  # horizontal: long department names stay readable
    rate.title = "各主管部门预算执行率"
    rate.x_axis.title = None
    rate.y_axis.numFmt = "0%"
    rate.y_axis.scaling.min = 0
    rate.legend = None
    if departments:
        column = DEPARTMENT_COLUMNS.index("执行率") + 1
        rate.add_data(Reference(dep, min_col=column, min_row=1, max_row=departments + 1), titles_from_data=True)
        rate.set_categories(Reference(dep, min_col=1, min_row=2, max_row=departments + 1))
    rate.x_axis.scaling.orientation = "maxMin"  # the first department at the top, as in the table
    _show_axes(rate)
    rate.width, rate.height = 16, max(6, 1 + 0.8 * departments)
    sheet.add_chart(rate, "D20")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 8
    _print_setup(sheet)
    sheet.page_setup.fitToHeight = 1


def _show_axes(chart) -> None:
    """openpyxl ≥ 3.1 writes axes as deleted unless told otherwise; LibreOffice and Excel then hide them."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


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
