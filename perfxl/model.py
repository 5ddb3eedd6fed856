"""The typed model of one 自评表 and of what perfxl finds in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from perfxl.numbers import Reading, display_text, read_value


@dataclass(frozen=True)
class Cell:
    """One value of the form with the address it came from (``None`` when the form has no such cell)."""

    address: str | None
    raw: object = None
    number_format: str | None = None

    @cached_property
    def reading(self) -> Reading:  # cached: rules ask each cell many times
        return read_value(self.raw, self.number_format)

    @property
    def number(self) -> float | None:
        return self.reading.value

    @property
    def text(self) -> str:
        """What a person reads in the cell, trimmed."""
        return display_text(self.raw)

    @property
    def is_blank(self) -> bool:
        return self.reading.is_blank


EMPTY = Cell(None)


@dataclass
class FundRow:
    """A row of the 项目资金 block: 年度资金总额, 当年财政拨款, 上年结转资金 or 其他资金."""

    kind: str  # funds_total, or a part: funds_current | funds_carryover | funds_other | funds_part (any other source)
    label: str
    row: int
    initial: Cell = EMPTY
    budget: Cell = EMPTY
    executed: Cell = EMPTY
    weight: Cell = EMPTY
    rate: Cell = EMPTY
    score: Cell = EMPTY
    arrived: Cell = EMPTY  # 到位数 (资金到位), where a form has the column: what was spent cannot exceed it
    group: str = ""  # department forms split the parts twice: "income" (按收入性质分) or "expenditure" (按支出性质分)
    inline: Cell = EMPTY  # an amount written into the label cell (其中：一般公共预算：1873.66万元), column not said


#: The two kinds of 自评表 perfxl reads.
KIND_PROJECT = "project"  # 项目支出绩效自评表, one per project
KIND_DEPARTMENT = "department"  # 部门整体支出绩效自评表, one per department and year
KIND_ZH = {KIND_PROJECT: "项目支出绩效自评表", KIND_DEPARTMENT: "部门整体支出绩效自评表"}
GROUP_ZH = {"income": "按收入性质分", "expenditure": "按支出性质分"}


@dataclass
class Indicator:
    """One 三级指标 row of the 绩效指标 table."""

    row: int
    level1: str
    level2: str
    level3: Cell
    target: Cell
    actual: Cell
    weight: Cell
    score: Cell
    deviation: Cell
    level1_cell: str | None = None  # where the 一级 label (and its stated weight) sits
    group: str | None = None  # the merged range of a 分值/得分 shared with the rows beside it (H12:H13): one scored group
    block: str | None = None  # the cell of the block title it stands under (湖北 年度绩效目标1（40分）), None: no blocks
    coefficient: Cell = EMPTY  # 得分系数 of a scheme that scores 得分系数 × 指标权重 (重庆)


def scored_groups(indicators: list[Indicator]) -> dict[str, tuple[list[Indicator], list[Cell], list[Cell]]]:
    """group → (its indicators, its distinct 分值 cells, its distinct 得分 cells): a cell merged over
    several rows is one cell, counted once."""
    found: dict[str, tuple[list[Indicator], list[Cell], list[Cell]]] = {}
    for ind in indicators:
        if ind.group:
            members, weights, scores = found.setdefault(ind.group, ([], [], []))
            members.append(ind)
            for cells, cell in ((weights, ind.weight), (scores, ind.score)):
                if all(cell.address != seen.address for seen in cells):
                    cells.append(cell)
    return found


@dataclass
class OutlineParent:
    """An outline heading inside the indicator table (``一、示范区建立`` carrying 15 above ``1、… 5`` /
    ``2、… 5`` / ``3、… 5``): its 分值/得分 are the sums of its children, which are the indicators counted."""

    row: int
    name: Cell
    weight: Cell
    score: Cell
    children: list[int]  # sheet rows of the indicators under it


@dataclass(frozen=True)
class UnreadRow:
    """A row with content that the reading did not take for anything (never silently dropped)."""

    row: int
    cell: str  # its first non-empty cell
    text: str  # what the row says, cells joined by " | "
    whole_row: bool  # False: one cell of a row that was otherwise read


@dataclass
class Level1Group:
    """An 一级指标 as labelled on the form, with the weight stated in its label (``（50分）``)."""

    name: str
    stated_weight: float | None
    cell: str | None
    block: str | None = None  # the block title's cell (湖北: the same 一级 may stand in two blocks)


@dataclass
class Level2Group:
    """An 二级指标 whose label states a weight (全过程: 项目立项（5分）), under its 一级."""

    level1: str
    name: str
    stated_weight: float
    cell: str | None


@dataclass
class ScoreBlock:
    """A weighted block of the indicator table (湖北 ``年度绩效目标1（40分）``): its title cell and weight."""

    title: Cell
    weight: float | None
    row: int  # the header row it titles


@dataclass
class Form:
    """Everything perfxl read from one form sheet. Money is in 万元 (converted when the form used 元)."""

    path: Path
    sheet: str
    kind: str = KIND_PROJECT
    scheme: str = "mof-2020"  # the scoring scheme (perfxl.read.schemes): how the form is scored
    title: str = ""
    year: int | None = None
    project: Cell = EMPTY
    department: Cell = EMPTY
    implementer: Cell = EMPTY
    unit: Cell = EMPTY  # 部门（单位）名称 of a department form
    money_unit: str = "万元"
    money_factor: float = 1.0  # multiply form amounts by this to get 万元
    funds: list[FundRow] = field(default_factory=list)
    goal_expected: Cell = EMPTY
    goal_actual: Cell = EMPTY
    indicators: list[Indicator] = field(default_factory=list)
    level1_groups: list[Level1Group] = field(default_factory=list)
    total_label: Cell = EMPTY
    total_weight: Cell = EMPTY
    total_score: Cell = EMPTY
    grade_cell: Cell = EMPTY
    narrative: dict[str, str] = field(default_factory=dict)  # 报告信息 and the form's own narrative rows
    narrative_cells: dict[str, str] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)  # indicator-table field → column (1-based)
    fund_columns: dict[str, int] = field(default_factory=dict)  # funds-block field → column (1-based)
    funds_header: str | None = None  # first cell of the funds block's header row, when found
    indicators_header: str | None = None  # first cell of the indicator table's header row, when found
    funds_weight_label: float | None = None  # a budget weight stated in a header: 得分（20分*执行率）, 预算执行情况（10分）
    outline_parents: list[OutlineParent] = field(default_factory=list)
    blocks: list[ScoreBlock] = field(default_factory=list)
    level2_groups: list[Level2Group] = field(default_factory=list)  # 二级 labels that state a weight  # weighted blocks of the indicator table (湖北 20/80)
    #: The accounted reading: every non-empty cell of the sheet (row, col) → what it was taken for (Chinese),
    #: and what nothing accounts for (each gives a ``row-unread`` / ``cell-unread`` finding).
    roles: dict[tuple[int, int], str] = field(default_factory=dict)
    unread: list[UnreadRow] = field(default_factory=list)

    def fund(self, kind: str) -> FundRow | None:
        return next((row for row in self.funds if row.kind == kind), None)


def owner(results, finding: Finding) -> int:
    """The index, among a file's checked forms (``results``), of the form a finding belongs to: the form
    of its sheet, else the first (a loss on another sheet, a dropdown list's, is the workbook's)."""
    return next((index for index, result in enumerate(results) if result.form.sheet == finding.sheet), 0)


#: The severities of a finding, most severe first, and their words in Chinese.
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Finding:
    """One problem perfxl found, pointing at the cell to look at."""

    code: str
    severity: str  # error | warning | info
    sheet: str
    cell: str | None
    message: str
    expected: float | None = None
    actual: float | None = None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
        }


class FormError(Exception):
    """An input that cannot be processed at all (exit code 2). ``message`` is for the user, in Chinese."""

    def __init__(self, code: str, message: str, path: Path | str | None = None, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = Path(path) if path is not None else None
        self.detail = detail  # for an internal error: the traceback, shown with --debug

    def __reduce__(self):  # pickled whole, so a worker process can hand it back
        return (self.__class__, (self.code, self.message, self.path, self.detail))
