"""The cells a check derives: the values ``perfxl fill`` may rewrite, decided here, once.

A derived cell is one whose value the rules recompute (执行率, 预算执行率得分, 总分 分值/得分, 等级,
a blank subtotal of 年度资金总额). For each, the check records what the form stated, the value it
should hold, whether the two differ (:func:`perfxl.checks.rules.stated_differs`, the comparison the
findings use) and what the cell showed, written so that reading it back gives the same value. The
writers (:mod:`perfxl.write`) and the marks (:mod:`perfxl.mark.marks`) only render these decisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfxl.model import Cell, Form
from perfxl.numbers import display_text, format_number, format_percent, round_half_up


@dataclass(frozen=True)
class Derived:
    """One derived cell: the form's cell, the recomputed value and the check's verdict on it."""

    stated: Cell  # the cell as the form stated it
    value: object  # the recomputed value (a fraction for a rate, a number, or a grade word)
    kind: str  # rate | score | amount | grade
    differs: bool  # the cell states something else than ``value``
    shown: str  # what a person saw in the cell ("" for a blank one)


def derived_cells(form: Form, computed) -> dict[str, Derived]:
    """address → :class:`Derived`, for the cells of ``form`` the rules derive and fill may rewrite."""
    from perfxl.checks.rules import stated_differs

    cells: dict[str, tuple[Cell, object, str]] = {}
    shared: set[str] = set()  # one cell read as the rate of several rows (a merged 执行率): flagged, not rewritten
    for row in form.funds:
        rate = computed.rates.get(row.row)
        if row.rate.address and rate is not None:
            if row.rate.address in cells:
                shared.add(row.rate.address)
            cells[row.rate.address] = (row.rate, rate, "rate")
    total = form.fund("funds_total")
    if total is not None:
        has_rate = computed.rate is not None or total.rate.reading.is_number
        # the budget score, on the row it sits on (重庆: 其中财政拨款 may hold it; 全过程: none holds one)
        scored = next((fund for fund in form.funds if fund.row == computed.budget_row), None)
        if scored is not None and scored.score.address and has_rate and computed.budget_score is not None:
            cells[scored.score.address] = (scored.score, computed.budget_score, "score")
        for cell, value in total_sums(form, computed):
            if cell.is_blank:  # a blank subtotal: fill in the sum of its parts
                cells[cell.address] = (cell, value, "amount")
    # An unknown total (cannot-verify) is never written: nothing computed from an unknown goes into the workbook.
    if form.total_weight.address and computed.total_weight is not None:
        cells[form.total_weight.address] = (form.total_weight, computed.total_weight, "score")
    if form.total_score.address and computed.total_score is not None:
        cells[form.total_score.address] = (form.total_score, computed.total_score, "score")
    if form.grade_cell.address and computed.grade:
        cells[form.grade_cell.address] = (form.grade_cell, computed.grade, "grade")
    judged = {cell.address for ind in form.indicators
              for cell in (ind.level3, ind.target, ind.actual, ind.weight, ind.score, ind.deviation) if cell.address}
    # A cell read as an indicator's is a judgement cell, even where an odd layout also puts a total
    # on it: flagged, never rewritten. So is a cell read as two things at once.
    return {address: Derived(stated, value, kind, stated_differs(stated, value, kind), shown_original(stated, kind))
            for address, (stated, value, kind) in cells.items() if address not in judged and address not in shared}


def total_sums(form: Form, computed):
    """(cell, value) of the 年度资金总额 amounts (年初预算数, 全年预算数, 全年执行数) the rules know, each as
    perfxl writes it into a blank cell: the sum of the parts, in the form's money unit, to 4 places."""
    total = form.fund("funds_total")
    for name in ("initial", "budget", "executed") if total is not None else ():
        cell, value = getattr(total, name), computed.funds_totals.get(name)
        if cell.address and value is not None:
            yield cell, round_half_up(value / form.money_factor, 4)


def shown_original(stated: Cell, kind: str) -> str:
    """What a person saw in the cell, written so that reading the comment back gives the same value."""
    from perfxl.checks.rules import stated_rate

    raw, fmt = stated.raw, stated.number_format or ""
    if raw is None:
        return ""
    is_number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if is_number and "%" in fmt:
        match = re.search(r"\.(0+)", fmt)
        places = len(match.group(1)) if match else 0
        return f"{round_half_up(raw * 100, places):.{places}f}%"
    reading = stated.reading
    if kind == "rate" and reading.is_number and reading.unit not in ("%", "‰"):
        # A bare 95 or 0.95 in a rate column means 95 %; the cell will show percent, so say it that way.
        return format_percent(stated_rate(stated), 6)
    return format_number(raw, 6) if is_number else display_text(raw)
