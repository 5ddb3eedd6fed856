"""The facts of a report: every number and sentence of a checked form, formatted once.

The report's text (:mod:`perfxl.report.context`) and its 附件 tables (:mod:`perfxl.report.annex`)
are built from the same :class:`Facts` strings, so they can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfxl.model import KIND_DEPARTMENT, KIND_PROJECT, scored_groups
from perfxl.numbers import close, format_number, format_percent
from perfxl.report.engine import XML_UNSAFE



@dataclass
class IndicatorFacts:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: str
    score: str
    deviation: str
    deducted: bool = False
    lost: str = ""  # points deducted, formatted
    hints: list[str] = field(default_factory=list)  # warnings about this row, for the text
    #: A 分值/得分 merged with the row above (one scored group): the annex merges the cells, the text
    #: speaks of the group once, on its first row (which carries the group's numbers).
    weight_joined: bool = False
    score_joined: bool = False

    @property
    def where(self) -> str:
        """“（数量指标）” after the indicator's name in the report; nothing for a form without 一级/二级 columns."""
        group = self.level2 or self.level1
        return f"（{group}）" if group else ""


@dataclass
class FundFacts:
    label: str
    initial: str
    budget: str
    executed: str
    weight: str
    rate: str
    score: str
    group: str = ""  # department forms: "income" (按收入性质分) or "expenditure" (按支出性质分)
    inline: str = ""  # an amount written into the label (其中：一般公共预算：1873.66万元), in 万元, column not said

    @property
    def inline_text(self) -> str:
        """The inline amount as the report writes it: ``1873.66万元`` (text that is no number as it is)."""
        is_amount = re.fullmatch(r"-?[0-9][0-9,]*(?:\.[0-9]+)?", self.inline)
        return f"{self.inline}万元" if is_amount else self.inline


@dataclass
class Facts:
    """What the report says, as display strings (amounts in 万元)."""

    year: str
    project: str
    department: str
    implementer: str
    funds: list[FundFacts]
    goal_expected: str
    goal_actual: str
    indicators: list[IndicatorFacts]
    level1: list[dict]  # name, weight, score, stated_weight (strings), level2 [{name, weight, score}]
    initial: str
    budget: str
    executed: str
    rate: str
    budget_weight: str
    budget_score: str
    total_weight: str
    total_score: str
    total_stated: str | None  # the form's own 总分 where it differs from the recomputed one
    grade: str
    kind: str = KIND_PROJECT
    unit: str = ""  # 部门（单位）名称 of a department form

    @property
    def is_department(self) -> bool:
        return self.kind == KIND_DEPARTMENT

    @property
    def subject(self) -> str:
        """How the text names what the form is about: 项目 or 部门."""
        return "部门" if self.is_department else "项目"

    def breakdowns(self) -> list[tuple[str, list[FundFacts]]]:
        """A department form's parts by breakdown, in the form's order: [(group, rows)]."""
        groups: dict[str, list[FundFacts]] = {}
        for fund in self.funds:
            if fund.group:
                groups.setdefault(fund.group, []).append(fund)
        return list(groups.items())


def clean(text: object) -> str:
    """Text safe for XML, outer whitespace (incl. U+3000) trimmed."""
    if text is None:
        return ""
    return XML_UNSAFE.sub("", str(text)).replace("\r\n", "\n").strip(" \t\r\n\u3000\xa0")


def _amount(value: float | None) -> str:
    return format_number(value) if value is not None else ""


def _cell_number(cell, factor: float = 1.0) -> str:
    """A number cell as the report shows it; text that is not a number is shown as written."""
    reading = cell.reading
    if reading.is_number and reading.unit in (None, "万元", "元", "分"):
        return format_number(reading.value * factor)
    return "" if reading.is_blank else clean(cell.text)


def _inline_amount(cell, money_factor: float) -> str:
    """An amount written into a label cell, in 万元 (its own unit when it says one)."""
    if cell.address is None:
        return ""
    reading = cell.reading
    if reading.is_number:
        factor = {"元": 1 / 10000, "万元": 1.0}.get(reading.unit or "", money_factor)
        return format_number(reading.value * factor)
    return "" if reading.is_blank else clean(cell.text)


def collect_facts(result) -> Facts:
    """Every value the report shows, from the checked form and what perfxl recomputed."""
    form, computed = result.form, result.computed
    total_kind = "funds_total"
    funds = []
    for row in form.funds:
        is_total = row.kind == total_kind
        rate = computed.rates.get(row.row)
        funds.append(FundFacts(
            label=clean(row.label),
            initial=_cell_number(row.initial, form.money_factor),
            budget=_cell_number(row.budget, form.money_factor),
            executed=_cell_number(row.executed, form.money_factor),
            # 分值/得分 belong to the 年度资金总额 row only (perfxl recomputes them there).
            weight=format_number(computed.budget_weight) if is_total else "",
            rate=format_percent(rate) if rate is not None else "",
            score=format_number(computed.budget_score) if is_total and computed.budget_score is not None else "",
            group=row.group, inline=_inline_amount(row.inline, form.money_factor),
        ))
    total = next((f for f in funds if f.label and form.fund(total_kind) and f.label == clean(form.fund(total_kind).label)), None)
    if total is not None:
        totals = computed.funds_totals
        total.initial = _amount(totals.get("initial")) or total.initial
        total.budget = _amount(totals.get("budget")) or total.budget
        total.executed = _amount(totals.get("executed")) or total.executed

    hints_by_cell: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.code in ("deducted-but-complete", "full-but-incomplete", "score-rule-mismatch") and finding.cell:
            hints_by_cell.setdefault(finding.cell, []).append(finding.message)
    indicators = []
    groups = scored_groups(form.indicators)
    previous = None
    for ind in form.indicators:
        weight, score = ind.weight.number, ind.score.number
        weight_text, score_text = _cell_number(ind.weight), _cell_number(ind.score)
        first_of_group = ind.group is None or groups[ind.group][0][0] is ind
        if ind.group and first_of_group:  # the group's numbers: its distinct cells added up
            _, weights, scores = groups[ind.group]
            numbers = [[cell.number for cell in cells] for cells in (weights, scores)]
            weight, score = (None if None in values else sum(values) for values in numbers)
            weight_text = format_number(weight) if weight is not None else weight_text
            score_text = format_number(score) if score is not None else score_text
        deducted = first_of_group and weight is not None and score is not None and score < weight - 0.005
        joined = {field: bool(previous and ind.group and previous.group == ind.group and getattr(ind, field).address == getattr(previous, field).address)
                  for field in ("weight", "score")}
        indicators.append(IndicatorFacts(
            level1=ind.level1, level2=ind.level2, name=clean(ind.level3.text), target=clean(ind.target.text),
            actual=clean(ind.actual.text), weight=weight_text, score=score_text,
            deviation=clean(ind.deviation.text), deducted=deducted,
            lost=format_number(weight - score) if deducted else "",
            hints=hints_by_cell.get(ind.score.address or "", []) if first_of_group else [],
            weight_joined=joined["weight"], score_joined=joined["score"],
        ))
        previous = ind

    level2_of: dict[str, list[dict]] = {}
    for sub in computed.level2:
        level2_of.setdefault(sub.level1, []).append(
            {"name": sub.level2, "weight": format_number(sub.weight), "score": format_number(sub.score)})
    level1 = []
    for group in computed.level1:
        stated = group.stated_weight
        mismatch = stated is not None and group.weight is not None and not close(stated, group.weight)
        level1.append({
            "name": group.name, "weight": format_number(group.weight), "score": format_number(group.score),
            "stated_weight": format_number(stated) if mismatch else None, "level2": level2_of.get(group.name, []),
        })

    stated_total = form.total_score.number
    differs = stated_total is not None and computed.total_score is not None and abs(stated_total - computed.total_score) > 0.005
    totals = computed.funds_totals
    return Facts(
        year=str(form.year) if form.year else "",
        project=clean(form.project.text),
        department=clean(form.department.text),
        implementer=clean(form.implementer.text),
        funds=funds,
        goal_expected=clean(form.goal_expected.text),
        goal_actual=clean(form.goal_actual.text),
        indicators=indicators,
        level1=level1,
        initial=_amount(totals.get("initial")),
        budget=_amount(totals.get("budget")),
        executed=_amount(totals.get("executed")),
        rate=format_percent(computed.rate) if computed.rate is not None else "",
        budget_weight=format_number(computed.budget_weight),
        budget_score=format_number(computed.budget_score) if computed.budget_score is not None else "",
        total_weight=format_number(computed.total_weight),
        total_score=format_number(computed.total_score),
        total_stated=format_number(stated_total) if differs else None,
        grade=computed.grade,
        kind=form.kind,
        unit=clean(form.unit.text),
    )
