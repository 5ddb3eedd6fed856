"""Build a 项目支出绩效自评表 workbook in the standard (财政部 2020) layout.

``samples/make_samples.py`` uses it to rebuild the seed form faithfully (mistakes included) and to
write the shipped blank form ``templates/自评表模板.xlsx``, which ``perfxl template`` copies as it is;
``perfxl.write.rebuild`` uses it to rebuild an .xls form in this layout when LibreOffice is missing.
The benchmarks' generator and the tests vary it (inserted rows, no 年初预算数, renamed labels);
layouts only the tests need are applied on top of it in tests/formvariants.py. Forms as other
provinces lay them out are typed cell by cell in the tests instead (tests/realforms.py,
tests/test_variants.py), so that the reader meets layouts it was not built from.
Everything here writes; nothing reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.read import labels as L

FUND_ROWS = (
    ("funds_total", "年度资金总额"),
    ("funds_current", "其中：当年财政拨款"),
    ("funds_carryover", "上年结转资金"),
    ("funds_other", "其他资金"),
)


@dataclass
class IndicatorSpec:
    level1: str | None  # label as printed, e.g. "产出指标\n(50分)"; None or "" for an empty cell
    level2: str | None
    level3: object = None
    target: object = None
    actual: object = None
    weight: object = None
    score: object = None
    deviation: object = None


@dataclass
class FormSpec:
    """What to put in the form. Values are written exactly as given (text stays text)."""

    title: str = "项目支出绩效自评表"
    subtitle: str | None = "（    年度）"
    project: object = None
    department: object = None
    implementer: object = None
    # kind → (年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分)
    funds: dict[str, tuple] = field(default_factory=dict)
    goal_expected: object = None
    goal_actual: object = None
    blocks: list[list[IndicatorSpec]] = field(default_factory=list)
    total_weight: object = None
    total_score: object = None
    with_initial: bool = True
    label_overrides: dict[str, str] = field(default_factory=dict)  # e.g. {"全年\n预算数": "全年预算数（A）"}
    funds_label: str = "项目资金\n（万元）"
    leading_rows: list[str] = field(default_factory=list)  # extra text rows inserted above the table
    report_info: dict[str, str] | None = None
    report_info_hints: dict[str, str] = field(default_factory=dict)  # 报告信息 column C 填写说明, by 项目
    sheet_name: str = "自评表"
    narrative_rows: dict[str, str] = field(default_factory=dict)  # 评价结论/存在问题/改进措施 rows after 总分


def standard_blocks() -> list[list[IndicatorSpec]]:
    """The blank indicator skeleton of the standard form."""
    rows = [
        ("产出指标\n（50分）", "数量指标"), ("产出指标\n（50分）", "数量指标"),
        ("产出指标\n（50分）", "质量指标"), ("产出指标\n（50分）", "时效指标"), ("产出指标\n（50分）", "成本指标"),
        ("效益指标\n（30分）", "经济效益\n指标"), ("效益指标\n（30分）", "社会效益\n指标"),
        ("效益指标\n（30分）", "生态效益\n指标"), ("效益指标\n（30分）", "可持续影响\n指标"),
        ("满意度\n指标\n（10分）", "服务对象\n满意度指标"),
    ]
    return [[IndicatorSpec(l1, l2) for l1, l2 in rows]]


def build_workbook(spec: FormSpec):
    """An openpyxl Workbook holding the form described by ``spec``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet_name
    put, center, left = _cell_writer(ws)
    label = spec.label_overrides.get

    ws.merge_cells("A1:I1")
    ws["A1"] = spec.title
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    row = 2
    if spec.subtitle:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=9)
        ws.cell(row=row, column=1, value=spec.subtitle).alignment = Alignment(horizontal="center")
        row += 1
    for text in spec.leading_rows:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=9)
        ws.cell(row=row, column=1, value=text).alignment = left
        row += 1

    put(row, 1, label("项目名称", "项目名称"))
    put(row, 2, spec.project, end_col=9)
    row += 1
    put(row, 1, label("主管部门", "主管部门"))
    put(row, 2, spec.department, end_col=5)
    put(row, 6, label("实施单位", "实施单位"), end_col=7)
    put(row, 8, spec.implementer, end_col=9)
    row += 1

    funds_top = row
    headers = ["年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分"]
    if not spec.with_initial:
        headers = headers[1:]
    value_start = 10 - len(headers)
    put(row, 2, None, end_col=value_start - 1)
    for offset, text in enumerate(headers):
        put(row, value_start + offset, label(text, text))
    row += 1
    for kind, default_label in FUND_ROWS:
        values = list(spec.funds.get(kind, (None,) * 6))
        if not spec.with_initial:
            values = values[1:]
        put(row, 2, label(default_label, default_label), end_col=value_start - 1)
        for offset, value in enumerate(values):
            is_rate = headers[offset] == "执行率"
            put(row, value_start + offset, value, fmt="0%" if is_rate and isinstance(value, (int, float)) else None)
        row += 1
    put(funds_top, 1, spec.funds_label, end_row=row - 1)

    put(row, 1, label("年度总体目标", "年度总体目标"), end_row=row + 1)
    put(row, 2, label("预期目标", "预期目标"), end_col=5)
    put(row, 6, label("实际完成情况", "实际完成情况"), end_col=9)
    put(row + 1, 2, spec.goal_expected, end_col=5, align=left)
    put(row + 1, 6, spec.goal_actual, end_col=9, align=left)
    ws.row_dimensions[row + 1].height = 90
    row += 2

    value_texts = ["三级指标", "年度\n指标值", "实际\n完成值", "分值", "得分", "偏差原因分析及改进措施"]
    weight_col, last_col = 7, 9
    for block_index, block in enumerate(spec.blocks):
        block_top = row
        if block_index == 0:
            for col, text in enumerate(["一级指标", "二级指标", *value_texts], start=2):
                put(row, col, label(text, text))
            row += 1
        first_row = row
        for item in block:
            values = [item.level3, item.target, item.actual, item.weight, item.score, item.deviation]
            for col, value in enumerate(values, start=4):
                put(row, col, value, align=center if col in (weight_col, weight_col + 1) else left)
            ws.row_dimensions[row].height = 40
            row += 1
        _merge_runs(put, first_row, [item.level1 for item in block], col=2)
        _merge_runs(put, first_row, [item.level2 for item in block], col=3)
        put(block_top, 1, "绩\n效\n指\n标", end_row=max(row - 1, block_top))

    put(row, 1, label("总分", "总分"), end_col=weight_col - 1)
    put(row, weight_col, spec.total_weight)
    put(row, weight_col + 1, spec.total_score)
    put(row, last_col, None)
    row += 1
    for key, text in spec.narrative_rows.items():
        put(row, 1, key, end_col=2)
        put(row, 3, text, end_col=last_col, align=left)
        ws.row_dimensions[row].height = 45
        row += 1

    _columns_and_print(ws, (7, 11, 12, 20, 24, 14, 7, 7, 22))
    ws.print_title_rows = None

    if spec.report_info is not None:
        _report_info_sheet(wb, spec.report_info, spec.report_info_hints)
    return wb


def _cell_writer(ws):
    """``put(row, col, value, align=…, end_col=…, end_row=…, fmt=…)`` writing bordered 宋体 cells (merged
    when a range is given; text stays text, even when it starts with '='), and the two alignments it uses."""
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name="宋体", size=10)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)

    def put(row: int, col: int, value, *, align=center, end_col: int | None = None, end_row: int | None = None, fmt: str | None = None):
        cell = ws.cell(row=row, column=col)
        if value is not None:
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
        for r in range(row, (end_row or row) + 1):
            for c in range(col, (end_col or col) + 1):
                other = ws.cell(row=r, column=c)
                other.border, other.font, other.alignment = border, body_font, align
        if fmt:
            cell.number_format = fmt
        if (end_col and end_col != col) or (end_row and end_row != row):
            ws.merge_cells(start_row=row, start_column=col, end_row=end_row or row, end_column=end_col or col)

    return put, center, left


def _columns_and_print(ws, widths: tuple) -> None:
    """Column widths A–I and the print setup of a form: A4 portrait, one page wide, centred."""
    from openpyxl.worksheet.properties import PageSetupProperties

    for letter, width in zip("ABCDEFGHI", widths):
        ws.column_dimensions[letter].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True


def _report_info_sheet(wb, report_info: dict[str, str], hints: dict[str, str]) -> None:
    """The 报告信息 sheet: 项目 / 内容 (what perfxl reads), and 填写说明 (a hint per row) where given."""
    from openpyxl.styles import Alignment, Font

    info = wb.create_sheet(L.REPORT_INFO_SHEET)
    info.append(["项目", "内容", "填写说明"] if hints else ["项目", "内容"])
    for key, text in report_info.items():
        info.append([key, text, hints[key]] if key in hints else [key, text])
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 80 if hints else 100
    if hints:
        info.column_dimensions["C"].width = 60
        info.freeze_panes = "B2"
    for cell in info[1]:
        cell.font = Font(bold=True)
    for cells in info.iter_rows(min_row=2):
        for cell in cells[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if len(cells) > 2:
            cells[2].font = Font(color="808080")


def _merge_runs(put, first_row: int, values: list, col: int) -> None:
    """Write a column of labels, merging runs of the same non-empty label vertically."""
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and values[end + 1] and values[end + 1] == values[start]:
            end += 1
        value = values[start]
        put(first_row + start, col, value if value is not None else None, end_row=first_row + end)
        start = end + 1


def save(spec: FormSpec, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = build_workbook(spec)
    wb.save(path)
    return path


def blank_template_spec() -> FormSpec:
    from perfxl.read.labels import REPORT_INFO_ROWS

    return FormSpec(
        subtitle="（    年度）",
        blocks=standard_blocks(),
        funds={"funds_total": (None, None, None, 10, None, None)},
        total_weight=100,
        report_info=dict.fromkeys(REPORT_INFO_ROWS, ""),
        report_info_hints=dict(REPORT_INFO_ROWS),
    )


# ---------------------------------------------------------------- the 部门整体支出绩效自评表


#: The parts of each breakdown of a department's money, as the 财政部 template lists them.
INCOME_PARTS = ("一般公共预算", "政府性基金拨款", "纳入专户管理的非税收入拨款", "其他资金")
EXPENDITURE_PARTS = ("基本支出", "项目支出")


@dataclass
class DepartmentSpec:
    """What to put in a 部门整体支出绩效自评表 (the 财政部 template's layout, columns A–I)."""

    title: str = "年度部门整体支出绩效自评表"
    unit: object = None  # 部门（单位）名称
    contact: object = None
    phone: object = None
    # (年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分) of 年度资金总额
    total: tuple = (None, None, None, 10, None, None)
    # (label, (年初预算数, 全年预算数, 全年执行数)) of each part, 按收入性质分 and 按支出性质分
    income: list[tuple[str, tuple]] = field(default_factory=lambda: [(name, (None, None, None)) for name in INCOME_PARTS])
    expenditure: list[tuple[str, tuple]] = field(default_factory=lambda: [(name, (None, None, None)) for name in EXPENDITURE_PARTS])
    goal_expected: object = None
    goal_actual: object = None
    indicators: list[IndicatorSpec] = field(default_factory=list)
    total_weight: object = None
    total_score: object = None
    grade: object = None
    report_info: dict[str, str] | None = None
    report_info_hints: dict[str, str] = field(default_factory=dict)


def build_department_workbook(spec: DepartmentSpec):
    """An openpyxl Workbook holding the 部门整体支出绩效自评表 described by ``spec``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    put, center, left = _cell_writer(ws)

    ws.merge_cells("A1:I1")
    ws["A1"] = spec.title
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    put(2, 1, "部门（单位）名称")
    put(2, 2, spec.unit, end_col=9, align=left)
    put(3, 1, "联系人")
    put(3, 2, spec.contact, end_col=4, align=left)
    put(3, 5, "联系电话")
    put(3, 6, spec.phone, end_col=9, align=left)
    put(4, 1, "年度预算申请（万元）", end_col=2)
    for col, text in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=3):
        put(4, col, text)
    put(4, 9, None)
    put(5, 1, None)
    put(5, 2, "年度资金总额")
    for col, value in enumerate(spec.total, start=3):
        put(5, col, value, fmt="0%" if col == 7 and isinstance(value, (int, float)) else None)
    put(5, 9, None)
    row = 6
    for heading, parts in (("按收入性质分", spec.income), ("按支出性质分", spec.expenditure)):
        top = row
        for label, amounts in parts:
            put(row, 2, label)
            for col, value in enumerate(amounts, start=3):
                put(row, col, value)
            for col in range(6, 10):
                put(row, col, None)
            row += 1
        put(top, 1, heading, end_row=row - 1)
    put(row, 1, "年度总体目标", end_row=row + 1)
    put(row, 2, "预期目标", end_col=5)
    put(row, 6, "实际完成情况", end_col=9)
    put(row + 1, 2, spec.goal_expected, end_col=5, align=left)
    put(row + 1, 6, spec.goal_actual, end_col=9, align=left)
    ws.row_dimensions[row + 1].height = 60
    row += 2
    top = row
    for col, text in enumerate(("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"), start=2):
        put(row, col, text)
    row += 1
    first = row
    for item in spec.indicators:
        for col, value in enumerate((item.level3, item.target, item.actual, item.weight, item.score, item.deviation), start=4):
            put(row, col, value, align=center if col in (7, 8) else left)
        ws.row_dimensions[row].height = 30
        row += 1
    _merge_runs(put, first, [item.level1 for item in spec.indicators], col=2)
    _merge_runs(put, first, [item.level2 for item in spec.indicators], col=3)
    put(top, 1, "绩\n效\n指\n标", end_row=max(row - 1, top))
    put(row, 1, "总分", end_col=6)
    put(row, 7, spec.total_weight)
    put(row, 8, spec.total_score)
    put(row, 9, spec.grade)

    _columns_and_print(ws, (12, 16, 12, 20, 14, 14, 7, 7, 22))
    if spec.report_info is not None:
        _report_info_sheet(wb, spec.report_info, spec.report_info_hints)
    return wb


def blank_department_spec() -> DepartmentSpec:
    """The blank 部门整体支出绩效自评表 ``perfxl template --department`` writes."""
    from perfxl.read.labels import DEPARTMENT_REPORT_INFO_ROWS

    skeleton = [("产出指标\n（50分）", "数量指标"), ("产出指标\n（50分）", "质量指标"), ("产出指标\n（50分）", "时效指标"),
                ("产出指标\n（50分）", "成本指标"), ("效益指标\n（30分）", "经济效益\n指标"), ("效益指标\n（30分）", "社会效益\n指标"),
                ("效益指标\n（30分）", "生态效益\n指标"), ("效益指标\n（30分）", "可持续影响\n指标"),
                ("满意度\n指标\n（10分）", "服务对象\n满意度指标")]
    return DepartmentSpec(
        indicators=[IndicatorSpec(l1, l2) for l1, l2 in skeleton], total_weight=100,
        report_info=dict.fromkeys(DEPARTMENT_REPORT_INFO_ROWS, ""), report_info_hints=dict(DEPARTMENT_REPORT_INFO_ROWS),
    )
