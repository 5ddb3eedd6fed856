"""Workbooks built the way provinces really publish the 项目支出绩效自评表 (issue 12).

Plain openpyxl, no perfxl imports: perfxl's own form builder shares the reader's vocabulary and so
cannot surprise the reader. Each layout piece writes rows at a cursor, the way a 财政部 template copy
looks: a merged title, 项目名称 / 主管部门 rows, the 项目资金 block with its label merged down column A,
the 年度总体目标 rows, the 绩效指标 table with vertically merged 一级/二级 cells, the 总分 row,
footnotes. A variant is a few calls with other labels, columns or values.

    python tests/realvariants.py OUTDIR     # writes every variant of the corpus (tests/realvariants.py) to OUTDIR

Values are written exactly as given: text stays text (``"1,200,000.00"``), numbers stay numbers, a
:class:`Fmt` gives a number its number format (``Fmt(0.9583, "0.00%")``), a string starting with
``=`` is a formula (written without a cached result, as openpyxl does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

W = "\u3000"  # full-width space, everywhere on published forms

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
_LEFT = Alignment(wrap_text=True, vertical="center", horizontal="left")


@dataclass(frozen=True)
class Fmt:
    """A number with its number format, e.g. a rate typed as 0.9583 and shown as 95.83 %."""

    value: object
    number_format: str


class FormSheet:
    """One 自评表 on one worksheet, written top to bottom. ``ncols`` is the table width (A…)."""

    def __init__(self, ncols: int = 9, sheet_name: str = "Sheet1", wb: Workbook | None = None):
        if wb is None:
            self.wb = Workbook()
            self.ws = self.wb.active
            self.ws.title = sheet_name
        else:
            self.wb = wb
            self.ws = wb.create_sheet(sheet_name)
        self.ncols = ncols
        self.row = 1
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True  # printed on one page wide, as published
        self.ws.page_setup.fitToWidth, self.ws.page_setup.fitToHeight = 1, 0
        self.ws.column_dimensions["A"].width = 10
        for col in range(2, ncols + 1):
            self.ws.column_dimensions[get_column_letter(col)].width = 14
        #: row numbers of interest, by name, for tests that point at cells ("funds_total", "total", …)
        self.rows: dict[str, int] = {}

    # ------------------------------------------------------------ low level

    def put(self, row: int, col: int, value, rows: int = 1, cols: int = 1, *, bold=False, left=False, border=True) -> None:
        """Write ``value`` at (row, col) and merge it over rows × cols; borders on the whole range."""
        cell = self.ws.cell(row=row, column=col)
        if isinstance(value, Fmt):
            cell.value = value.value
            cell.number_format = value.number_format
        elif value is not None:
            cell.value = value
            if isinstance(value, str) and not value.startswith("="):
                cell.data_type = "s"
        cell.alignment = _LEFT if left else _WRAP
        if bold:
            cell.font = Font(bold=True)
        if rows > 1 or cols > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1, end_column=col + cols - 1)
        lines = str(value).count("\n") + 1 if isinstance(value, str) else 1
        if border and (self.ws.row_dimensions[row].height or 0) < 15 * max(2, lines) / rows:
            self.ws.row_dimensions[row].height = 15 * max(2, lines) / rows
        if border:
            for r in range(row, row + rows):
                for c in range(col, col + cols):
                    self.ws.cell(row=r, column=c).border = _BORDER

    def line(self, text, *, border=False, bold=False, left=True, height: float | None = None) -> int:
        """A text line across the whole width (title, 填报单位, footnote). Returns its row."""
        row = self.row
        self.put(row, 1, text, 1, self.ncols, border=border, bold=bold, left=left)
        if height:
            self.ws.row_dimensions[row].height = height
        self.row += 1
        return row

    def blank_line(self) -> None:
        self.row += 1

    # ------------------------------------------------------------ pieces

    def title(self, *lines: str) -> None:
        """The title, one merged row per line (``"（2021年度）项目支出绩效自评表"`` or two lines)."""
        for i, text in enumerate(lines):
            height = 40 if "\n" in text else None
            self.line(text, bold=i == 0, left=False, height=height)

    def pair(self, label: str, value, label2: str | None = None, value2=None, name: str | None = None) -> None:
        """``label | value`` over the width, or ``label | value | label2 | value2`` (the value spans to the end)."""
        row = self.row
        self.put(row, 1, label)
        if label2 is None:
            self.put(row, 2, value, 1, self.ncols - 1, left=True)
        else:
            half = (self.ncols - 1) // 2
            self.put(row, 2, value, 1, half - 1, left=True)
            self.put(row, 1 + half, label2)
            self.put(row, 2 + half, value2, 1, self.ncols - 1 - half, left=True)
        if name:
            self.rows[name] = row
        self.row += 1

    def identity(self, project, department, implementer, *, project_label="项目名称", department_label="主管部门",
                 implementer_label="实施单位") -> None:
        self.pair(project_label, project, name="project")
        self.pair(department_label, department, implementer_label, implementer, name="department")

    def funds(self, block_label: str, columns: list[str], rows: list[tuple[str, list]], *, header_label=None,
              names: tuple[str, ...] = ()) -> None:
        """The funds block: ``block_label`` merged down column A over header + rows; the row labels
        merged across the columns the values leave free; ``columns`` the value headers, right-aligned
        to the table's last column. ``names`` gives row names for :attr:`rows` (header first)."""
        start = self.row
        nvalues = len(columns)
        first_value_col = self.ncols - nvalues + 1
        label_cols = first_value_col - 2
        self.put(start, 1, block_label, 1 + len(rows))
        self.put(start, 2, header_label, 1, label_cols)
        for i, head in enumerate(columns):
            self.put(start, first_value_col + i, head)
        for r, (label, values) in enumerate(rows, start=1):
            self.put(start + r, 2, label, 1, label_cols, left=True)
            assert len(values) == nvalues, f"{label}: {len(values)} values for {nvalues} columns"
            for i, value in enumerate(values):
                self.put(start + r, first_value_col + i, value)
        for i, name in enumerate(names):
            self.rows[name] = start + i
        self.value_cols = {head: first_value_col + i for i, head in enumerate(columns)}
        self.row = start + 1 + len(rows)

    def goals(self, expected: str, actual: str, *, label="年度总体目标", heads=("预期目标", "实际完成情况")) -> None:
        start = self.row
        self.put(start, 1, label, 2)
        half = (self.ncols - 1) // 2
        self.put(start, 2, heads[0], 1, half)
        self.put(start, 2 + half, heads[1], 1, self.ncols - 1 - half)
        self.put(start + 1, 2, expected, 1, half, left=True)
        self.put(start + 1, 2 + half, actual, 1, self.ncols - 1 - half, left=True)
        self.ws.row_dimensions[start + 1].height = 60
        self.row = start + 2

    def indicators(self, columns: list[tuple[str, str]], rows: list[dict], *, block_label="绩效指标",
                   merge=("l1", "l2"), sub_header: dict[str, list[tuple[str, str]]] | None = None) -> None:
        """The indicator table. ``columns`` are (key, header) from column B on; keys l1 l2 l3 target
        actual weight score dev (or nature/value/unit for a split target). Each row is a dict of
        key → value; consecutive equal l1 (and l2) values are written once and merged down, as on
        printed forms. ``sub_header``: {header key: [(sub key, sub header)]} gives a two-row header where that
        header spans its sub-columns (年度指标值 over 指标性质/指标值/度量单位); the other headers are
        merged down over both header rows.
        """
        start = self.row
        header_rows = 2 if sub_header else 1
        col = 2
        keys: list[str] = []
        for key, head in columns:
            subs = (sub_header or {}).get(key)
            if subs:
                self.put(start, col, head, 1, len(subs))
                for i, (sub_key, sub_head) in enumerate(subs):
                    self.put(start + 1, col + i, sub_head)
                    keys.append(sub_key)
                col += len(subs)
            else:
                self.put(start, col, head, header_rows)
                keys.append(key)
                col += 1
        assert col - 1 <= self.ncols, "indicator table wider than the sheet"
        first = start + header_rows
        self.put(start, 1, block_label, header_rows + len(rows))
        for r, data in enumerate(rows):
            for i, key in enumerate(keys):
                if key in merge:
                    continue
                self.put(first + r, 2 + i, data.get(key), left=key in ("target", "actual", "dev", "l3"))
        for key in merge:
            if key not in keys:
                continue
            c = 2 + keys.index(key)
            r = 0
            while r < len(rows):
                value = rows[r].get(key)
                end = r + 1
                while value and end < len(rows) and rows[end].get(key) == value and (
                    key == "l1" or rows[end].get("l1") == rows[r].get("l1")
                ):
                    end += 1
                self.put(first + r, c, value, end - r)
                r = end
        self.ind_cols = {key: 2 + i for i, key in enumerate(keys)}
        self.rows["indicators_header"] = start
        self.rows["first_indicator"] = first
        self.row = first + len(rows)

    def total(self, weight, score, *, label="总分", last=None, label_to: str = "weight") -> None:
        """``总分 | weight | score | last``: the label merged up to the 分值 column of the table."""
        row = self.row
        weight_col = self.ind_cols[label_to]
        score_col = self.ind_cols.get("score", weight_col + 1)
        self.put(row, 1, label, 1, weight_col - 1)
        self.put(row, weight_col, weight)
        if score_col > weight_col + 1:  # 衔接 layout: 分值 | 年度指标值 | 全年实际值 | 得分 — the middle left blank
            self.put(row, weight_col + 1, None, 1, score_col - weight_col - 1)
        self.put(row, score_col, score)
        rest = score_col + 1
        if rest <= self.ncols:
            self.put(row, rest, last, 1, self.ncols - rest + 1)
        self.rows["total"] = row
        self.row += 1

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(path)
        return path


# ================================================================ standard content
#
# One project, typed the way a county water bureau would: standard weights 10 + 50 + 30 + 10,
# 1150 of 1200 万元 spent, one deduction (with its reason). Hand-computed:
#   执行率 1150 / 1200 = 95.83 %, 预算执行率得分 0.958333 × 10 = 9.58
#   三级分值 90, 三级得分 89.78 (满意度 88 / 90 × 10 = 9.78), 总分 9.58 + 89.78 = 99.36, 分值合计 100

PROJECT = "农村饮水安全巩固提升工程"
DEPARTMENT = "示例县水利局"
IMPLEMENTER = "示例县农村供水管理站"
GOAL_EXPECTED = "新建集中供水工程12处，改造供水管网35公里以上，巩固提升3.2万农村人口饮水安全保障水平。"
GOAL_ACTUAL = "新建集中供水工程12处，改造供水管网36.5公里，3.4万农村人口饮水安全保障水平得到巩固提升。"

OUT, BEN, SAT = "产出指标\n（50分）", "效益指标\n（30分）", "满意度\n指标\n（10分）"
DEV_SAT = "部分村组供水时段不稳定，下一步加强管网巡查和水源调度"


def std_rows(out=OUT, ben=BEN, sat=SAT) -> list[dict]:
    """The eight indicators of the standard content, as row dicts."""
    return [
        dict(l1=out, l2="数量指标", l3="新建集中供水工程", target="≥12处", actual="12处", weight=10, score=10),
        dict(l1=out, l2="数量指标", l3="改造供水管网长度", target="≥35公里", actual="36.5公里", weight=10, score=10),
        dict(l1=out, l2="质量指标", l3="工程验收合格率", target="100%", actual="100%", weight=10, score=10),
        dict(l1=out, l2="时效指标", l3="工程完工时间", target="12月底前完工", actual="11月25日完工", weight=10, score=10),
        dict(l1=out, l2="成本指标", l3="工程建设成本", target="≤1200万元", actual="1150万元", weight=10, score=10),
        dict(l1=ben, l2="社会效益\n指标", l3="受益人口", target="≥3.2万人", actual="3.4万人", weight=15, score=15),
        dict(l1=ben, l2="可持续影响\n指标", l3="工程长效运行管护机制", target="建立", actual="已建立", weight=15, score=15),
        dict(l1=sat, l2="服务对象\n满意度指标", l3="受益群众满意度", target="≥90%", actual="88%", weight=10, score=9.78, dev=DEV_SAT),
    ]


#: (level3, weight, score) a careful reader gets from :func:`std_rows`.
STD_EXPECTED = [
    ("新建集中供水工程", 10, 10), ("改造供水管网长度", 10, 10), ("工程验收合格率", 10, 10), ("工程完工时间", 10, 10),
    ("工程建设成本", 10, 10), ("受益人口", 15, 15), ("工程长效运行管护机制", 15, 15), ("受益群众满意度", 10, 9.78),
]

#: The 财政部 template's indicator columns.
STD_COLUMNS = [
    ("l1", "一级指标"), ("l2", "二级指标"), ("l3", "三级指标"), ("target", "年度\n指标值"), ("actual", "实际\n完成值"),
    ("weight", "分值"), ("score", "得分"), ("dev", "偏差原因分析及改进措施"),
]

#: The template's funds columns and the standard funds (万元): total, 当年财政拨款, 上年结转, 其他资金.
STD_FUND_COLUMNS = ["年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分"]
PCT = "0.00%"


def std_fund_rows(total="年度资金总额", parts=("其中：当年财政拨款", "上年结转资金", "其他资金"), factor=1, rate_fmt=PCT,
                  weight=10, score=9.58) -> list[tuple[str, list]]:
    """Standard funds rows in 万元 (``factor=10000`` for 元). Parts leave 分值/得分 blank."""
    def amount(x):
        return None if x is None else x * factor

    rows = [(total, [amount(1000), amount(1200), amount(1150), weight, Fmt(1150 / 1200, rate_fmt), score])]
    data = [(1000, 1100, 1050, Fmt(1050 / 1100, rate_fmt)), (None, 100, 100, Fmt(1.0, rate_fmt)), (None, None, None, None)]
    for label, (initial, budget, executed, rate) in zip(parts, data):
        rows.append((label, [amount(initial), amount(budget), amount(executed), None, rate, None]))
    return rows


def standard_form(*, title=("（2022年度）项目支出绩效自评表",), funds_label="项目资金\n（万元）", funds_header_label=None, fund_columns=None,
                  fund_rows=None, columns=None, rows=None, total=(100, 99.36), total_label="总分", total_last=None,
                  goals=None, identity=None, identity_labels=("项目名称", "主管部门", "实施单位"), leading=(), notes=(), ncols=9, block_label="绩\n效\n指\n标",
                  sub_header=None, before_total=(), after_total=()) -> FormSheet:
    """The 财政部 template with the standard content; every keyword replaces one piece."""
    form = FormSheet(ncols=ncols)
    form.title(*title)
    for text in leading:
        form.line(text)
    project_label, department_label, implementer_label = identity_labels
    form.identity(*(identity or (PROJECT, DEPARTMENT, IMPLEMENTER)), project_label=project_label,
                  department_label=department_label, implementer_label=implementer_label)
    fund_rows = fund_rows if fund_rows is not None else std_fund_rows()
    form.funds(funds_label, fund_columns or STD_FUND_COLUMNS, fund_rows, header_label=funds_header_label,
               names=("funds_header", "funds_total", *[f"funds_part{i}" for i in range(1, len(fund_rows))]))
    if goals is None:
        form.goals(GOAL_EXPECTED, GOAL_ACTUAL)
    else:
        form.goals(*goals[:2], **(goals[2] if len(goals) > 2 else {}))
    form.indicators(columns or STD_COLUMNS, rows if rows is not None else std_rows(), block_label=block_label,
                    sub_header=sub_header)
    for text in before_total:
        form.put(form.row, 1, text[0], 1, 3)
        form.put(form.row, 4, text[1], 1, ncols - 3, left=True)
        form.rows.setdefault("before_total", form.row)
        form.row += 1
    form.total(*total, label=total_label, last=total_last)
    for text in after_total:
        form.put(form.row, 1, text[0], 1, 3)
        form.put(form.row, 4, text[1], 1, ncols - 3, left=True)
        form.row += 1
    for text in notes:
        form.line(text)
    return form
