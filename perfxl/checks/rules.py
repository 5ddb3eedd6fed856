"""Recalculation (with pandas) and the findings catalogue.

:func:`check` takes a :class:`~perfxl.model.Form` and puts what it states into two small pandas
DataFrames, :func:`funds_frame` (one row per 项目资金 row) and :func:`indicator_frame` (one row per
三级指标). The arithmetic of docs/rules.md is done on them column by column: the execution rates
(:func:`execution_rates`), the rule scores (:func:`rule_scores`), the 一级/二级 subtotals
(:func:`subtotals`, a groupby), the budget score and the total. What the form states is then
compared with what the rules say (财预〔2020〕10号 and its 自评 annex); every problem becomes a
:class:`~perfxl.model.Finding` whose code is listed in :data:`CATALOGUE`.

A new rule is one entry in :data:`CATALOGUE` plus a few lines in one ``_check_*`` function.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from perfxl.read import labels as L
from perfxl.read import schemes
from perfxl.checks.catalogue import CATALOGUE, SEVERITY_ORDER, SEVERITY_ZH, Rule  # noqa: F401  (SEVERITY_ZH, Rule: re-exported)
from perfxl.model import GROUP_ZH, KIND_DEPARTMENT, Cell, Finding, Form, FundRow, Level1Group, scored_groups
from perfxl.numbers import close, format_number, format_percent, round_half_up

TOLERANCE = 0.005
_TOL = TOLERANCE + 1e-9  # for vectorised comparisons: float noise must not turn 9.995 vs 10 into a difference

_DONE = re.compile(r"^(?:已?全部完成|已?完成|已?达到|已?达标|已?实现|已?建成|已?落实|是|100%|满意)")
_QUALITATIVE_BANDS = {"达成": (0.8, 1.0), "部分达成": (0.6, 0.8), "未达成": (0.0, 0.6)}
_TIME_WORDS = re.compile(r"(?:时间|期限|按时|及时|时效|年|月|日|天|季度|周|前|内|期|时限|进度|准时|工作日|小时|当年|截止|周期)")
_MONEY_WORDS = re.compile(r"(?:元|万|成本|费用|资金|预算|价格|投入|支出|经费|金额|单价|造价|节约|节支|控制|标准|开支)")
_TEMPLATE_TEXT = re.compile(r"(?:^请?填写|填报说明|填表说明|^注[:：]|[（(]\s*填写|按.*填列|此处填|示例[:：])")
_REVERSE = {"<=", "<"}


@dataclass(frozen=True)
class Level1Total:
    """An 一级指标's recomputed weight and score (sums of its 三级指标), and the weight its label states."""

    name: str
    weight: float | None
    score: float | None
    stated_weight: float | None = None  # 产出指标（50分） → 50
    cell: str | None = None  # where the label sits


@dataclass(frozen=True)
class Level2Total:
    """An 二级指标's recomputed weight and score."""

    level1: str
    level2: str
    weight: float | None
    score: float | None


@dataclass
class Computed:
    """What perfxl recalculated for one form."""

    rates: dict[int, float | None] = field(default_factory=dict)  # sheet row of each funds row → 执行率 (fraction)
    funds_totals: dict[str, float | None] = field(default_factory=dict)  # initial/budget/executed of 年度资金总额
    budget_weight: float = L.DEFAULT_BUDGET_WEIGHT
    budget_score: float | None = None
    budget_row: int | None = None  # sheet row of the funds row the budget score sits on (None: not scored on one)
    rule_scores: list[float | None] = field(default_factory=list)  # per indicator, where a rule applies
    level1: list[Level1Total] = field(default_factory=list)  # in the form's order
    level2: list[Level2Total] = field(default_factory=list)
    total_weight: float | None = 0.0  # None: a weight could not be read, so the sum is unknown
    total_score: float | None = 0.0  # None: the budget score or an indicator's score is unknown
    grade: str = ""  # 优/良/中/差, or GRADE_PENDING while the weights or scores do not allow one
    grade_reason: str = ""  # why the grade is pending: "分值合计 110 分，不是 100 分"

    rate: float | None = None  # 执行率 of the 年度资金总额 row (from the parts' sum when it was left blank or 0)

    @property
    def grade_text(self) -> str:
        """“等级：优”, or “等级待定：分值合计 110 分，不是 100 分”."""
        if not self.grade and self.grade_reason:
            return self.grade_reason  # a form that scores nothing: “不计分的表，没有总分和等级”
        return f"等级待定：{self.grade_reason}" if self.grade == L.GRADE_PENDING else f"等级：{self.grade}"


@dataclass(repr=False)
class CheckResult:
    """One checked form: what was read (``form``), what perfxl recalculated (``computed``) and every
    problem found (``findings``, errors first)."""

    form: Form
    findings: list[Finding]
    computed: Computed
    derived: dict = field(default_factory=dict)  # address → checks.derived.Derived: the cells fill may rewrite

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def __repr__(self) -> str:  # the whole form would be pages long: the file, the totals and the tally
        counts = ", ".join(f"{self.count(severity)} {severity}" for severity in SEVERITY_ORDER)
        return (f"<CheckResult {self.form.path.name} [{self.form.sheet}] total={format_number(self.computed.total_score)} "
                f"(stated {format_number(self.form.total_score.number)}) grade={self.computed.grade} ok={self.ok}: {counts}>")

    def to_dict(self) -> dict:
        """The JSON document of DESIGN.md (numbers as numbers, rates as fractions, absent → null)."""
        form, computed = self.form, self.computed
        total = form.fund("funds_total")
        scored_apart = schemes.of(form.scheme).scoring.budget == schemes.BUDGET_ROW
        return {
            "file": str(form.path),
            "sheet": form.sheet,
            "ok": self.ok,
            "form": {
                "kind": form.kind,
                "scheme": form.scheme,
                "year": form.year,
                "unit": form.unit.text or None,
                "project": form.project.text or None,
                "department": form.department.text or None,
                "implementer": form.implementer.text or None,
                "money_unit": "万元",
                "funds": {
                    "initial": _json(computed.funds_totals.get("initial"), 6),
                    "budget": _json(computed.funds_totals.get("budget"), 6),
                    "executed": _json(computed.funds_totals.get("executed"), 6),
                    "rate": _json(computed.rate, 4),
                    "rate_stated": _json(stated_rate(total.rate) if total else None, 4),
                    "weight": _json(computed.budget_weight, 2) if scored_apart else None,  # 全过程: scored as an indicator
                    "score": _json(computed.budget_score, 2) if scored_apart else None,
                    "score_stated": _json(total.score.number if total else None, 2),
                },
                "goal": {"expected": form.goal_expected.text or None, "actual": form.goal_actual.text or None},
                "indicators": [
                    {
                        "level1": ind.level1 or None,
                        "level2": ind.level2 or None,
                        "level3": ind.level3.text or None,
                        "target": ind.target.text or None,
                        "actual": ind.actual.text or None,
                        "weight": _json(ind.weight.number, 2),
                        "score": _json(ind.score.number, 2),
                        "rule_score": _json(computed.rule_scores[i] if i < len(computed.rule_scores) else None, 2),
                        "deviation": ind.deviation.text or None,
                        "cell": ind.level3.address,
                        "group": ind.group,
                    }
                    for i, ind in enumerate(form.indicators)
                ],
                "outline": [
                    {"name": parent.name.text, "cell": parent.name.address, "weight": _json(parent.weight.number, 2),
                     "score": _json(parent.score.number, 2), "children": parent.children}
                    for parent in form.outline_parents
                ],
                "level1": [asdict(group) for group in computed.level1],
                "total": {
                    "weight": _json(computed.total_weight, 2),
                    "weight_stated": _json(form.total_weight.number, 2),
                    "score_stated": _json(form.total_score.number, 2),
                    "score_computed": _json(computed.total_score, 2),
                },
                "grade": computed.grade,
                "grade_reason": computed.grade_reason or None,
            },
            "findings": [f.to_dict() for f in self.findings],
        }


def _json(value: float | None, places: int) -> float | None:
    """A number as DESIGN rounds it for JSON: rates to 0.01 % (4 places of the fraction), scores to 0.01."""
    return None if value is None else round_half_up(value, places)


GRADE_PENDING = L.GRADE_PENDING


def grade_of(score: float) -> str:
    """优 ≥ 90, 良 80–90, 中 60–80, 差 < 60 (lower bounds inclusive)."""
    score = round_half_up(score, 2)
    if score >= 90:
        return "优"
    if score >= 80:
        return "良"
    if score >= 60:
        return "中"
    return "差"


class _Findings:
    def __init__(self, form: Form):
        self.form = form
        self.scheme = schemes.of(form.scheme)
        self.items: list[Finding] = []

    def add(self, code: str, cell: str | None, message: str, expected: float | None = None, actual: float | None = None) -> None:
        rule = CATALOGUE[code]
        if not self.scheme.applies(code):
            return  # a rule of another scheme (a 湖北 row has no 分值 to deduct from): listed per scheme by --list-rules
        cell = cell if isinstance(cell, str) and cell else None  # absent addresses arrive as NaN from frames
        self.items.append(Finding(code, rule.severity, self.form.sheet, cell, message, _num(expected), _num(actual)))


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round_half_up(value, 4)


def check(form: Form) -> CheckResult:
    """Recalculate the form and list every inconsistency."""
    out = _Findings(form)
    computed = Computed()
    _check_identity(form, out)
    _check_structure(form, out)
    _check_funds(form, funds_frame(form), computed, out)
    indicators = indicator_frame(form)
    _check_indicators(form, indicators, computed, out)
    if out.scheme.scoring.row_score == schemes.ROW_UNSCORED:
        _say_unscored(form, computed, out)
    else:
        _check_totals(form, indicators, computed, out)
    _check_execution_indicator(form, computed, out)
    _check_template_text(form, out)
    _check_accounting(form, out)
    out.items.sort(key=lambda f: (SEVERITY_ORDER[f.severity], _position(f.cell)))
    from perfxl.checks.derived import derived_cells

    return CheckResult(form, out.items, computed, derived_cells(form, computed))


def _position(address: str | None) -> tuple[int, str]:
    if not address:
        return (0, "")
    match = re.match(r"([A-Z]+)(\d+)", address)
    return (int(match.group(2)), match.group(1).rjust(3)) if match else (0, address)


# ---------------------------------------------------------------- identity


def _check_identity(form: Form, out: _Findings) -> None:
    required = ((form.unit, "部门（单位）名称"),) if form.kind == KIND_DEPARTMENT else ((form.project, "项目名称"), (form.department, "主管部门"))
    for cell, name in required:
        if cell.is_blank:
            out.add("required-missing", cell.address, f"“{name}”未填写：请在 {cell.address or '表头'} 填写{name}。")


# ---------------------------------------------------------------- structure

#: Columns the rules need, what perfxl looked for, in the order a form has them.
_NEEDED_FUND_COLUMNS = (
    ("budget", "全年预算数（或 调整后预算数、预算数 等含“预算”的表头）"),
    ("executed", "全年执行数（或 执行数、实际支出 等含“执行数”的表头）"),
    ("score", "得分（或 自评得分）"),
)
_NEEDED_INDICATOR_COLUMNS = (
    ("target", "年度指标值（或 指标值、目标值）"),
    ("actual", "实际完成值（或 完成值、全年实际值）"),
    ("weight", "分值（或 权重）"),
    ("score", "得分（或 指标得分）"),
    ("deviation", "偏差原因分析及改进措施（或含“原因”“偏差”“改进”的表头）"),
)


def _check_structure(form: Form, out: _Findings) -> None:
    """Never silent: every column or row the rules need and the form does not have is a finding."""
    scoring = out.scheme.scoring
    if not form.fund_columns:
        out.add("column-missing", form.project.address,
                "没有找到项目资金表：应有一行表头含“全年预算数”“全年执行数”“执行率”“得分”等，其下为“年度资金总额”及各项资金。"
                "预算执行率得分无法计算，总分只含各三级指标得分：请按标准表格式补充项目资金表。")
    else:
        for name, looked_for in _NEEDED_FUND_COLUMNS:
            if name not in form.fund_columns and not (name == "score" and scoring.budget != schemes.BUDGET_ROW):
                effect = "无法核对填写的预算执行率得分" if name == "score" else "执行率和预算执行率得分无法计算"
                out.add("column-missing", form.funds_header,
                        f"项目资金表（第 {_row_of(form.funds_header)} 行表头）中没有找到“{looked_for}”列，{effect}：请补充该列。")
        if form.fund("funds_total") is None:
            out.add("column-missing", form.funds_header,
                    f"项目资金表（第 {_row_of(form.funds_header)} 行表头）下没有任何资金行（年度资金总额及各项资金）：请填写年度资金总额。")
    for name, looked_for in _NEEDED_INDICATOR_COLUMNS:
        if name not in form.columns and name in scoring.needed_columns:
            out.add("column-missing", form.indicators_header,
                    f"绩效指标表（第 {_row_of(form.indicators_header)} 行表头）中没有找到“{looked_for}”列：请补充该列，否则相关规则无法核对。")
    if form.total_label.address is None and scoring.row_score == schemes.ROW_UNSCORED:
        pass  # nothing is scored: no total to find
    elif form.total_label.address is None and scoring.total_in_header:
        out.add("column-missing", form.indicators_header,
                "表头中没有找到“自评总分”：无法核对填写的总分，请在表头填写自评总分（执行率得分 + 各指标得分）。")
    elif form.total_label.address is None:
        out.add("column-missing", form.indicators_header,
                "绩效指标表下没有找到“总分”（或“合计”）行：无法核对填写的总分，请在指标表末尾补充总分行。")


def _row_of(address: str | None) -> str:
    match = re.search(r"\d+", address or "")
    return match.group(0) if match else "?"


# ---------------------------------------------------------------- funds

_TOTAL = "funds_total"
_GROUP_TOTAL = "funds_group_total"  # a breakdown heading carrying its own sum (按收入性质分 2030.12)
_AMOUNTS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))
_FUND_NUMBERS = ("initial", "budget", "executed", "rate_stated", "weight", "score")


def funds_frame(form: Form) -> pd.DataFrame:
    """What the 项目资金 block states, for the arithmetic: one row per funds row (年度资金总额 and its
    parts), in the form's order, so row ``i`` is ``form.funds[i]`` (where labels, texts and cell
    addresses stay).

    ``initial``/``budget``/``executed`` are amounts in 万元, ``rate_stated`` the 执行率 written (a
    fraction), ``weight``/``score`` the budget weight and score written; NaN where the cell holds no
    number. ``total`` marks the 年度资金总额 row, ``group`` a department form's breakdown
    (income/expenditure) and ``inline`` a part whose amount is written in its label cell.
    """
    factor = form.money_factor
    columns: dict[str, list] = {name: [] for name in ("total", "subtotal", "group", "inline", *_FUND_NUMBERS)}
    for fund in form.funds:
        columns["total"].append(fund.kind == _TOTAL)
        columns["subtotal"].append(fund.kind == _GROUP_TOTAL)
        columns["group"].append(fund.group)
        columns["inline"].append(fund.inline.address is not None)
        for name in ("initial", "budget", "executed"):
            columns[name].append(_number(getattr(fund, name)) * factor)
        stated = stated_rate(fund.rate)
        columns["rate_stated"].append(np.nan if stated is None else stated)
        columns["weight"].append(_number(fund.weight))
        columns["score"].append(_number(fund.score))
    return _frame(columns, float_columns=_FUND_NUMBERS, bool_columns=("total", "subtotal", "inline"))


def _number(cell: Cell) -> float:
    reading = cell.reading
    return reading.value if reading.is_number else np.nan


def execution_rates(funds: pd.DataFrame) -> pd.Series:
    """执行率 = 全年执行数 ÷ 全年预算数 of every row, as a fraction; NaN where the budget is not positive
    or a figure is missing."""
    return (funds["executed"] / funds["budget"]).where(funds["budget"] > 0)


def budget_score(rate: float | None, weight: float) -> float | None:
    """预算执行率得分 = min(执行率, 1) × 分值, to 0.01; unknown (None) without a rate."""
    return None if rate is None else round_half_up(min(rate, 1.0) * weight, 2)


def stated_rate(cell: Cell) -> float | None:
    """The 执行率 a cell states, as a fraction: 100%, "100%", 1 and 100 all give 1.0."""
    reading = cell.reading
    if not reading.is_number:
        return None
    if reading.unit in ("%", "‰"):
        return reading.fraction
    # A bare number: 1 and 0.95 are fractions, 100 and 95 are percentages.
    return reading.value / 100 if reading.value > 1.5 else reading.value


def stated_differs(cell: Cell, value, kind: str) -> bool:
    """Whether a derived cell states something other than ``value`` — the one comparison behind both
    the findings and the cells ``perfxl fill`` rewrites. ``kind``: rate | score | amount | grade.

    A rate is compared to the digits the cell shows (see :func:`_rate_tolerance`), a grade by its
    word (优秀 = 优), anything else with DESIGN's tolerance of 0.005.
    """
    if kind == "rate":
        stated = stated_rate(cell)
        return stated is None or abs(stated - value) > _rate_tolerance(cell)
    if kind == "grade":
        return L.grade_word(cell.text) != value
    reading = cell.reading
    return not reading.is_number or not close(reading.value, value)


def _rate_tolerance(cell: Cell) -> float:
    """Half a unit of the last digit the form shows, in fraction terms (at least 0.005 %)."""
    reading = cell.reading
    if isinstance(reading.raw, str):
        match = re.search(r"\.(\d+)", reading.text)
        decimals = len(match.group(1)) if match else 0
    elif cell.number_format and "%" in cell.number_format:
        match = re.search(r"\.(0+)", cell.number_format)
        decimals = len(match.group(1)) if match else 0
    else:
        return 0.00005
    return max(0.5 * 10 ** (-decimals) / 100, 0.00005)


def _check_funds(form: Form, funds: pd.DataFrame, computed: Computed, out: _Findings) -> None:
    scoring = out.scheme.scoring
    if form.fund(_TOTAL) is None:
        computed.budget_weight = form.funds_weight_label or scoring.budget_weight
        computed.budget_score = None if scoring.budget == schemes.BUDGET_ROW else 0.0
        return  # _check_structure says what was not found
    for fund in form.funds:
        for name, zh in (*_AMOUNTS, ("rate", "执行率"), ("weight", "分值"), ("score", "得分")):
            cell = getattr(fund, name)
            if cell.reading.kind == "text":
                code = "score-not-number" if name in ("weight", "score") else "amount-not-number"
                out.add(code, cell.address, f"{fund.label}的{zh}“{cell.text}”无法识别为数字：请填写数字（如 918 或 100%）。")

    t = int(np.flatnonzero(funds["total"])[0])
    total = form.funds[t]
    sums, parts = breakdown_sums(funds), _parts(form)
    described = _breakdown_names(parts)
    _total_from_parts(form, funds, t, sums, described, computed, out)
    _check_breakdowns(form, funds, t, sums, parts, described, out)
    for name, zh in _AMOUNTS[1:]:
        cell = getattr(total, name)
        if cell.is_blank and computed.funds_totals.get(name) is None and cell.address:
            out.add("required-missing", cell.address, f"年度资金总额的{zh}未填写：请填写{zh}。")

    rate = execution_rates(funds).to_numpy()
    computed.rates = {fund.row: None if np.isnan(value) else float(value) for fund, value in zip(form.funds, rate)}
    computed.rate = computed.rates[total.row]
    budget, executed, stated = (funds[name].to_numpy() for name in ("budget", "executed", "rate_stated"))
    # A 0 budget leaves the rate undefined. On a sub-row that spent nothing (其他资金 0 / 0) nothing is wrong.
    zero = (budget == 0) & ~np.isnan(executed) & (funds["total"].to_numpy() | (executed > _TOL))
    for i in np.flatnonzero(zero):
        fund = form.funds[i]
        out.add("budget-zero", fund.budget.address, f"{fund.label}的全年预算数为 0，无法计算执行率：请核实预算数。")
    for i in np.flatnonzero(executed > budget + _TOL):
        fund = form.funds[i]
        out.add(
            "executed-exceeds-budget", fund.executed.address,
            f"{fund.label}的全年执行数 {format_number(executed[i])} 万元超过全年预算数 {format_number(budget[i])} 万元：请核实是否超预算支出。",
            budget[i], executed[i],
        )
    for i in np.flatnonzero(~np.isnan(rate) & ~np.isnan(stated)):
        fund = form.funds[i]
        if stated_differs(fund.rate, rate[i], "rate"):
            out.add(
                "rate-mismatch", fund.rate.address,
                f"{fund.label}的执行率填写为 {format_percent(stated[i])}，按 全年执行数 ÷ 全年预算数 计算应为 {format_percent(rate[i])}：请改正。",
                round_half_up(rate[i], 4), stated[i],
            )

    arrived = np.array([_number(fund.arrived) * form.money_factor for fund in form.funds], dtype=float)
    for i in np.flatnonzero(executed > arrived + _TOL):  # NaN (no 到位 column) compares False
        fund = form.funds[i]
        out.add("executed-exceeds-arrived", fund.executed.address,
                f"{fund.label}的全年执行数 {format_number(executed[i])} 万元超过到位资金 {format_number(arrived[i])} 万元：支出不能多于到位的资金，请核实。",
                arrived[i], executed[i])
    if scoring.budget == schemes.BUDGET_NONE:  # nothing is scored: the money is all there is to check
        computed.budget_weight, computed.budget_score = 0.0, None
        return
    if scoring.budget == schemes.BUDGET_INDICATOR:  # 全过程: execution is scored as a 三级指标, not here
        computed.budget_weight, computed.budget_score = 0.0, 0.0
        return
    # The budget score: on the 年度资金总额 row (or where the scheme lets it sit: 重庆's 其中财政拨款).
    s = _budget_row(form, funds, t, scoring)
    scored = form.funds[s]
    computed.budget_row = scored.row
    stated_score = funds.at[s, "score"]
    stated_weight = funds.at[s, "weight"] if not np.isnan(funds.at[s, "weight"]) else funds.at[t, "weight"]
    weight = stated_weight if not np.isnan(stated_weight) else (form.funds_weight_label or scoring.budget_weight)
    computed.budget_weight = float(weight)
    rate_total = computed.rates.get(scored.row)
    if rate_total is None and not np.isnan(stated[s]):
        rate_total = float(stated[s])  # the executed column is missing: the stated rate stands in
    computed.budget_score = budget_score(rate_total, computed.budget_weight)
    if computed.rate is not None and total.rate.address and total.rate.is_blank:
        out.add("derived-blank", total.rate.address,
                f"年度资金总额的执行率未填写：按 全年执行数 ÷ 全年预算数 应为 {format_percent(computed.rate)}，请填写（perfxl 已在自评结果中填入）。",
                round_half_up(computed.rate, 4), None)
    if computed.budget_score is not None and scored.score.address and scored.score.is_blank:
        out.add("derived-blank", scored.score.address,
                f"预算执行率得分未填写：按 min(执行率, 1) × 分值 应为 {format_number(computed.budget_score)}，请填写（perfxl 已在自评结果中填入）。",
                computed.budget_score, None)
    rounded = [round_half_up(min(rate_total, 1.0) * computed.budget_weight, places) for places in scoring.budget_places] if rate_total is not None else []
    if not np.isnan(stated_score) and computed.budget_score is not None and not any(close(stated_score, value) for value in rounded):
        out.add(
            "budget-score-mismatch", scored.score.address,
            f"预算执行率得分填写为 {format_number(stated_score)}，按 min(执行率, 1) × 分值 = min({format_percent(rate_total)}, 100%) × {format_number(weight)} 应为 {format_number(computed.budget_score)}：请改正。",
            computed.budget_score, stated_score,
        )
    for fund in form.funds:
        for name, zh in (("weight", "分值"), ("score", "得分")):
            cell = getattr(fund, name)
            if fund is not scored and fund is not total and cell.reading.is_number:
                out.add(
                    "subrow-scored", cell.address,
                    f"“{fund.label}”行填写了{zh} {format_number(cell.number)}：预算执行率只在“年度资金总额”行计分，分项行再计分会重复计算，请删除。",
                    None, cell.number,
                )


def _budget_row(form: Form, funds: pd.DataFrame, t: int, scoring: schemes.Scoring) -> int:
    """The funds row the budget score sits on: the 年度资金总额 row, or the first row of the kinds the
    scheme allows (重庆: 其中财政拨款) that holds a 得分 while the total row holds none (the weight
    may stay on the total row)."""
    if len(scoring.budget_rows) == 1 or not np.isnan(funds.at[t, "score"]):
        return t
    for kind in scoring.budget_rows[1:]:
        for i, fund in enumerate(form.funds):
            if fund.kind == kind and not np.isnan(funds.at[i, "score"]):
                return i
    return t


def breakdown_sums(funds: pd.DataFrame) -> pd.DataFrame:
    """The sums of the total's breakdowns: one row per breakdown (indexed by ``group``, in the form's
    order) with the sums of ``initial``/``budget``/``executed`` (NaN where none of its rows has the
    amount). A project form has one breakdown (all parts); a department form two, 按收入性质分 and
    按支出性质分, each summing to the total. Amounts written inline in a label are not in a column:
    :func:`_inline_sums` checks them."""
    parts = funds[~funds["total"] & ~funds["subtotal"] & ~funds["inline"]]
    return parts.groupby("group", sort=False)[["initial", "budget", "executed"]].sum(min_count=1)


def _parts(form: Form) -> dict[str, list[FundRow]]:
    """The rows of each breakdown (the rows :func:`breakdown_sums` adds up), in the form's order."""
    parts: dict[str, list[FundRow]] = {}
    for fund in form.funds:
        if fund.kind not in (_TOTAL, _GROUP_TOTAL) and fund.inline.address is None:
            parts.setdefault(fund.group, []).append(fund)
    return parts


def _breakdown_names(parts: dict[str, list[FundRow]]) -> dict[str, str]:
    """How a message names each breakdown: 按收入性质分各项（一般公共预算、…）, or the parts of a project form."""
    named = {}
    for group, rows in parts.items():
        heading = GROUP_ZH.get(group)
        names = "、".join(dict.fromkeys(fund.label.removeprefix("其中：").removeprefix("其中:") for fund in rows))
        named[group] = f"{heading}各项（{names}）" if heading else names or "各项资金"
    return named


def _total_from_parts(form: Form, funds: pd.DataFrame, t: int, sums: pd.DataFrame, described: dict[str, str],
                      computed: Computed, out: _Findings) -> None:
    """Compare the 年度资金总额 row with the sum of its parts, amount by amount.

    A total row left blank or all zeros while its parts hold the figures (a common export): the
    first breakdown's sums stand for it (in ``funds`` and ``computed.funds_totals``), and the total
    row is pointed at.
    """
    total = form.funds[t]
    complete = schemes.of(form.scheme).scoring.parts_complete  # False: 其中 lines may be a part of the total only
    total_empty = all(np.isnan(funds.at[t, name]) or funds.at[t, name] == 0 for name in ("budget", "executed"))
    first = sums.iloc[0] if not sums.empty else None
    from_parts = total_empty and first is not None and any(abs(first[name]) > 0 for name in ("budget", "executed"))  # NaN: False
    for name, zh in _AMOUNTS:
        value = float(funds.at[t, name])
        computed.funds_totals[name] = None if np.isnan(value) else round_half_up(value, 6)
        cell = getattr(total, name).address
        filled = False
        for group, parts_sum in sums[name].items():
            if np.isnan(parts_sum) or filled:
                continue  # once filled from the first breakdown, the second is compared with it: _check_breakdowns
            expected = round_half_up(float(parts_sum), 6)
            if np.isnan(value) or (from_parts and value == 0):
                computed.funds_totals[name] = expected
                funds.at[t, name] = expected  # the rate of the total row uses the parts' sum
                filled = True
                if name == "initial" or (np.isnan(value) and not getattr(total, name).is_blank):
                    continue  # 年初预算数 is optional; an unreadable amount has its own finding
                written = "未填写" if np.isnan(value) else "填写为 0"
                out.add(
                    "funds-sum-mismatch", cell,
                    f"年度资金总额的{zh}{written}，而其下{described[group]}合计 {format_number(expected)} 万元：perfxl 按各项资金之和计算执行率和得分，请在年度资金总额行填写 {format_number(expected)}。",
                    expected, None if np.isnan(value) else value,
                )
            elif not close(value, expected) and (complete or expected > value):
                out.add(
                    "funds-sum-mismatch", cell,
                    (f"年度资金总额的{zh} {format_number(value)} 万元不等于{described[group]}之和 {format_number(expected)} 万元：请核对各项资金。" if complete else
                     f"年度资金总额的{zh} {format_number(value)} 万元小于其中{described[group]}合计 {format_number(expected)} 万元：分项不能超过总额，请核对各项资金。"),
                    expected, value,
                )


def _inline_sums(form: Form) -> dict[str, tuple[float, str | None, str]]:
    """group → (sum in 万元, first cell, names) of the amounts written inline (其中：一般公共预算：1873.66万元)."""
    found: dict[str, tuple[float, str | None, str]] = {}
    for fund in form.funds:
        reading = fund.inline.reading
        if fund.inline.address is None or not reading.is_number or fund.kind == _GROUP_TOTAL:
            continue
        factor = {"元": 1 / 10000, "万元": 1.0}.get(reading.unit or "", form.money_factor)
        total, cell, names = found.get(fund.group, (0.0, fund.inline.address, ""))
        found[fund.group] = (total + reading.value * factor, cell, f"{names}、{fund.label}" if names else fund.label)
    return found


def _check_breakdowns(form: Form, funds: pd.DataFrame, t: int, sums: pd.DataFrame, parts: dict[str, list[FundRow]],
                      described: dict[str, str], out: _Findings) -> None:
    """A department form's two breakdowns: each against the total (inline amounts), and against each other."""
    if len(sums) == 2:
        first, second = (described[group] for group in sums.index)
        for name, zh in _AMOUNTS[1:]:
            a, b = sums[name]
            if not np.isnan(a) and not np.isnan(b) and not close(round_half_up(a, 6), round_half_up(b, 6)):
                cell = next((getattr(fund, name).address for fund in parts[sums.index[1]] if getattr(fund, name).address), None)
                out.add("breakdowns-disagree", cell,
                        f"{first}的{zh}合计 {format_number(a)} 万元，{second}合计 {format_number(b)} 万元：两种分法都应等于年度资金总额，请核对。",
                        round_half_up(a, 6), round_half_up(b, 6))
    inline = _inline_sums(form)
    budget, executed = funds.at[t, "budget"], funds.at[t, "executed"]
    _check_group_totals(form, funds, t, sums, described, inline, out)
    for group, (total, cell, names) in inline.items():
        heading = GROUP_ZH.get(group, "")
        if not any(not np.isnan(v) and close(total, v) for v in (budget, executed)):
            stated = "、".join(f"{zh} {format_number(v)} 万元" for v, zh in ((budget, "全年预算数"), (executed, "全年执行数")) if not np.isnan(v))
            out.add("funds-sum-mismatch", cell,
                    f"{heading}各项（{names}）合计 {format_number(total)} 万元，与年度资金总额（{stated or '未填写'}）不相等：请核对各项资金。",
                    None, round_half_up(total, 6))
    if len(inline) == 2:
        (first, (a, _, _)), (second, (b, cell, _)) = inline.items()
        if not close(a, b):
            out.add("breakdowns-disagree", cell,
                    f"{GROUP_ZH.get(first, '')}各项合计 {format_number(a)} 万元，{GROUP_ZH.get(second, '')}各项合计 {format_number(b)} 万元：两种分法都应等于年度资金总额，请核对。",
                    round_half_up(a, 6), round_half_up(b, 6))


def _check_group_totals(form: Form, funds: pd.DataFrame, t: int, sums: pd.DataFrame, described: dict[str, str],
                       inline: dict[str, tuple[float, str | None, str]], out: _Findings) -> None:
    """A breakdown heading that carries its own sum (按收入性质分 with 2030.12 on its row, or
    按支出性质分：1925.67万元): the sum is checked against the total and against the parts under it,
    never added to them."""
    total_amounts = {name: funds.at[t, name] for name, _ in _AMOUNTS[1:]}
    for i, fund in enumerate(form.funds):
        if fund.kind != _GROUP_TOTAL:
            continue
        heading = GROUP_ZH.get(fund.group, fund.label)
        if fund.inline.address is not None:
            reading = fund.inline.reading
            if not reading.is_number:
                continue
            stated = reading.value * {"元": 1 / 10000, "万元": 1.0}.get(reading.unit or "", form.money_factor)
            if fund.group in inline and not close(inline[fund.group][0], stated):
                parts_sum, _, names = inline[fund.group]
                out.add("funds-sum-mismatch", fund.inline.address,
                        f"{heading}合计写为 {format_number(stated)} 万元，其下各项（{names}）合计 {format_number(parts_sum)} 万元：请核对各项资金。",
                        round_half_up(parts_sum, 6), round_half_up(stated, 6))
            known = {zh: v for (name, zh), v in zip(_AMOUNTS[1:], total_amounts.values()) if not np.isnan(v)}
            if known and not any(close(stated, v) for v in known.values()):
                listed = "、".join(f"{zh} {format_number(v)} 万元" for zh, v in known.items())
                out.add("funds-sum-mismatch", fund.inline.address,
                        f"{heading}合计 {format_number(stated)} 万元，与年度资金总额（{listed}）不相等：请核对。", None, round_half_up(stated, 6))
            continue
        for name, zh in _AMOUNTS[1:]:
            value, cell = funds.at[i, name], getattr(fund, name).address
            if np.isnan(value):
                continue
            if not np.isnan(total_amounts[name]) and not close(value, total_amounts[name]):
                out.add("funds-sum-mismatch", cell,
                        f"{heading}的{zh}合计 {format_number(value)} 万元不等于年度资金总额的{zh} {format_number(total_amounts[name])} 万元：请核对。",
                        round_half_up(total_amounts[name], 6), round_half_up(value, 6))
            parts_sum = sums.at[fund.group, name] if fund.group in sums.index else np.nan
            if not np.isnan(parts_sum) and not close(value, parts_sum):
                out.add("funds-sum-mismatch", cell,
                        f"{heading}的{zh}合计 {format_number(value)} 万元不等于其下{described[fund.group]}之和 {format_number(parts_sum)} 万元：请核对各项资金。",
                        round_half_up(parts_sum, 6), round_half_up(value, 6))


# ---------------------------------------------------------------- indicators


def indicator_frame(form: Form) -> pd.DataFrame:
    """What the 绩效指标 table states, for the arithmetic: one row per 三级指标, in the form's order, so
    row ``i`` is ``form.indicators[i]`` (where names, texts and cell addresses stay).

    ``target``/``actual``/``weight``/``score`` are the numbers written (NaN where none);
    ``direction`` is ``reverse`` for a target written ≤ or < (反向指标: less is better), ``forward``
    otherwise; ``target_unit``/``actual_unit`` the units written ("" for none).
    """
    columns: dict[str, list] = {name: [] for name in (
        "level1", "level2", "target", "actual", "weight", "score", "direction", "target_unit", "actual_unit", "member", "block")}
    shared = _group_numbers(form)
    lower_better = schemes.of(form.scheme).scoring.lower_better
    for ind in form.indicators:
        target, actual = ind.target.reading, ind.actual.reading
        member = ind.group is not None and shared[ind.group][2] != ind.row
        columns["level1"].append(ind.level1)
        columns["level2"].append(ind.level2)
        quantitative = ind.group is None  # a group has one score for several indicators: no rule for any one of them
        columns["target"].append(target.value if target.is_number and quantitative else np.nan)
        columns["actual"].append(actual.value if actual.is_number and quantitative else np.nan)
        weight, score = (_number(ind.weight), _number(ind.score)) if ind.group is None else shared[ind.group][:2]
        columns["weight"].append(np.nan if member else weight)
        columns["score"].append(np.nan if member else score)
        reverse = target.comparator in _REVERSE or (lower_better and any(word in ind.level3.text for word in lower_better))
        columns["direction"].append("reverse" if reverse else "forward")
        columns["target_unit"].append(target.unit or "")
        columns["actual_unit"].append(actual.unit or "")
        columns["member"].append(member)
        columns["block"].append(ind.block or "")
    return _frame(columns, float_columns=("target", "actual", "weight", "score"), bool_columns=("member",))


def _group_numbers(form: Form) -> dict[str, tuple[float, float, int]]:
    """group → (weight, score, sheet row of its first indicator) of each scored group: the sums of its
    distinct 分值 and 得分 cells, NaN where one of them holds no number."""
    return {group: (sum(_number(cell) for cell in weights), sum(_number(cell) for cell in scores), members[0].row)
            for group, (members, weights, scores) in scored_groups(form.indicators).items()}


def _frame(columns: dict[str, list], float_columns=(), bool_columns=()) -> pd.DataFrame:
    """A DataFrame with the dtypes said (an empty form still gets float and bool columns)."""
    for name in float_columns:
        columns[name] = np.array(columns[name], dtype=float)
    for name in bool_columns:
        columns[name] = np.array(columns[name], dtype=bool)
    return pd.DataFrame(columns)


def percent_unclear(ind: pd.DataFrame) -> np.ndarray:
    """A percent target (≥90%) whose actual is a bare fraction (0.88): 88%, or 0.88%? Not guessed."""
    target, actual = ind["target"].to_numpy(), ind["actual"].to_numpy()
    bare = (ind["target_unit"].to_numpy() == "%") & (ind["actual_unit"].to_numpy() == "")
    with np.errstate(invalid="ignore"):
        return bare & (actual > 0) & (actual <= 1) & (target > 1)


def rule_scores(ind: pd.DataFrame, unclear: np.ndarray) -> np.ndarray:
    """The score the rule gives, to 0.01, where one applies (NaN elsewhere): quantitative indicators,
    whose target and actual are numbers in the same unit (or one unit left out), not ``unclear``.

    正向 min(实际值 ÷ 指标值, 1) × 分值 (a target of 0 gives no rule); 反向 min(指标值 ÷ 实际值, 1) × 分值
    (an actual of 0 meets any ceiling: full marks). Element-wise on the frame's columns as arrays:
    for a form's dozen rows numpy is ten times quicker than Series arithmetic.
    """
    target, actual, weight = (ind[name].to_numpy() for name in ("target", "actual", "weight"))
    target_unit, actual_unit = ind["target_unit"].to_numpy(), ind["actual_unit"].to_numpy()
    units_ok = (target_unit == actual_unit) | (target_unit == "") | (actual_unit == "")
    quantitative = ~np.isnan(target) & ~np.isnan(actual) & ~np.isnan(weight) & units_ok & ~unclear
    with np.errstate(divide="ignore", invalid="ignore"):
        forward = np.where(target > 0, actual / target, np.nan)
        reverse = np.where(actual > 0, target / actual, 1.0)
    ratio = np.clip(np.where(ind["direction"].to_numpy() == "reverse", reverse, forward), 0.0, 1.0)
    return np.array([round_half_up(score, 2) if ok else np.nan for ok, score in zip(quantitative, ratio * weight)], dtype=float)


def _check_indicators(form: Form, ind: pd.DataFrame, computed: Computed, out: _Findings) -> None:
    if ind.empty:
        out.add("required-missing", form.total_label.address, "绩效指标表中没有任何三级指标：请填写三级指标、指标值、分值和得分。")
        computed.rule_scores = []
        return
    rows = form.indicators
    names = [row.level3.text or "（未命名指标）" for row in rows]
    shared: set[str] = set()  # a 分值/得分 merged over several rows is one cell, checked once
    for row, name in zip(rows, names):
        for cell, zh in ((row.weight, "分值"), (row.score, "得分")):
            if cell.address in shared:
                continue
            if row.group and cell.address:
                shared.add(cell.address)
            if cell.reading.kind == "text":
                out.add("score-not-number", cell.address, f"“{name}”的{zh}“{cell.text}”无法识别为数字：请填写数字。")
            elif cell.is_blank and cell.address:  # no column at all: column-missing says so once
                out.add("required-missing", cell.address, f"“{name}”的{zh}未填写：请填写{zh}。")
        for cell, zh in ((row.level3, "三级指标名称"), (row.target, "年度指标值"), (row.actual, "实际完成值")):
            if cell.is_blank and cell.address:
                out.add("required-missing", cell.address, f"第 {row.row} 行“{name}”的{zh}未填写：请补充。")

    weight, score = ind["weight"].to_numpy(), ind["score"].to_numpy()
    score_cells = [row.score.address for row in rows]
    target_text, actual_text = [row.target.reading.text for row in rows], [row.actual.reading.text for row in rows]
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row.group:
            groups.setdefault(row.group, []).append(i)
    for group, members in groups.items():  # the group speaks through its first row, under all its names
        names[members[0]] = "、".join(names[k] for k in members)
        head = members[0]
        out.add("score-grouped", score_cells[head],
                f"“{names[head]}”共用一个合并的{'得分' if np.isnan(weight[head]) else '分值或得分'}（{group}）：perfxl 按一组计分，"
                f"{'' if np.isnan(weight[head]) else f'分值 {format_number(weight[head])}、'}得分 {format_number(score[head])} 只计一次。",
                None, None if np.isnan(score[head]) else score[head])
    with np.errstate(invalid="ignore"):
        exceeds = (score > weight + _TOL) | (score < 0)
        deducted = score < weight - _TOL
        full = np.abs(score - weight) <= _TOL
    for i in np.flatnonzero(exceeds):
        bound = "不能为负数" if np.isnan(weight[i]) else f"超出 0～{format_number(weight[i])}（分值）的范围"
        out.add("score-exceeds-weight", score_cells[i], f"“{names[i]}”的得分 {format_number(score[i])} {bound}：请改正得分。",
                None if np.isnan(weight[i]) else weight[i], score[i])
    _check_coefficients(form, out)
    deviation_blank = np.array([row.deviation.is_blank for row in rows], dtype=bool)
    for members in groups.values():
        deviation_blank[members[0]] = all(deviation_blank[k] for k in members)
    if out.scheme.scoring.part_tables:  # a row of a part table without a 原因 column has none to fill
        deviation_blank &= np.array([row.deviation.address is not None for row in rows], dtype=bool)
    for i in np.flatnonzero(deducted & deviation_blank):
        out.add("deviation-missing", rows[i].deviation.address,
                f"“{names[i]}”得分 {format_number(score[i])} 低于分值 {format_number(weight[i])}，但未填写偏差原因分析及改进措施：请说明扣分原因和改进措施。",
                weight[i], score[i])

    unclear = percent_unclear(ind)
    for i in np.flatnonzero(unclear):
        out.add("percent-unclear", rows[i].actual.address,
                f"“{names[i]}”的指标值为“{target_text[i]}”，实际完成值却写成“{actual_text[i]}”：请写成百分数"
                f"（如“{format_number(ind.at[i, 'actual'] * 100)}%”）或把单元格设为百分比格式；含义不明，这一项的得分未按评分规则核对。")
    rule = rule_scores(ind, unclear)
    computed.rule_scores = [None if np.isnan(v) else float(v) for v in rule]
    quantitative = ~np.isnan(rule)
    short = [L.falls_short(text) for text in actual_text]
    says_done = np.array([bool(_DONE.match(text)) and not falls for text, falls in zip(actual_text, short)], dtype=bool)
    says_not_done = np.array([falls and not row.actual.is_blank for falls, row in zip(short, rows)], dtype=bool)
    for members in groups.values():
        says_done[members[0]] = all(says_done[k] for k in members)
        says_not_done[members[0]] = any(says_not_done[k] for k in members)
    for i in np.flatnonzero(deducted & says_done & ~quantitative):
        out.add("deducted-but-complete", score_cells[i],
                f"“{names[i]}”实际完成值为“{actual_text[i]}”，却只得 {format_number(score[i])} 分（分值 {format_number(weight[i])}）：若已完成应给满分，否则请如实填写完成情况并说明偏差原因。",
                weight[i], score[i])
    with np.errstate(invalid="ignore"):
        falls_short = quantitative & (rule < weight - _TOL)
        mismatch = quantitative & (np.abs(score - rule) > _TOL) & ~(full & falls_short)
    # A qualitative band word (部分达成, 未达成) with full marks is the band rule's case below: one
    # warning per cell, the one that says which share of the weight the word stands for.
    banded = np.array([text in _QUALITATIVE_BANDS for text in actual_text], dtype=bool) & ~quantitative
    for i in np.flatnonzero(full & ((says_not_done & ~banded) | falls_short)):
        reason = f"实际完成值“{actual_text[i]}”未达到指标值“{target_text[i]}”"
        out.add("full-but-incomplete", score_cells[i],
                f"“{names[i]}”{reason}，却得满分 {format_number(score[i])}：请按完成程度扣分并填写偏差原因。",
                rule[i] if quantitative[i] else None, score[i])
    for i in np.flatnonzero(mismatch):
        direction = "反向指标 min(指标值 ÷ 实际值, 1)" if ind.at[i, "direction"] == "reverse" else "正向指标 min(实际值 ÷ 指标值, 1)"
        out.add("score-rule-mismatch", score_cells[i],
                f"“{names[i]}”为定量指标（指标值“{target_text[i]}”，实际“{actual_text[i]}”），按{direction} × 分值应得 {format_number(rule[i])} 分，填写为 {format_number(score[i])} 分：请核实。",
                rule[i], score[i])
    with np.errstate(invalid="ignore"):
        judged = ~quantitative & (weight > 0) & ~np.isnan(score) & np.array([row.group is None for row in rows], dtype=bool)
    for i in np.flatnonzero(judged):
        band = _QUALITATIVE_BANDS.get(actual_text[i])
        if band is None:
            continue
        low, high = band
        share = score[i] / weight[i]
        inside = low - 1e-9 <= share and (share <= high + 1e-9 if high == 1.0 else share < high - 1e-9)
        if not inside:
            out.add("score-rule-mismatch", score_cells[i],
                    f"“{names[i]}”为定性指标，完成情况“{actual_text[i]}”对应得分为分值的 {int(low * 100)}%～{int(high * 100)}%，"
                    f"填写得分 {format_number(score[i])}（分值 {format_number(weight[i])}）不在此区间：请核实。",
                    None, score[i])
    _check_misfiled(form, out)


def _check_coefficients(form: Form, out: _Findings) -> None:
    """指标得分 = 得分系数 × 指标权重 (重庆): the coefficient is the unit's judgement, the product is arithmetic."""
    for ind in form.indicators:
        share, weight, score = stated_rate(ind.coefficient), ind.weight.reading, ind.score.reading
        if share is None or not (weight.is_number and score.is_number):
            continue
        expected = round_half_up(share * weight.value, 2)
        if not close(score.value, expected):
            out.add("coefficient-score-mismatch", ind.score.address,
                    f"“{ind.level3.text}”的指标得分填写为 {format_number(score.value)}，按 得分系数 {format_percent(share)} × 指标权重 {format_number(weight.value)} 应为 {format_number(expected)}：请改正。",
                    expected, score.value)


def _check_execution_indicator(form: Form, computed: Computed, out: _Findings) -> None:
    """全过程: the 预算执行率 三级指标's actual is the funds block's rate, its score 分值 × min(执行率, 1)."""
    pattern = out.scheme.scoring.execution_indicator
    if not pattern:
        return
    found = next((ind for ind in form.indicators if re.search(pattern, L.normalize_label(ind.level3.raw))), None)
    if found is None:
        out.add("column-missing", form.indicators_header,
                "没有找到“预算执行率”这项三级指标：全过程评价表把预算执行作为“过程（管理）”下的一项指标计分，请补充该指标（分值、全年实际值、得分）。")
        return
    rate = computed.rate
    if rate is None:
        return  # the funds block's own findings say why the rate is unknown
    actual = found.actual
    if actual.reading.is_number and stated_differs(actual, rate, "rate"):
        out.add("execution-indicator-mismatch", actual.address,
                f"“{found.level3.text}”的全年实际值填写为 {actual.text}，项目资金表的执行率（全年执行数 ÷ 全年预算数）为 {format_percent(rate)}：两处应一致，请改正。",
                round_half_up(rate, 4), stated_rate(actual))
    weight, score = found.weight.reading, found.score.reading
    if weight.is_number and score.is_number and found.group is None:
        expected = round_half_up(min(rate, 1.0) * weight.value, 2)
        if not close(score.value, expected):
            out.add("execution-indicator-mismatch", found.score.address,
                    f"“{found.level3.text}”得分填写为 {format_number(score.value)}，按 分值 {format_number(weight.value)} × min(执行率 {format_percent(rate)}, 100%) 应为 {format_number(expected)}：请改正。",
                    expected, score.value)


def _check_misfiled(form: Form, out: _Findings) -> None:
    for row in form.indicators:
        name = row.level3.text
        if row.level2 == "时效指标" and not _TIME_WORDS.search(name + row.target.reading.text):
            out.add("indicator-misfiled", row.level3.address,
                    f"“{name}”列为时效指标，但指标和指标值中没有完成时间或期限的表述：请确认归类，或写明完成时限（如“2020年12月底前”）。")
    for row in form.indicators:
        name = row.level3.text
        costly = "成本" in row.level2 or row.level1 == L.LEVEL1_COST
        if costly and not _MONEY_WORDS.search(name + row.target.reading.text):
            out.add("indicator-misfiled", row.level3.address,
                    f"“{name}”列为成本指标，但指标和指标值中没有金额或成本的表述：请确认归类，或写明成本控制目标（如“≤918万元”）。")


# ---------------------------------------------------------------- totals


def subtotals(ind: pd.DataFrame, stated: list[Level1Group] | tuple = ()) -> tuple[list[Level1Total], list[Level2Total]]:
    """Weight and score of each 一级 and 二级 indicator (sums of their 三级指标, to 0.01), in the
    form's order; a sum is None where one of its indicators lacks the number (a sum of what could be
    read is not the subtotal). An indicator of a scored group (``member``) adds nothing: its group's
    first row holds the group's numbers. ``stated``: the 一级
    labels of the form, whose weights (产出指标（50分）) are carried along for comparison."""
    if ind.empty:
        return [], []
    # A blank or unreadable number makes its sums unknown: it enters them as inf (inf + anything stays
    # inf), read back as NaN; a scored group's members hold NaN by design and add 0.
    values = ind[["weight", "score"]].to_numpy()
    member = ind["member"].to_numpy()[:, None]
    known = pd.DataFrame(_unknowns_as_inf(values, member), columns=["weight", "score"], index=ind.index)
    by2 = known.groupby([ind["level1"], ind["level2"]], sort=False).sum()
    by1 = by2.groupby(level=0, sort=False).sum()
    by2, by1 = by2.replace(np.inf, np.nan), by1.replace(np.inf, np.nan)
    labelled = {group.name: (group.stated_weight, group.cell) for group in stated}
    level1 = [Level1Total(name, _round(weight), _round(score), *labelled.get(name, (None, None)))
              for name, weight, score in zip(by1.index, by1["weight"], by1["score"])]
    order = {name: position for position, name in enumerate(by1.index)}  # 二级 under their 一级, as the report nests them
    level2 = sorted((Level2Total(l1, l2, _round(weight), _round(score)) for (l1, l2), weight, score in zip(by2.index, by2["weight"], by2["score"])),
                    key=lambda sub: order[sub.level1])
    return level1, level2


def _unknowns_as_inf(values: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Numbers to sum where a blank or unreadable one makes its sums unknown: it enters them as inf (read
    back as NaN); a scored group's members hold NaN by design and add 0."""
    return np.where(np.isnan(values), np.where(member, 0.0, np.inf), values)


def _check_totals(form: Form, ind: pd.DataFrame, computed: Computed, out: _Findings) -> None:
    computed.level1, computed.level2 = subtotals(ind, form.level1_groups)
    stated2 = {(group.level1, group.name): group for group in form.level2_groups}
    for sub in computed.level2:
        group = stated2.get((sub.level1, sub.level2))
        if group is not None and sub.weight is not None and not close(sub.weight, group.stated_weight):
            out.add("level2-weight-mismatch", group.cell,
                    f"二级指标“{sub.level2}”标注为 {format_number(group.stated_weight)} 分，但其下三级指标分值合计 {format_number(sub.weight)} 分：请调整指标分值或标注。",
                    group.stated_weight, sub.weight)
    if out.scheme.scoring.row_score == schemes.ROW_COEFFICIENT:
        computed.level2 = []  # a flat list without 一级/二级 (重庆): no 二级 subtotals to show
    for group in computed.level1:
        if group.stated_weight is not None and group.weight is not None and not close(group.weight, group.stated_weight):
            out.add("level1-weight-mismatch", group.cell,
                    f"“{group.name}”标注为 {format_number(group.stated_weight)} 分，但其下三级指标分值合计 {format_number(group.weight)} 分：请调整指标分值或标注。",
                    group.stated_weight, group.weight)

    indicator_weight = float(ind["weight"].sum())  # members of a scored group hold NaN: counted once
    indicator_score = float(ind["score"].sum())
    unknown_weights, unknown_scores = (int((ind[name].isna() & ~ind["member"]).sum()) for name in ("weight", "score"))
    blocks = out.scheme.scoring.row_score == schemes.ROW_BLOCK
    if blocks:  # 湖北 20/80: no per-row 分值; the weights are the blocks' (年度绩效目标（80分）)
        indicator_weight, unknown_weights = _check_blocks(form, ind, computed, out)
    computed.total_weight = None if unknown_weights or ind.empty else round_half_up(computed.budget_weight + indicator_weight, 2)
    parts_zh = "各年度绩效目标块的分值" if blocks else "全部三级指标分值"
    known_score = computed.budget_score is not None and not unknown_scores and not ind.empty
    computed.total_score = round_half_up(computed.budget_score + indicator_score, 2) if known_score else None
    computed.grade, computed.grade_reason = _grade(computed, unknown_weights, unknown_scores, ind.empty)
    _check_unverifiable(form, computed, unknown_weights, unknown_scores, out)
    _check_outline(form, out)
    total_cell = form.total_weight.address or form.total_label.address
    if computed.total_weight is not None and not close(computed.total_weight, 100.0):
        out.add("total-weight-not-100", total_cell,
                f"预算执行率分值 {format_number(computed.budget_weight)} 加{parts_zh} {format_number(indicator_weight)}，合计 {format_number(computed.total_weight)} 分，不等于 100 分：请调整各指标分值。",
                100.0, computed.total_weight)
    stated_weight = form.total_weight.number
    if stated_weight is not None and computed.total_weight is not None and not close(stated_weight, computed.total_weight):
        out.add("total-weight-mismatch", form.total_weight.address,
                f"总分行分值填写为 {format_number(stated_weight)}，各项分值实际合计 {format_number(computed.total_weight)}：请改为合计值（并使合计为 100）。",
                computed.total_weight, stated_weight)
    if form.total_weight.reading.kind == "text":
        out.add("score-not-number", form.total_weight.address, f"总分行的分值“{form.total_weight.text}”无法识别为数字：请填写数字。")
    stated_score = form.total_score.reading
    if stated_score.is_blank and form.total_score.address and computed.total_score is not None:
        out.add("derived-blank", form.total_score.address,
                f"总分未填写：按 预算执行率得分 + 各三级指标得分 应为 {format_number(computed.total_score)}，请填写（perfxl 已在自评结果中填入）。",
                computed.total_score, None)
    if stated_score.kind == "text":
        out.add("score-not-number", form.total_score.address, f"总分行的得分“{form.total_score.text}”无法识别为数字：请填写数字。")
    elif stated_score.is_number and computed.total_score is not None and not close(stated_score.value, computed.total_score):
        out.add("total-mismatch", form.total_score.address,
                f"总分填写为 {format_number(stated_score.value)}，按 预算执行率得分 {format_number(computed.budget_score)} + 各三级指标得分 {format_number(indicator_score)} 计算应为 {format_number(computed.total_score)}（{computed.grade_text}）：请改正。",
                computed.total_score, stated_score.value)
    written = form.grade_cell.text
    if written and L.grade_word(written) and stated_differs(form.grade_cell, computed.grade, "grade"):
        if computed.grade == GRADE_PENDING:
            message = f"评价等级填写为“{written}”，但{computed.grade_reason}，等级待定：请先改正分值或得分，再按总分确定等级。"
        else:
            message = f"评价等级填写为“{written}”，总分 {format_number(computed.total_score)} 对应的等级为“{computed.grade}”：请改正。"
        out.add("grade-mismatch", form.grade_cell.address, message)
    _check_weights_standard(form, computed, out)


def _say_unscored(form: Form, computed: Computed, out: _Findings) -> None:
    """A form of an unscored scheme (中央转移支付 绩效目标自评表): no total, no grade, and said so."""
    computed.level1, computed.level2 = subtotals(indicator_frame(form), form.level1_groups) if form.indicators else ([], [])
    computed.total_weight = computed.total_score = None
    computed.grade, computed.grade_reason = "", "不计分的表，没有总分和等级"
    out.add("no-score-to-check", form.indicators_header,
            f"这是{out.scheme.name}：表中各项指标只填写指标值和完成值，不设分值、不打分。perfxl 核对了其中的资金"
            "（各项资金之和、执行率、执行数与预算数和到位数），没有分值和得分可以核对，也不给出总分和等级。")


def _check_blocks(form: Form, ind: pd.DataFrame, computed: Computed, out: _Findings) -> tuple[float, int]:
    """湖北 20/80: the 一级 weights stated in each block (产出指标（40分）) sum to its title's N
    (年度绩效目标（80分）), the scores under an 一级 (and in a block) stay within its weight, and the
    blocks' weights (with the budget's 20) make 100. Returns (Σ block weights, blocks without a weight).
    The 一级 subtotals take the stated weights: the rows have none of their own."""
    values, member = ind["score"].to_numpy(), ind["member"].to_numpy()
    known = pd.Series(_unknowns_as_inf(values, member), index=ind.index)
    by_level1 = known.groupby([ind["block"], ind["level1"]], sort=False).sum().replace(np.inf, np.nan)
    by_block = known.groupby(ind["block"], sort=False).sum().replace(np.inf, np.nan)
    stated = {(group.block or "", group.name): group for group in form.level1_groups}
    for (block, name), score in by_level1.items():
        group = stated.get((block, name))
        if group is None or group.stated_weight is None or np.isnan(score) or score <= group.stated_weight + _TOL:
            continue
        out.add("level1-score-exceeds", group.cell,
                f"“{name}”标注为 {format_number(group.stated_weight)} 分，其下各项得分合计 {format_number(score)} 分，超过了它的分值：请改正得分。",
                group.stated_weight, round_half_up(score, 4))
    for block in form.blocks:
        title, key = block.title, block.title.address or ""
        level1 = [group for group in form.level1_groups if (group.block or "") == key]
        if block.weight is not None and level1 and all(group.stated_weight is not None for group in level1):
            total = sum(group.stated_weight for group in level1)
            if not close(total, block.weight):
                listed = "、".join(f"{group.name}{format_number(group.stated_weight)}" for group in level1)
                out.add("block-weight-mismatch", title.address,
                        f"“{title.text}”为 {format_number(block.weight)} 分，其下一级指标标注的分值（{listed}）合计 {format_number(total)} 分：请调整一级指标的分值或块的分值。",
                        block.weight, total)
        score = by_block.get(key, np.nan)
        if block.weight is not None and not np.isnan(score) and score > block.weight + _TOL:
            out.add("level1-score-exceeds", title.address,
                    f"“{title.text}”为 {format_number(block.weight)} 分，块内各项得分合计 {format_number(score)} 分，超过了块的分值：请改正得分。",
                    block.weight, round_half_up(score, 4))
    weights: dict[str, float | None] = {}
    for group in form.level1_groups:
        if group.name in weights and weights[group.name] is not None and group.stated_weight is not None:
            weights[group.name] += group.stated_weight
        elif group.name not in weights:
            weights[group.name] = group.stated_weight
        else:
            weights[group.name] = None
    computed.level1 = [Level1Total(group.name, weights.get(group.name), group.score, group.stated_weight, group.cell)
                       for group in computed.level1]
    computed.level2 = []  # the 二级 have no weights here, and a merged 得分 may span them: no subtotal to show
    missing = sum(1 for block in form.blocks if block.weight is None)
    return float(sum(block.weight for block in form.blocks if block.weight is not None)), missing


def _check_unverifiable(form: Form, computed: Computed, unknown_weights: int, unknown_scores: int, out: _Findings) -> None:
    """Never correct toward an unknown: where the total depends on a value that could not be read, say
    that it cannot be verified and why, instead of a total-mismatch with an "应为" number."""
    if computed.total_score is not None and computed.total_weight is not None:
        return
    reasons = []
    if computed.budget_score is None:
        amounts = computed.funds_totals
        if form.fund(_TOTAL) is None:
            reasons.append("没有找到项目资金表（或年度资金总额行），预算执行率得分无法计算")
        elif amounts.get("budget") == 0:
            reasons.append("年度资金总额的全年预算数为 0，执行率和预算执行率得分无法计算")
        else:
            missing = [zh for name, zh in _AMOUNTS[1:] if amounts.get(name) is None]
            reasons.append(f"年度资金总额的{'、'.join(missing) or '全年预算数'}未填写或无法识别，执行率和预算执行率得分无法计算")
    if unknown_scores:
        reasons.append(f"{unknown_scores} 项三级指标的得分未填写或无法识别")
    if unknown_weights:
        reasons.append(f"{unknown_weights} 项三级指标的分值未填写或无法识别")
    if not form.indicators:
        reasons.append("没有读到任何三级指标")
    what = "总分" if computed.total_score is None else "分值合计"
    cell = form.total_score.address if computed.total_score is None else form.total_weight.address
    out.add("cannot-verify", cell or form.total_label.address,
            f"{what}无法核对：{'；'.join(reasons)}。请先补全这些数值；perfxl 不按未知的数推算{what}，也不在自评结果中改写它。",
            None, form.total_score.number if computed.total_score is None else form.total_weight.number)


def _check_outline(form: Form, out: _Findings) -> None:
    """An outline heading (一、示范区建立) carries the sums of the indicators numbered under it."""
    by_row = {ind.row: ind for ind in form.indicators}
    for parent in form.outline_parents:
        children = [by_row[row] for row in parent.children if row in by_row]
        for name, zh in (("weight", "分值"), ("score", "得分")):
            stated = getattr(parent, name).reading
            numbers = [getattr(child, name).reading for child in children]
            if not stated.is_number or not all(n.is_number for n in numbers):
                continue
            total = sum(n.value for n in numbers)
            if not close(stated.value, total):
                out.add("outline-sum-mismatch", getattr(parent, name).address,
                        f"“{parent.name.text}”的{zh}填写为 {format_number(stated.value)}，其下 {len(children)} 项（第 {children[0].row}～{children[-1].row} 行）"
                        f"{zh}合计 {format_number(total)}：标题行应为其下各项之和（只计各项，不另计标题行），请核对。",
                        round_half_up(total, 4), stated.value)


def _check_accounting(form: Form, out: _Findings) -> None:
    """Never silent: what the reading did not take for anything is named, cell and text."""
    for unread in form.unread:
        text = unread.text if len(unread.text) <= 40 else unread.text[:40] + "…"
        if unread.whole_row:
            out.add("row-unread", unread.cell,
                    f"第 {unread.row} 行（“{text}”）没有被读取：它不是指标行（没有自己的分值、得分），也不是已知的表头、说明、脚注或签署行。"
                    "若是指标，请在相应列填写分值和得分；若是说明文字，请移到表格下方写成“注：…”，或删除。")
        else:
            out.add("cell-unread", unread.cell,
                    f"{unread.cell}（“{text}”）没有被读取：它不在自评表的任何一列中（所在行的其余内容已读取）。请把它写到相应的列中，或删除。")


def _grade(computed: Computed, unknown_weights: int, unknown_scores: int, empty: bool) -> tuple[str, str]:
    """The grade of the recomputed total, or 待定 with the reason: a sum over weights that do not total
    100, or with scores missing, is not a score out of 100. ``unknown_*``: indicators without a usable
    分值 / 得分; ``empty``: no indicator at all."""
    reasons = []
    if unknown_weights:
        reasons.append(f"{unknown_weights} 项三级指标没有可用的分值")
    elif computed.total_weight is not None and not close(computed.total_weight, 100.0):
        reasons.append(f"分值合计 {format_number(computed.total_weight)} 分，不是 100 分")
    if unknown_scores:
        reasons.append(f"{unknown_scores} 项三级指标没有可用的得分")
    if empty:
        reasons.append("没有三级指标")
    if computed.budget_score is None:
        reasons.append("预算执行率得分无法计算")
    if reasons:
        return GRADE_PENDING, "，".join(reasons)
    return grade_of(computed.total_score), ""


def _check_weights_standard(form: Form, computed: Computed, out: _Findings) -> None:
    actual = {group.name: group.weight for group in computed.level1}
    if not actual or None in actual.values():
        return  # no indicators, or a weight unread: required-missing already says so
    if "" in actual:  # a table without 一级指标 labels (no 一级/二级 columns): the split cannot be checked
        out.add("nonstandard-weights", form.indicators_header or form.total_label.address,
                f"绩效指标表中{'部分' if len(actual) > 1 else ''}三级指标没有标明所属一级指标（产出指标、效益指标、满意度指标），无法核对一级指标权重"
                f"（标准为预算执行率10、产出指标50、效益指标30、满意度指标10）：请按标准表补充一级、二级指标列。")
        return
    standard = L.DEFAULT_LEVEL1_WEIGHTS
    differs = set(actual) != set(standard) or any(not close(actual[name], standard[name]) for name in standard if name in actual)
    if differs or not close(computed.budget_weight, L.DEFAULT_BUDGET_WEIGHT):
        listed = "、".join(f"{name}{format_number(weight)}" for name, weight in actual.items())
        cell = next((group.cell for group in computed.level1 if group.cell), form.total_label.address)
        out.add("nonstandard-weights", cell,
                f"一级指标权重为 预算执行率{format_number(computed.budget_weight)}、{listed}，与标准权重（预算执行率10、产出指标50、效益指标30、满意度指标10）不同：如非主管部门另有规定，请按标准权重设置。")


def _round(value) -> float | None:
    if value is None or np.isnan(value):
        return None
    return round_half_up(float(value), 2)


def _check_template_text(form: Form, out: _Findings) -> None:
    cells = [form.project, form.department, form.implementer, form.goal_expected, form.goal_actual]
    for ind in form.indicators:
        cells += [ind.level3, ind.target, ind.actual, ind.deviation]
    for cell in cells:
        if cell.address and isinstance(cell.raw, str) and _TEMPLATE_TEXT.search(cell.text):
            out.add("template-text-left", cell.address, f"{cell.address} 仍是模板的填写说明“{cell.text[:30]}”：请替换为实际内容。")
