"""The batch summary workbook 汇总.xlsx, printed and read by a 财政局 department by department.

Three sheets: 汇总 (one row per form or unreadable file, then a 合计 row), 按主管部门 (a pandas groupby
over the same rows) and 图表 (grade distribution, 执行率 by 主管部门). Each prints on A4 landscape, one
page wide, with the header row repeated and page numbers at the foot.

Text that came from the forms is written as text (``data_type = "s"``), so a project named
``=HYPERLINK(...)`` stays a name and never becomes a formula. Links to the outputs are relative,
so the output folder can be moved or zipped and sent on as a whole.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from perfxl.mark.format import SUMMARY_SIGNATURE
from perfxl.batch.records import STATUSES, FileRecord, FormRow, shown_statuses
from perfxl.pipeline import SUMMARY_NAME
from perfxl.read.labels import GRADE_PENDING
from perfxl.numbers import round_half_up
from perfxl.atomic import atomic_path

SHEET_NAME = "汇总"
BUDGET, EXECUTED = "全年预算数（万元）", "全年执行数（万元）"
COLUMNS = (
    *SUMMARY_SIGNATURE, BUDGET, EXECUTED, "执行率",  # 文件 类型 项目名称 主管部门: how provenance knows a 汇总 of perfxl's
    "总分（填写）", "总分（重算）", "等级", "错误数", "警告数", "状态", "原表", "自评结果", "自评报告",
)
LINKS = ("原表", "自评结果", "自评报告")  # short link texts; LibreOffice neither wraps nor clips a link's text
_MONEY, _RATE, _SCORE, _COUNT = "#,##0.00", "0.00%", "0.00", "0"
_FORMATS = {BUDGET: _MONEY, EXECUTED: _MONEY, "执行率": _RATE, "总分（填写）": _SCORE, "总分（重算）": _SCORE, "错误数": _COUNT, "警告数": _COUNT}
_MAX_WIDTH = 60
_WRAPPED = {"文件": 30, "类型": 8, "项目名称": 26, "主管部门": 16, "等级": 8, "状态": 24}  # wrap within this width
_CENTERED = ("类型", "等级", "错误数", "警告数")
_TOTAL_FORMATS = {"总分（重算）": '"平均 "0.00'}
GRADES = ("优", "良", "中", "差", GRADE_PENDING)
DEPARTMENT_SHEET = "按主管部门"
CHART_SHEET = "图表"
UNNAMED_DEPARTMENT = "（未填写主管部门）"
def scheme_label(code: str) -> str:
    """``（湖北20/80）`` after the 类型 of a form on another scheme than the 财政部 2020 one ('' for that)."""
    from perfxl.read import schemes

    return "" if code == schemes.MOF_2020.code else f"（{schemes.of(code).short}）"


#: 类型 of a form in 汇总 (model.KIND_*): the two kinds are counted apart in 按主管部门.
KIND_LABELS = {"project": "项目", "department": "部门整体"}
DEPARTMENT_COLUMNS = ("主管部门", "项目数", "部门整体表", BUDGET, EXECUTED, "执行率", "平均分", *GRADES, "有错误的表")
_DEPARTMENT_COUNTS = ("项目数", "部门整体表", *GRADES, "有错误的表")
_DEPARTMENT_FORMATS = {BUDGET: _MONEY, EXECUTED: _MONEY, "执行率": _RATE, "平均分": _SCORE, **dict.fromkeys(_DEPARTMENT_COUNTS, _COUNT)}
#: One font for every cell, so that the printed page is of a piece (Excel's default would give the
#: header, the 合计 row and the links three different faces); 宋体 is on every Chinese Windows.
FONT_NAME = "宋体"
FONT_SIZE = 10.5


@dataclass(frozen=True)
class SummaryRow:
    """One line of 汇总: a checked form, or a file that could not be read or written (``form`` None)."""

    label: str  # 文件: the name shown (relative to the folder given), with the sheet when a file has several forms
    source: Path  # 原表
    status: str  # one of STATUSES
    reason: str = ""  # why a file is 无法读取 / 无法写入
    form: FormRow | None = None
    workbook: Path | None = None  # 自评结果

    def value(self, column: str):
        """The cell of ``column`` (links are paths, or None)."""
        if column == "文件":
            return self.label
        if column == "状态":
            return f"{self.status}：{self.reason}" if self.reason else self.status
        if column == "原表":
            return self.source
        if column == "自评结果":
            return self.workbook
        form = self.form
        if form is None:
            return None
        if column == "类型":
            return KIND_LABELS.get(form.kind, form.kind) + scheme_label(form.scheme)
        if column == "自评报告":
            return form.report
        return getattr(form, _FORM_FIELDS[column])


#: The 汇总 columns that are fields of a :class:`FormRow`.
_FORM_FIELDS = {"项目名称": "project", "主管部门": "department", BUDGET: "budget", EXECUTED: "executed", "执行率": "rate",
                "总分（填写）": "score_stated", "总分（重算）": "score_computed", "等级": "grade", "错误数": "errors", "警告数": "warnings"}


def summary_rows(records: list[FileRecord]) -> list[SummaryRow]:
    """The rows of 汇总: one per form, or one for a file with an error."""
    rows = []
    for record in records:
        if record.error_code is not None:
            rows.append(SummaryRow(record.label, record.path, record.status, record.error_message or ""))
            continue
        several = len(record.forms) > 1
        for form in record.forms:
            label = f"{record.label}［{form.sheet}］" if several else record.label
            rows.append(SummaryRow(label, record.path, STATUSES[0] if form.ok else STATUSES[1], form=form, workbook=record.workbook))
    return rows


@dataclass(frozen=True)
class Totals:
    """The 合计 line of 汇总 and the counts that go below it, each in a cell of its own."""

    files: int
    forms: int
    budget: float | None
    executed: float | None
    rate: float | None  # over the forms that give both amounts, so a missing 执行数 does not read as unspent money
    average: float | None  # of the graded scores
    errors: int
    warnings: int
    grades: dict[str, int]
    statuses: dict[str, int]

    def values(self) -> dict:
        """The 合计 row, by column."""
        return {"文件": f"合计（{self.files} 个文件，{self.forms} 份自评表）", BUDGET: self.budget, EXECUTED: self.executed,
                "执行率": self.rate, "总分（重算）": self.average, "错误数": self.errors, "警告数": self.warnings}


def summary_totals(rows: list[SummaryRow]) -> Totals:
    forms = [row.form for row in rows if row.form is not None]
    budget = sum(form.budget for form in forms if form.budget is not None)
    executed = sum(form.executed for form in forms if form.executed is not None)
    both = [form for form in forms if form.budget and form.executed is not None]
    both_budget = sum(form.budget for form in both)
    graded = [form.score_computed for form in forms if form.grade in GRADES[:4] and form.score_computed is not None]
    statuses = [row.status for row in rows]
    return Totals(
        files=len(rows), forms=len(forms),
        budget=budget if forms else None,
        executed=executed if forms else None,
        rate=sum(form.executed for form in both) / both_budget if both_budget else None,
        average=sum(graded) / len(graded) if graded else None,
        errors=sum(form.errors or 0 for form in forms),
        warnings=sum(form.warnings or 0 for form in forms),
        grades={grade: sum(1 for form in forms if form.grade == grade) for grade in GRADES},
        statuses={status: statuses.count(status) for status in shown_statuses(statuses)},
    )


def department_frame(rows: list[SummaryRow]):
    """The 按主管部门 table (pandas): per 主管部门 the projects, amounts, rate, average score, grades, errors;
    sorted as a Chinese reader looks names up (by pinyin), the forms without a 主管部门 last."""
    import pandas as pd

    forms = pd.DataFrame([dataclasses.asdict(row.form) for row in rows if row.form is not None],
                         columns=[field.name for field in dataclasses.fields(FormRow)])
    if forms.empty:
        return pd.DataFrame(columns=list(DEPARTMENT_COLUMNS))
    forms["department"] = forms["department"].fillna("").astype(str).str.strip().replace("", UNNAMED_DEPARTMENT)
    for column in ("budget", "executed", "score_computed"):
        forms[column] = pd.to_numeric(forms[column], errors="coerce")
    both = forms["budget"].gt(0) & forms["executed"].notna()
    forms["_rate_budget"] = forms["budget"].where(both)
    forms["_rate_executed"] = forms["executed"].where(both)
    forms["_graded_score"] = forms["score_computed"].where(forms["grade"].isin(GRADES[:4]))
    forms["_has_errors"] = forms["errors"].fillna(0).astype(int).gt(0)
    forms["_project"] = forms["kind"].eq("project").astype(int)
    forms["_department"] = forms["kind"].eq("department").astype(int)
    for grade in GRADES:
        forms[f"_{grade}"] = forms["grade"].eq(grade).astype(int)
    grouped = forms.groupby("department", sort=False)
    table = pd.DataFrame({
        "项目数": grouped["_project"].sum(),
        "部门整体表": grouped["_department"].sum(),
        BUDGET: grouped["budget"].sum(min_count=1),
        EXECUTED: grouped["executed"].sum(min_count=1),
        "执行率": grouped["_rate_executed"].sum(min_count=1) / grouped["_rate_budget"].sum(min_count=1),
        "平均分": grouped["_graded_score"].mean(),
        **{grade: grouped[f"_{grade}"].sum() for grade in GRADES},
        "有错误的表": grouped["_has_errors"].sum(),
    }).rename_axis("主管部门").reset_index()
    table["_unnamed"] = table["主管部门"].eq(UNNAMED_DEPARTMENT)
    table["_pinyin"] = table["主管部门"].map(pinyin_key)
    table = table.sort_values(["_unnamed", "_pinyin", "主管部门"], kind="stable").reset_index(drop=True)
    return table[list(DEPARTMENT_COLUMNS)]


def pinyin_key(name: str) -> str:
    """How a Chinese reader orders names: by the pinyin of each character (示例 < 益阳 < 某县 is code-point
    order; 某 mǒu < 示 shì < 益 yì is a reader's), tones breaking ties; other text as it is, lower-cased."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.TONE3, errors=lambda text: [text.lower()]))


def write_summary(records: list[FileRecord], folder: Path, force: bool = False) -> Path:
    """Write ``folder/汇总.xlsx`` atomically and return its path (FormError if it cannot be written).

    An existing 汇总.xlsx that perfxl did not write is kept (FormError) unless ``force``.

    Sheets: 汇总 (one row per form, a 合计 row), 按主管部门 (pandas groupby) and 图表 (grade
    distribution, 执行率 by 主管部门); each prints on A4 landscape, one page wide, header repeated."""
    import openpyxl

    from perfxl.mark.provenance import refuse_foreign

    target = Path(folder) / SUMMARY_NAME
    refuse_foreign(target, force)
    rows = summary_rows(records)
    totals = summary_totals(rows)
    wb = openpyxl.Workbook()
    _summary_sheet(wb.active, rows, totals, target.parent)
    departments = department_frame(rows)
    dep = wb.create_sheet(DEPARTMENT_SHEET)
    _department_sheet(dep, departments, totals)
    _charts(wb, totals.grades, dep, len(departments))
    with atomic_path(target) as temp:
        wb.save(temp)
    return target


def _font(**options):
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=FONT_SIZE, **options)


def _put(cell, value, name: str, formats: dict) -> None:
    """One value: text stays text, numbers rounded as accountants see them, NaN/None left empty."""
    if isinstance(value, str):
        _text(cell, value)
    elif value is not None and value == value:  # NaN != NaN
        value = value.item() if hasattr(value, "item") else value  # numpy scalars from pandas
        cell.value = _rounded(float(value), name) if isinstance(value, float) else value
        cell.number_format = formats.get(name, "General")


def _total_row(ws, row: int, columns, values: dict, formats: dict) -> None:
    from openpyxl.styles import Alignment, Border, Side

    bold, rule = _font(bold=True), Border(top=Side(style="thin"))
    for col, name in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=col)
        _put(cell, values.get(name), name, formats)
        cell.font, cell.border = bold, rule
        cell.alignment = Alignment(wrap_text=col == 1, vertical="top", horizontal="center" if name in _CENTERED else None)


def _counts_block(ws, row: int, title: str, counts: dict[str, int]) -> int:
    """Counts under the 合计 row, each in a cell of its own: a row of names, a row of numbers
    (等级 优 良 中 差 待定 / 份数 2 1 0 0 3). Returns the next free row."""
    from openpyxl.styles import Alignment

    center = Alignment(horizontal="center", vertical="top")
    for offset, (label, values) in enumerate(((title, list(counts)), ("份数", list(counts.values())))):
        head = ws.cell(row=row + offset, column=1)
        _text(head, label)
        head.font, head.alignment = _font(bold=True), Alignment(horizontal="right", vertical="top")
        for col, value in enumerate(values, start=2):
            cell = ws.cell(row=row + offset, column=col)
            if isinstance(value, str):
                _text(cell, value)
            else:
                cell.value, cell.number_format = value, _COUNT
            cell.font, cell.alignment = _font(bold=offset == 0), center
    return row + 2


def _summary_sheet(ws, rows: list[SummaryRow], totals: Totals, base: Path) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from perfxl.numbers import text_width

    ws.title = SHEET_NAME
    _header(ws, COLUMNS)
    widths = [max(text_width(name.split("（万元）")[0]) if "（万元）" in name else text_width(name) / 2, 6) for name in COLUMNS]  # a header may wrap onto two lines
    plain, error_font = _font(), _font(color="C00000")
    for row_index, row in enumerate(rows, start=2):
        for col, name in enumerate(COLUMNS, start=1):
            value = row.value(name)
            cell = ws.cell(row=row_index, column=col)
            cell.alignment = Alignment(wrap_text=name in _WRAPPED, vertical="top", horizontal="center" if name in _CENTERED else None)
            cell.font = plain
            if name in LINKS:
                if value is not None:  # a short label: the name is the input's plus _自评结果/_自评报告
                    _link(cell, name, _relative(Path(value), base))
                continue
            _put(cell, value, name, _FORMATS)
            if name == "状态" and value != "通过":
                cell.font = error_font
            widths[col - 1] = max(widths[col - 1], text_width(_shown(value, name)))
    last = len(rows) + 1
    _total_row(ws, last + 1, COLUMNS, totals.values(), {**_FORMATS, **_TOTAL_FORMATS})
    after = _counts_block(ws, last + 3, "等级", totals.grades)
    _counts_block(ws, after, "状态", totals.statuses)
    for name in ("总分（填写）", "总分（重算）"):  # one-line header; room for the 合计 row's "平均 99.36"
        widths[COLUMNS.index(name)] = max(widths[COLUMNS.index(name)], text_width(name))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, _WRAPPED.get(COLUMNS[col - 1], _MAX_WIDTH))
    _fit_row_heights(ws, text_width)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(last, 1)}"  # the 合计 row stays out of the filter
    _print_setup(ws)


def _department_sheet(ws, departments, totals: Totals) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from perfxl.numbers import text_width

    _header(ws, DEPARTMENT_COLUMNS)
    widths = [text_width(name.split("（")[0]) for name in DEPARTMENT_COLUMNS]
    for row_index, record in enumerate(departments.itertuples(index=False), start=2):
        for col, (name, value) in enumerate(zip(DEPARTMENT_COLUMNS, record), start=1):
            cell = ws.cell(row=row_index, column=col)
            _put(cell, value, name, _DEPARTMENT_FORMATS)
            cell.font = _font()
            cell.alignment = Alignment(wrap_text=col == 1, vertical="top", horizontal="center" if name in _DEPARTMENT_COUNTS else None)
            widths[col - 1] = max(widths[col - 1], text_width(_shown(cell.value, name)))
    # The 合计 of each count is the sum of its column, so the page adds up as printed.
    sums = {name: int(departments[name].sum()) if len(departments) else 0 for name in _DEPARTMENT_COUNTS}
    total_row = len(departments) + 2
    _total_row(ws, total_row, DEPARTMENT_COLUMNS, {
        "主管部门": f"合计（{len(departments)} 个主管部门）", **sums,
        BUDGET: totals.budget, EXECUTED: totals.executed, "执行率": totals.rate, "平均分": totals.average,
    }, _DEPARTMENT_FORMATS)
    for col, name in enumerate(DEPARTMENT_COLUMNS, start=1):
        if name in _DEPARTMENT_COUNTS:
            ws.cell(row=total_row, column=col).alignment = Alignment(horizontal="center", vertical="top")
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, 32 if col == 1 else _MAX_WIDTH)
    _fit_row_heights(ws, text_width)
    ws.freeze_panes = "B2"
    _print_setup(ws)


_LINE_HEIGHT = 14.25  # points per line of 10.5-point 宋体 (Excel's own height for it)


def _fit_row_heights(ws, text_width) -> None:
    """Every row gets the height its wrapped text needs (one line at least): Excel and LibreOffice do
    not grow rows written without heights, so wrapped text would be cut off on paper."""
    import math

    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows(min_row=1):
        lines = 1
        for cell in row:
            if cell.value is None or cell.hyperlink is not None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or 10  # 2 units hold one CJK character
            parts = _shown(cell.value, "").split("\n")  # a line break of its own starts a line
            lines = max(lines, sum(max(1, math.ceil(text_width(part) / max(width, 1))) for part in parts))
        ws.row_dimensions[row[0].row].height = lines * _LINE_HEIGHT + 3


def _header(ws, columns) -> None:
    from openpyxl.styles import Alignment, PatternFill

    for col, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=name.replace("（万元）", "\n（万元）"))  # the unit on a line of its own
        cell.font, cell.fill = _font(bold=True), PatternFill("solid", fgColor="DDEBF7")
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
        sheet.cell(row=row, column=1).font = sheet.cell(row=row, column=2).font = _font()
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

    from perfxl.systext import printable

    cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda found: printable(found.group()), value)
    cell.data_type = "s"
    if value.startswith(("=", "+", "-", "@")):
        cell.quotePrefix = True


def _link(cell, text: str, target: str) -> None:
    from urllib.parse import quote

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment

    _text(cell, text)
    cell.hyperlink = ILLEGAL_CHARACTERS_RE.sub(lambda found: quote(found.group()), target)  # XML cannot hold ESC & co.
    cell.style = "Hyperlink"
    cell.font, cell.alignment = _font(color="0563C1", underline="single"), Alignment(vertical="top")
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
