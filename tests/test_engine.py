"""The recalculation engine of perfxl/checks/rules.py on its two DataFrames (issue 15, item 2).

Each function of the arithmetic — the frames, execution rates, rule scores, breakdown sums and the
一级/二级 subtotals — is checked against numbers worked out by hand, on forms built in memory (so the
edge cases are exact) and on the seed form read from its file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfxl
from conftest import SEED
from perfxl.checks import rules
from perfxl.model import Cell, Form, FundRow, Indicator, Level1Group
from perfxl.checks.rules import Level1Total, Level2Total


def indicator(row: int, level1: str, level2: str, target, actual, weight, score, deviation="原因", name=None) -> Indicator:
    def cell(column: str, value) -> Cell:
        return Cell(f"{column}{row}", value)

    name = f"指标{row}" if name is None else name
    return Indicator(row=row, level1=level1, level2=level2, level3=cell("D", name), target=cell("E", target),
                     actual=cell("F", actual), weight=cell("G", weight), score=cell("H", score), deviation=cell("I", deviation))


def fund(kind: str, label: str, row: int, budget, executed, group: str = "", inline=None, **cells) -> FundRow:
    extra = {name: Cell(f"{column}{row}", cells[name]) for name, column in (("weight", "G"), ("rate", "H"), ("score", "I")) if name in cells}
    return FundRow(kind, label, row, budget=Cell(f"E{row}", budget), executed=Cell(f"F{row}", executed), group=group,
                   inline=Cell(f"B{row}", inline) if inline is not None else Cell(None), **extra)


def form_of(funds=(), indicators=(), **fields) -> Form:
    return Form(path=Path("内存.xlsx"), sheet="Sheet1", funds=list(funds), indicators=list(indicators), **fields)


# ---------------------------------------------------------------- the frames


def test_frames_of_the_seed_hold_the_stated_numbers():
    form = perfxl.read_form(SEED)
    funds = rules.funds_frame(form)
    assert list(funds.columns) == ["total", "subtotal", "group", "inline", "initial", "budget", "executed", "rate_stated", "weight", "score"]
    assert funds["total"].tolist() == [True, False, False, False]
    assert funds.loc[0, ["budget", "executed", "weight", "score"]].tolist() == [918.0, 918.0, 10.0, 10.0]
    assert funds.loc[0, "rate_stated"] == 1.0
    assert funds["budget"].dtype == float and funds["total"].dtype == bool

    ind = rules.indicator_frame(form)
    assert len(ind) == len(form.indicators) == 13
    assert set(ind.columns) >= {"level1", "level2", "target", "actual", "weight", "score", "direction"}
    assert ind["weight"].sum() == 100 and ind["score"].sum() == 92  # the seed: weights 10 + 100 = 110, total 10 + 92 = 102
    assert ind["level1"].unique().tolist() == ["产出指标", "效益指标", "满意度指标"]


def test_amounts_in_yuan_are_taken_to_wan_yuan():
    form = form_of([fund("funds_total", "年度资金总额", 5, 12_000_000, 11_500_000)], money_factor=1 / 10000)
    funds = rules.funds_frame(form)
    assert funds.loc[0, "budget"] == pytest.approx(1200) and funds.loc[0, "executed"] == pytest.approx(1150)


def test_direction_is_reverse_for_at_most_targets_only():
    form = form_of(indicators=[
        indicator(12, "产出指标", "数量指标", "≥300个", "270个", 10, 9),
        indicator(13, "产出指标", "成本指标", "≤80万元", "88万元", 10, 9.09),
        indicator(14, "产出指标", "成本指标", "<5天", "4天", 10, 10),
        indicator(15, "产出指标", "质量指标", "100%", "100%", 10, 10),
    ])
    assert rules.indicator_frame(form)["direction"].tolist() == ["forward", "reverse", "reverse", "forward"]


def test_an_empty_form_gives_typed_empty_frames():
    form = form_of()
    funds, ind = rules.funds_frame(form), rules.indicator_frame(form)
    assert funds.empty and ind.empty
    assert funds["budget"].dtype == float and ind["score"].dtype == float
    assert rules.subtotals(ind) == ([], [])


# ---------------------------------------------------------------- rates and rule scores


def test_execution_rates_row_by_row():
    form = form_of([
        fund("funds_total", "年度资金总额", 5, 1200, 1150),
        fund("funds_current", "当年财政拨款", 6, 1000, 1000),
        fund("funds_carryover", "上年结转资金", 7, 0, 0),  # nothing budgeted: no rate, not 0 %
        fund("funds_other", "其他资金", 8, 200, None),  # nothing stated as executed: no rate
    ])
    rates = rules.execution_rates(rules.funds_frame(form))
    assert rates[0] == pytest.approx(1150 / 1200) and rates[1] == 1.0
    assert math.isnan(rates[2]) and math.isnan(rates[3])


def test_execution_rates_of_small_and_zero_budgets():
    form = form_of([
        fund("funds_total", "年度资金总额", 5, 0.8, 0.6),  # 8 000 元: a rate like any other
        fund("funds_other", "其他资金", 6, 0, 5),  # spent without a budget: undefined, not infinite
    ])
    rates = rules.execution_rates(rules.funds_frame(form))
    assert rates[0] == pytest.approx(0.75) and math.isnan(rates[1])
    assert perfxl.check_form(form).computed.rates == {5: pytest.approx(0.75), 6: None}


@pytest.mark.parametrize(("raw", "number_format", "fraction"), [
    (1, None, 1.0), (0.95, None, 0.95), (1.5, None, 1.5),  # up to 1.5: already a fraction
    (2, None, 0.02), (95, None, 0.95), (100, None, 1.0),  # above: a percentage written as a number
    ("95.83%", None, 0.9583), (0.9583, "0.00%", 0.9583), ("950‰", None, 0.95),
    ("", None, None), ("约九成", None, None),
])
def test_stated_rate(raw, number_format, fraction):
    stated = rules.stated_rate(Cell("H5", raw, number_format))
    assert stated == (pytest.approx(fraction) if fraction is not None else None)


@pytest.mark.parametrize(("raw", "value", "kind", "differs"), [
    (9.58, 9.58, "score", False), (9.584, 9.58, "score", False), (9.6, 9.58, "score", True),
    (None, 9.58, "score", True), ("九点五八", 9.58, "score", True), ("9.58", 9.58, "score", False),
    (1200, 1200.004, "amount", False), (1200, 1201, "amount", True),
    ("96%", 0.9583, "rate", False), ("95%", 0.9583, "rate", True), ("95.83%", 0.9583, "rate", False),
    ("96%", 0.95504, "rate", False), ("96%", 0.95496, "rate", True),  # a whole percent shown: half a point either way
    ("95.83%", 0.958349, "rate", False), ("95.83%", 0.958249, "rate", True),  # two decimals: 0.005 points
    ("95.8%", 0.95753, "rate", False), ("95.8%", 0.95749, "rate", True),  # one decimal: 0.05 points
    ("优秀", "优", "grade", False), ("良", "优", "grade", True),
])
def test_stated_differs_is_the_one_comparison_of_a_derived_cell(raw, value, kind, differs):
    assert rules.stated_differs(Cell("I5", raw), value, kind) is differs


@pytest.mark.parametrize(("target", "actual", "weight", "expected"), [
    ("≥300个", "270个", 10, 9.0),  # 正向: 270 / 300 × 10
    ("≥300个", "330个", 10, 10.0),  # capped at the weight
    ("≤80万元", "88万元", 10, 9.09),  # 反向: 80 / 88 × 10 = 9.0909…
    ("≤80万元", "0万元", 10, 10.0),  # 反向 with actual 0: any ceiling is met
    ("≤80万元", "60万元", 10, 10.0),
    ("≥0个", "5个", 10, None),  # 正向 with target 0: no rule
    ("≥95%", "88%", 10, 9.26),  # 88 / 95 × 10 = 9.263…
    ("≥300个", "270人", 10, None),  # different units: not compared
    ("≥95%", "0.88", 10, None),  # 88 %, or 0.88 %? not guessed
    ("≥300", "270个", 5, 4.5),  # one unit left out: compared
    ("9 / 400 × 10", "达成", 10, None),  # qualitative: no rule
    ("≥300个", "225个", 3, 2.25),  # 0.75 × 3 = 2.25 exactly, stays 2.25
    ("≥400个", "9个", 10, 0.23),  # 9 / 400 × 10 = 0.225: half up, as Excel's ROUND
    ("≥90%", "0", 10, 0.0),  # nothing done: 0, not unclear
    ("≥2%", "0.5", 10, None),  # 0.5 %, or 50 %? not guessed, however small the target
    ("≥1个", "0个", 5, 0.0),  # a target of 1 is a target like any other
    ("≤0.5%", "0.8%", 10, 6.25),  # 反向 under 1: 0.5 / 0.8 × 10
])
def test_rule_scores(target, actual, weight, expected):
    ind = rules.indicator_frame(form_of(indicators=[indicator(12, "产出指标", "数量指标", target, actual, weight, 0)]))
    [score] = rules.rule_scores(ind, rules.percent_unclear(ind))
    assert (None if np.isnan(score) else float(score)) == expected


# ---------------------------------------------------------------- subtotals


def test_subtotals_group_by_level1_and_level2_in_the_forms_order():
    ind = rules.indicator_frame(form_of(indicators=[
        indicator(12, "产出指标", "数量指标", "≥1", "1", 10, 9),
        indicator(13, "产出指标", "质量指标", "≥1", "1", 15, 15),
        indicator(14, "效益指标", "其他", "≥1", "1", 20, 18.5),
        indicator(15, "产出指标", "其他", "≥1", "1", 25, 25),  # same 二级 name under another 一级: apart
        indicator(16, "产出指标", "数量指标", "≥1", "1", 10, 7.25),  # back to an earlier group: summed with it
        indicator(17, "满意度指标", "满意度指标", "≥1", "1", 10, None),  # no score: unknown, not 0
    ]), )
    level1, level2 = rules.subtotals(ind, [Level1Group("产出指标", 50.0, "B12")])
    assert level1 == [
        Level1Total("产出指标", 60.0, 56.25, 50.0, "B12"),
        Level1Total("效益指标", 20.0, 18.5, None, None),
        Level1Total("满意度指标", 10.0, None, None, None),
    ]
    assert level2 == [
        Level2Total("产出指标", "数量指标", 20.0, 16.25),
        Level2Total("产出指标", "质量指标", 15.0, 15.0),
        Level2Total("产出指标", "其他", 25.0, 25.0),
        Level2Total("效益指标", "其他", 20.0, 18.5),
        Level2Total("满意度指标", "满意度指标", 10.0, None),
    ]


def test_a_subtotal_with_a_blank_score_is_unknown_not_the_sum_of_the_others():
    """Never a number computed from an unknown: 8.5 + (blank) is not a subtotal of 8.5."""
    ind = rules.indicator_frame(form_of(indicators=[
        indicator(12, "产出指标", "数量指标", "≥1", "1", 10, 8.5),
        indicator(13, "产出指标", "数量指标", "≥1", "1", 10, None),
        indicator(14, "效益指标", "社会效益指标", "≥1", "1", 30, 30),
    ]))
    [output, benefit], [quantity, social] = rules.subtotals(ind)
    assert (output.weight, output.score) == (20.0, None) and (quantity.weight, quantity.score) == (20.0, None)
    assert (benefit.weight, benefit.score) == (30.0, 30.0) and (social.weight, social.score) == (30.0, 30.0)


def test_subtotals_in_the_json_and_the_stated_label_weight(tmp_path):
    form = form_of(
        [fund("funds_total", "年度资金总额", 5, 100, 100)],
        [indicator(12, "产出指标", "数量指标", "≥1", "1", 50, 50), indicator(13, "效益指标", "社会效益指标", "≥1", "1", 30, 30),
         indicator(14, "满意度指标", "满意度指标", "≥1", "1", 10, 10)],
        level1_groups=[Level1Group("产出指标", 40.0, "B12")],
    )
    result = perfxl.check_form(form)
    assert [(f.code, f.cell, f.expected, f.actual) for f in result.findings if f.code == "level1-weight-mismatch"] == [
        ("level1-weight-mismatch", "B12", 40.0, 50.0)]
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert doc["form"]["level1"][0] == {"name": "产出指标", "weight": 50.0, "score": 50.0, "stated_weight": 40.0, "cell": "B12"}
    assert result.computed.total_score == 100 and result.computed.grade == "优"


# ---------------------------------------------------------------- breakdowns of a department form


def test_breakdown_sums_keep_the_two_breakdowns_apart_and_leave_out_inline_amounts():
    form = form_of([
        fund("funds_total", "年度资金总额", 5, 1000, 900),
        fund("funds_part", "一般公共预算", 7, 800, 700, group="income"),
        fund("funds_part", "其他收入", 8, 200, 200, group="income"),
        fund("funds_part", "基本支出", 10, 600, 600, group="expenditure"),
        fund("funds_part", "项目支出", 11, 300, 250, group="expenditure"),
        fund("funds_part", "其中：政府采购", 12, None, None, group="expenditure", inline="50万元"),
    ])
    sums = rules.breakdown_sums(rules.funds_frame(form))
    assert sums.index.tolist() == ["income", "expenditure"]
    assert sums.loc["income", ["budget", "executed"]].tolist() == [1000.0, 900.0]
    assert sums.loc["expenditure", ["budget", "executed"]].tolist() == [900.0, 850.0]
    assert sums["initial"].isna().all()  # no 年初预算数 anywhere: unknown, not 0

    result = perfxl.check_form(form)
    disagree = [(f.cell, f.expected, f.actual) for f in result.findings if f.code == "breakdowns-disagree"]
    assert disagree == [("E10", 1000.0, 900.0), ("F10", 900.0, 850.0)]


def test_a_blank_total_is_filled_from_the_first_breakdown():
    form = form_of([
        fund("funds_total", "年度资金总额", 5, None, 0, weight=10, score=0),
        fund("funds_current", "当年财政拨款", 6, 800, 760),
        fund("funds_other", "其他资金", 7, 200, 200),
    ])
    result = perfxl.check_form(form)
    computed = result.computed
    assert computed.funds_totals == {"initial": None, "budget": 1000.0, "executed": 960.0}
    assert computed.rate == pytest.approx(0.96) and computed.budget_score == 9.6
    codes = [(f.code, f.cell, f.expected, f.actual) for f in result.findings if f.code in ("funds-sum-mismatch", "budget-score-mismatch")]
    assert codes == [("funds-sum-mismatch", "E5", 1000.0, None), ("funds-sum-mismatch", "F5", 960.0, 0.0),
                     ("budget-score-mismatch", "I5", 9.6, 0.0)]


def test_results_frame_is_one_row_per_form():
    frame = perfxl.results_frame(perfxl.check(SEED))
    assert isinstance(frame, pd.DataFrame) and len(frame) == 1


def test_every_mutation_of_the_mutation_check_still_applies():
    """benchmarks/mutate_rules.py edits rules.py by exact text: a stale entry would silently test nothing."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "mutate_rules.py"
    spec = importlib.util.spec_from_file_location("mutate_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = Path(rules.__file__).read_text(encoding="utf-8")
    stale = [name for name, old, _ in module.MUTATIONS if source.count(old) != 1]
    assert stale == [] and len(module.MUTATIONS) >= 25


def test_a_blank_total_budget_without_parts_is_required():
    form = form_of([fund("funds_total", "年度资金总额", 5, None, 500)])
    found = [(f.code, f.cell) for f in perfxl.check_form(form).findings if f.cell and f.cell.startswith(("E", "F"))]
    assert found == [("required-missing", "E5")]


def test_a_zero_total_is_filled_from_small_parts_too():
    form = form_of([
        fund("funds_total", "年度资金总额", 5, 0, 0),
        fund("funds_current", "当年财政拨款", 6, 0.6, 0.45),  # 6 000 元 budgeted, 4 500 元 spent
    ])
    computed = perfxl.check_form(form).computed
    assert computed.funds_totals["budget"] == 0.6 and computed.rate == pytest.approx(0.75)


def inline_form(total_budget, total_executed, *amounts) -> Form:
    """A department form whose 按收入性质分 parts carry their amounts in the label cell."""
    rows = [fund("funds_total", "年度资金总额", 5, total_budget, total_executed)]
    rows += [fund("funds_part", label, 7 + i, None, None, group="income", inline=amount) for i, (label, amount) in enumerate(amounts)]
    return form_of(rows, money_factor=1.0)


def test_inline_amounts_in_yuan_and_wan_yuan_are_summed_in_wan_yuan():
    form = inline_form(1000, 900, ("一般公共预算", "8000000元"), ("其他收入", "200万元"))
    assert [f.code for f in perfxl.check_form(form).findings if f.code == "funds-sum-mismatch"] == []
    form = inline_form(1000, 900, ("一般公共预算", "8000000元"), ("其他收入", "300万元"))
    [finding] = [f for f in perfxl.check_form(form).findings if f.code == "funds-sum-mismatch"]
    assert finding.cell == "B7" and finding.actual == 1100
    assert "合计 1100 万元，与年度资金总额（全年预算数 1000 万元、全年执行数 900 万元）不相等" in finding.message


def test_inline_amounts_against_a_blank_total():
    form = inline_form(None, None, ("一般公共预算", "800万元"))
    [finding] = [f for f in perfxl.check_form(form).findings if f.code == "funds-sum-mismatch"]
    assert "与年度资金总额（未填写）不相等" in finding.message


def messages(form: Form, code: str) -> list[str]:
    return [f.message for f in perfxl.check_form(form).findings if f.code == code]


def test_messages_name_the_rule_and_the_numbers():
    form = form_of(indicators=[
        indicator(12, "产出指标", "成本指标", "≤80万元", "88万元", 10, 9),
        indicator(13, "产出指标", "质量指标", "≥90%", "0.88", 10, 10),
        indicator(14, "效益指标", "社会效益指标", "达成", "部分达成", 15, 15),
        indicator(15, "产出指标", "数量指标", "≥300个", "270个", 10, 8),
        indicator(16, "产出指标", "数量指标", "≥5个", "5个", 10, 10, name=""),
        indicator(17, "满意度指标", "满意度指标", "达成", "达成", 10, 5),
    ])
    rule = messages(form, "score-rule-mismatch")
    assert any("按反向指标 min(指标值 ÷ 实际值, 1) × 分值应得 9.09 分" in m for m in rule)
    assert any("按正向指标 min(实际值 ÷ 指标值, 1) × 分值应得 9 分" in m for m in rule)
    assert any("对应得分为分值的 60%～80%，填写得分 15（分值 15）不在此区间" in m for m in rule)
    assert any("完成情况“达成”对应得分为分值的 80%～100%，填写得分 5（分值 10）" in m for m in rule)
    assert any("请写成百分数（如“88%”）" in m for m in messages(form, "percent-unclear"))
    assert any("“（未命名指标）”的三级指标名称未填写" in m for m in messages(form, "required-missing"))


def test_a_band_word_without_a_score_or_weight_is_not_judged_by_its_band():
    form = form_of(indicators=[
        indicator(12, "效益指标", "社会效益指标", "达成", "达成", 15, None),  # no score: required-missing says so
        indicator(13, "效益指标", "社会效益指标", "达成", "部分达成", 0, 0),  # weight 0: no share to judge
    ])
    assert messages(form, "score-rule-mismatch") == []
    assert [m for m in messages(form, "required-missing") if "指标" in m] == ["“指标12”的得分未填写：请填写得分。"]


def test_the_total_is_rounded_to_two_places():
    form = form_of([fund("funds_total", "年度资金总额", 5, 100, 100, weight=10, score=10)], [
        indicator(12, "产出指标", "数量指标", "≥1", "1", 30, 29.994),
        indicator(13, "效益指标", "社会效益指标", "≥1", "1", 30, 30),
        indicator(14, "满意度指标", "满意度指标", "≥1", "1", 30, 30),
    ])
    computed = perfxl.check_form(form).computed
    assert computed.total_score == 99.99 and computed.total_weight == 100
