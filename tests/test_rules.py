"""The rules of DESIGN.md, one finding code at a time (issue 3).

Every case starts from ``clean_spec()`` (a consistent form: no findings), changes one thing, builds
the workbook with the form builder, reads it back and checks it. A failing case pins the *whole*
finding list (code, severity, cell, expected, actual), so a rule that fires too often fails as
surely as one that never fires. A passing case is the closest consistent variant and must give no
finding at all.

Layout of the clean form (``clean_spec``), as the tests address it::

    B2 项目名称  B3 主管部门
    row 5 年度资金总额, 6 其中：当年财政拨款, 7 上年结转资金, 8 其他资金
          D 年初预算数  E 全年预算数  F 全年执行数  G 分值  H 执行率  I 得分
    B10 预期目标  F10 实际完成情况
    rows 12–19 三级指标 (index 0–7): D 三级指标  E 年度指标值  F 实际完成值  G 分值  H 得分  I 偏差原因
          B12 产出指标（50分）  B17 效益指标（30分）  B19 满意度指标（10分）
    row 20 总分: G20 分值 100, H20 得分 99.36  (= 9.58 + 89.78)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from perfxl.read.schemes import SCHEME_RULES

import perfxl
from conftest import SEED, spec_copy
from perfxl.checks import rules
from perfxl.write.formbuilder import build_workbook
from perfxl.checks.rules import CATALOGUE, grade_of

import make_samples  # samples/make_samples.py (conftest puts it on sys.path)

ROOT = Path(__file__).resolve().parents[1]
CLEAN_TOTAL = 99.36  # 9.58 (budget) + 89.78 (indicators)
FUND_FIELDS = ("initial", "budget", "executed", "weight", "rate", "score")
NOT_TESTED_HERE = {"roundtrip-loss", "column-missing", "breakdowns-disagree",  # tests/test_writer.py, test_variants.py, test_department.py
                   "row-unread", "cell-unread", "score-grouped", "outline-sum-mismatch",  # tests/test_accounted_reading.py
                   *SCHEME_RULES}  # the codes of other scoring schemes: tests/test_schemes.py


# ---------------------------------------------------------------- building variants


def ind(index: int, **changes):
    """Change fields of the index-th 三级指标 (0 = row 12)."""

    def mutate(spec):
        for name, value in changes.items():
            setattr(spec.blocks[0][index], name, value)

    return mutate


def fund(kind: str, **changes):
    """Change cells of a 项目资金 row: initial, budget, executed, weight, rate, score."""

    def mutate(spec):
        values = list(spec.funds.get(kind, (None,) * 6))
        for name, value in changes.items():
            values[FUND_FIELDS.index(name)] = value
        spec.funds[kind] = tuple(values)

    return mutate


def setf(**changes):
    """Change FormSpec fields (project, total_score, narrative_rows …)."""

    def mutate(spec):
        for name, value in changes.items():
            setattr(spec, name, value)

    return mutate


def total(score):
    return setf(total_score=score)


def relabel(old_prefix: str, new_label: str):
    """Replace the 一级指标 label of every indicator whose label starts with old_prefix."""

    def mutate(spec):
        for item in spec.blocks[0]:
            if item.level1 and item.level1.startswith(old_prefix):
                item.level1 = new_label

    return mutate


def variant(*mutations):
    spec = spec_copy(make_samples.clean_spec())
    for mutate in mutations:
        mutate(spec)
    return spec


def check_spec(tmp_path: Path, spec, formats: dict[str, str] | None = None, name: str = "form.xlsx"):
    """Build the workbook, optionally set number formats (cell → format), read and check it."""
    path = tmp_path / name
    wb = build_workbook(spec)
    for address, number_format in (formats or {}).items():
        wb.active[address].number_format = number_format
    wb.save(path)
    return perfxl.check_form(perfxl.read_form(path))


def pinned(result) -> list[tuple]:
    return [(f.code, f.severity, f.cell, f.expected, f.actual) for f in result.findings]


def describe(result) -> str:
    return "\n".join(f"{f.code} {f.cell} {f.expected} {f.actual} {f.message}" for f in result.findings)


# ---------------------------------------------------------------- the clean form and the seed form


@pytest.fixture(scope="module")
def clean_result(tmp_path_factory):
    return check_spec(tmp_path_factory.mktemp("clean"), make_samples.clean_spec())


@pytest.fixture(scope="module")
def seed_result():
    return perfxl.check_form(perfxl.read_form(SEED))


def test_clean_form_has_no_findings_and_recomputes(clean_result):
    assert clean_result.findings == [], describe(clean_result)
    computed = clean_result.computed
    assert computed.rate == pytest.approx(1150 / 1200)
    assert computed.budget_score == 9.58
    assert computed.total_weight == 100
    assert computed.total_score == CLEAN_TOTAL
    assert computed.grade == "优"
    # 居民满意度: ≥90 % target, 88 % actual → 88/90 × 10 = 9.777… → 9.78
    assert computed.rule_scores == [10, 10, 10, None, 10, 15, None, 9.78]
    assert clean_result.ok


#: The seed form's complete finding list, in the order perfxl reports it (errors, warnings, infos; by cell).
SEED_FINDINGS = [
    ("level1-weight-mismatch", "error", "B19", 30.0, 40.0),
    ("total-weight-not-100", "error", "G25", 100.0, 110.0),
    ("total-weight-mismatch", "error", "G25", 110.0, 100.0),
    ("total-mismatch", "error", "H25", 102.0, 92.0),
    ("subrow-scored", "warning", "G6", None, 10.0),
    ("subrow-scored", "warning", "I6", None, 10.0),
    ("deducted-but-complete", "warning", "H18", 10.0, 8.0),
    ("deducted-but-complete", "warning", "H20", 5.0, 4.0),
    ("deducted-but-complete", "warning", "H21", 10.0, 8.0),
    ("deducted-but-complete", "warning", "H22", 10.0, 9.0),
    ("nonstandard-weights", "info", "B12", None, None),
    ("indicator-misfiled", "info", "D16", None, None),
    ("indicator-misfiled", "info", "D17", None, None),
    ("indicator-misfiled", "info", "D18", None, None),
]


def test_seed_form_golden_findings(seed_result):
    assert pinned(seed_result) == SEED_FINDINGS, describe(seed_result)
    assert {f.sheet for f in seed_result.findings} == {"自评表"}
    computed = seed_result.computed
    assert (computed.rate, computed.budget_score, computed.total_weight, computed.total_score) == (1.0, 10.0, 110.0, 102.0)
    # 102 points over weights of 110 is no score out of 100: no grade until the weights are corrected
    assert (computed.grade, computed.grade_reason) == ("待定", "分值合计 110 分，不是 100 分")
    assert not seed_result.ok
    by_code = {f.code: f for f in seed_result.findings}
    assert "效益指标" in by_code["level1-weight-mismatch"].message and "40" in by_code["level1-weight-mismatch"].message
    assert "102" in by_code["total-mismatch"].message


# ---------------------------------------------------------------- failing cases: one per code (and the tricky parts)

E, W, I = "error", "warning", "info"

FAILING = [
    # 项目资金
    pytest.param([fund("funds_total", initial=1100)],
                 [("funds-sum-mismatch", E, "D5", 1000.0, 1100.0)], id="funds-sum-mismatch"),
    pytest.param([fund("funds_total", initial=1000.006)],
                 [("funds-sum-mismatch", E, "D5", 1000.0, 1000.006)], id="funds-sum-mismatch-just-over-tolerance"),
    pytest.param([fund("funds_total", rate=0.9)],
                 [("rate-mismatch", E, "H5", 0.9583, 0.9)], id="rate-mismatch"),
    # 0.95 formatted 0% shows "95%", but 1150/1200 = 95.83 % shows as 96 %
    pytest.param([fund("funds_total", rate=0.95)],
                 [("rate-mismatch", E, "H5", 0.9583, 0.95)], id="rate-mismatch-percent-format"),
    pytest.param([fund("funds_total", rate="95.82%")],
                 [("rate-mismatch", E, "H5", 0.9583, 0.9582)], id="rate-mismatch-text-two-decimals"),
    # 100 in a cell formatted 0% displays 10000 %: that is what the form states
    pytest.param([fund("funds_carryover", rate=100)],
                 [("rate-mismatch", E, "H7", 1.0, 100.0)], id="rate-mismatch-100-formatted-percent"),
    pytest.param([fund("funds_total", score=9.6)],  # the total is checked against the recomputed 9.58
                 [("budget-score-mismatch", E, "I5", 9.58, 9.6)], id="budget-score-mismatch"),
    pytest.param([fund("funds_total", score=9.574)],
                 [("budget-score-mismatch", E, "I5", 9.58, 9.574)], id="budget-score-mismatch-just-over-tolerance"),
    # 1250/1200 = 104 %: the score is capped at the 分值
    pytest.param([fund("funds_total", executed=1250, rate=1.0417, score=10.42), fund("funds_current", executed=1150, rate=1.0455), total(99.78)],
                 [("budget-score-mismatch", E, "I5", 10.0, 10.42), ("executed-exceeds-budget", W, "F5", 1200.0, 1250.0),
                  ("executed-exceeds-budget", W, "F6", 1100.0, 1150.0)], id="budget-score-capped-at-weight"),
    # 107/400 × 10 = 2.675 → ROUND_HALF_UP 2.68 (Python's round() gives 2.67)
    pytest.param([setf(funds={"funds_total": (400, 400, 107, 10, 0.2675, 2.67), "funds_current": (400, 400, 107, None, 0.2675, None)}), total(92.46)],
                 [("budget-score-mismatch", E, "I5", 2.68, 2.67)], id="round-half-up-2.675"),
    # 9/400 × 10 is 0.22499999999999998 in floating point but 0.225 on paper → 0.23
    pytest.param([setf(funds={"funds_total": (400, 400, 9, 10, 0.0225, 0.22), "funds_current": (400, 400, 9, None, 0.0225, None)}), total(90.01)],
                 [("budget-score-mismatch", E, "I5", 0.23, 0.22)], id="round-half-up-float-noise"),
    pytest.param([setf(funds={"funds_total": (0, 0, 0, 10, None, 0), "funds_current": (0, 0, 0, None, None, None)}), total(89.78)],
                 [("budget-zero", E, "E5", None, None), ("cannot-verify", W, "H20", None, 89.78)], id="budget-zero"),
    # a sub-row with no budget that spent money; a sub-row with 0 / 0 is fine (see PASSING)
    pytest.param([fund("funds_current", budget=1200, executed=1100, rate=0.9167), fund("funds_carryover", budget=0, executed=50, rate=None)],
                 [("budget-zero", E, "E7", None, None), ("executed-exceeds-budget", W, "F7", 0.0, 50.0)], id="budget-zero-subrow-spent"),
    pytest.param([fund("funds_carryover", executed=100.01, rate=1.0001), fund("funds_total", executed=1150.01)],
                 [("executed-exceeds-budget", W, "F7", 100.0, 100.01)], id="executed-exceeds-budget"),
    pytest.param([fund("funds_current", weight=10, score=9.55)],
                 [("subrow-scored", W, "G6", None, 10.0), ("subrow-scored", W, "I6", None, 9.55)], id="subrow-scored"),
    pytest.param([fund("funds_total", budget="一千二百")],
                 [("amount-not-number", E, "E5", None, None)], id="amount-not-number-budget"),
    pytest.param([fund("funds_total", rate="约96%")],
                 [("amount-not-number", E, "H5", None, None)], id="amount-not-number-rate"),
    # weights
    pytest.param([relabel("产出", "产出指标\n（40分）")],
                 [("level1-weight-mismatch", E, "B12", 40.0, 50.0)], id="level1-weight-mismatch"),
    pytest.param([relabel("产出", "产出指标"), relabel("效益", "效益指标"), relabel("满意度", "满意度指标"),
                  ind(0, weight=12, score=12), setf(total_weight=102), total(101.36)],
                 [("total-weight-not-100", E, "G20", 100.0, 102.0), ("nonstandard-weights", I, "B12", None, None)], id="total-weight-not-100"),
    pytest.param([setf(total_weight=90)],
                 [("total-weight-mismatch", E, "G20", 100.0, 90.0)], id="total-weight-mismatch"),
    pytest.param([relabel("产出", "产出指标\n（45分）"), relabel("效益", "效益指标\n（35分）"),
                  ind(0, weight=5, score=5), ind(5, weight=20, score=20)],
                 [("nonstandard-weights", I, "B12", None, None)], id="nonstandard-weights"),
    # scores
    pytest.param([ind(6, score=16), total(100.36)],
                 [("score-exceeds-weight", E, "H18", 15.0, 16.0)], id="score-exceeds-weight"),
    pytest.param([ind(6, score=15.006), total(99.366)],
                 [("score-exceeds-weight", E, "H18", 15.0, 15.006)], id="score-exceeds-weight-just-over-tolerance"),
    pytest.param([ind(6, score=-1, deviation="机制尚未建立"), total(83.36)],
                 [("score-exceeds-weight", E, "H18", 15.0, -1.0)], id="score-negative"),
    pytest.param([ind(6, score="满分")],
                 [("score-not-number", E, "H18", None, None), ("cannot-verify", W, "H20", None, 99.36)], id="score-not-number-score"),
    pytest.param([setf(total_score="九十九点三六")],
                 [("score-not-number", E, "H20", None, None)], id="score-not-number-total"),
    pytest.param([fund("funds_total", weight="十")],
                 [("score-not-number", E, "G5", None, None)], id="score-not-number-budget-weight"),
    pytest.param([ind(7, deviation=None)],
                 [("deviation-missing", E, "I19", 10.0, 9.78)], id="deviation-missing"),
    pytest.param([ind(7, deviation="　")],
                 [("deviation-missing", E, "I19", 10.0, 9.78)], id="deviation-missing-fullwidth-space"),
    pytest.param([ind(7, deviation="—")],
                 [("deviation-missing", E, "I19", 10.0, 9.78)], id="deviation-missing-dash"),
    # 已完成 vs 未完成/部分完成/有待完善
    pytest.param([ind(6, actual="已完成", score=12, deviation="部分制度待印发"), total(96.36)],
                 [("deducted-but-complete", W, "H18", 15.0, 12.0)], id="deducted-but-complete"),
    pytest.param([ind(6, actual="完成", score=12, deviation="部分制度待印发"), total(96.36)],
                 [("deducted-but-complete", W, "H18", 15.0, 12.0)], id="deducted-but-complete-plain"),
    pytest.param([ind(6, actual="未完成")],
                 [("full-but-incomplete", W, "H18", None, 15.0)], id="full-but-incomplete-未完成"),
    pytest.param([ind(6, actual="部分完成")],
                 [("full-but-incomplete", W, "H18", None, 15.0)], id="full-but-incomplete-部分完成"),
    pytest.param([ind(6, actual="有待完善")],
                 [("full-but-incomplete", W, "H18", None, 15.0)], id="full-but-incomplete-有待完善"),
    pytest.param([ind(1, actual="270个")],
                 [("full-but-incomplete", W, "H13", 9.0, 10.0)], id="full-but-incomplete-numeric"),
    # 反向 (≤): 80/88 × 10 = 9.09
    pytest.param([ind(4, actual="88万元")],
                 [("full-but-incomplete", W, "H16", 9.09, 10.0)], id="full-but-incomplete-reverse"),
    pytest.param([ind(1, actual="270个", score=8, deviation="用地调整"), total(97.36)],
                 [("score-rule-mismatch", W, "H13", 9.0, 8.0)], id="score-rule-mismatch-forward"),
    pytest.param([ind(4, actual="88万元", score=8, deviation="材料涨价"), total(97.36)],
                 [("score-rule-mismatch", W, "H16", 9.09, 8.0)], id="score-rule-mismatch-reverse"),
    pytest.param([ind(4, target="不超过80万元", actual="88万元", score=8, deviation="材料涨价"), total(97.36)],
                 [("score-rule-mismatch", W, "H16", 9.09, 8.0)], id="score-rule-mismatch-reverse-words"),
    pytest.param([ind(2, actual="98%", score=9, deviation="2项整改后合格"), total(98.36)],
                 [("score-rule-mismatch", W, "H14", 9.8, 9.0)], id="score-rule-mismatch-percent"),
    # 9.994 is outside the tolerance of the rule's 10
    pytest.param([ind(0, score=9.994, deviation="x"), total(99.354)],
                 [("score-rule-mismatch", W, "H12", 10.0, 9.994)], id="score-rule-mismatch-just-over-tolerance"),
    # a percent target with a bare fraction for the actual: not guessed, not scored by the rule
    pytest.param([ind(7, actual="0.88")],
                 [("percent-unclear", W, "F19", None, None)], id="percent-unclear"),
    pytest.param([ind(2, actual=1)],
                 [("percent-unclear", W, "F14", None, None)], id="percent-unclear-one"),
    # qualitative bands on a 15-point indicator: 达成 [12, 15], 部分达成 [9, 12), 未达成 [0, 9)
    pytest.param([ind(6, actual="达成", score=11.9, deviation="x"), total(96.26)],
                 [("score-rule-mismatch", W, "H18", None, 11.9)], id="band-达成-below-80"),
    pytest.param([ind(6, actual="部分达成", score=12, deviation="x"), total(96.36)],
                 [("score-rule-mismatch", W, "H18", None, 12.0)], id="band-部分达成-at-80"),
    pytest.param([ind(6, actual="部分达成", score=8.9, deviation="x"), total(93.26)],
                 [("score-rule-mismatch", W, "H18", None, 8.9)], id="band-部分达成-below-60"),
    pytest.param([ind(6, actual="未达成", score=9, deviation="x"), total(93.36)],
                 [("score-rule-mismatch", W, "H18", None, 9.0)], id="band-未达成-at-60"),
    # full marks for a band below 达成: one warning (the band's), not also full-but-incomplete
    pytest.param([ind(6, actual="部分达成")],
                 [("score-rule-mismatch", W, "H18", None, 15.0)], id="band-部分达成-full-marks"),
    pytest.param([ind(6, actual="未达成")],
                 [("score-rule-mismatch", W, "H18", None, 15.0)], id="band-未达成-full-marks"),
    # totals
    pytest.param([total(99.3)],
                 [("total-mismatch", E, "H20", 99.36, 99.3)], id="total-mismatch"),
    pytest.param([total(99.366)],
                 [("total-mismatch", E, "H20", 99.36, 99.366)], id="total-mismatch-just-over-tolerance"),
    pytest.param([setf(narrative_rows={"评价等级": "良"})],
                 [("grade-mismatch", E, "C21", None, None)], id="grade-mismatch"),
    # 90.00 is 优 (lower bound inclusive): 84.36 + 5.64 = 90
    pytest.param([ind(6, actual="部分完成", score=5.64, deviation="x"), total(90), setf(narrative_rows={"评价等级": "良"})],
                 [("grade-mismatch", E, "C21", None, None)], id="grade-mismatch-90-is-优"),
    pytest.param([ind(6, actual="部分完成", score=5.63, deviation="x"), total(89.99), setf(narrative_rows={"评价等级": "优"})],
                 [("grade-mismatch", E, "C21", None, None)], id="grade-mismatch-89.99-is-良"),
    # required
    pytest.param([setf(project=None)], [("required-missing", E, "B2", None, None)], id="required-missing-project"),
    pytest.param([setf(department="　")], [("required-missing", E, "B3", None, None)], id="required-missing-department"),
    pytest.param([ind(0, target=None)], [("required-missing", E, "E12", None, None)], id="required-missing-target"),
    pytest.param([ind(0, actual="—")], [("required-missing", E, "F12", None, None)], id="required-missing-actual-dash"),
    pytest.param([fund("funds_total", budget=None)], [("funds-sum-mismatch", E, "E5", 1200.0, None)], id="funds-total-blank-budget"),
    pytest.param([fund("funds_total", rate=None, score=9.58)], [("derived-blank", "info", "H5", 0.9583, None)], id="derived-blank-rate"),
    # a blank 得分: the total is unknown — said so (cannot-verify), never "应为 89.36" computed without it
    pytest.param([ind(0, score=None)],
                 [("required-missing", E, "H12", None, None), ("cannot-verify", W, "H20", None, 99.36)], id="required-missing-score"),
    # a blank 分值: the 产出 subtotal and the sum of weights are unknown, not 40 and 90
    pytest.param([ind(0, weight=None)],
                 [("required-missing", E, "G12", None, None), ("cannot-verify", W, "G20", None, 100.0)], id="required-missing-weight"),
    # text in 分值: same consequences as a blank one, but said as score-not-number
    pytest.param([ind(0, weight="十")],
                 [("score-not-number", E, "G12", None, None), ("cannot-verify", W, "G20", None, 100.0)], id="score-not-number-weight-十"),
    pytest.param([setf(goal_actual="请填写实际完成情况")],
                 [("template-text-left", W, "F10", None, None)], id="template-text-left"),
    pytest.param([ind(7, deviation="（填写偏差原因及改进措施）")],
                 [("template-text-left", W, "I19", None, None)], id="template-text-left-deviation"),
    pytest.param([ind(3, level3="项目完工", target="按设计要求完成", actual="已完成")],
                 [("indicator-misfiled", I, "D15", None, None)], id="indicator-misfiled-time"),
    pytest.param([ind(4, level3="单个小区改造面积", target="≥5000平方米", actual="5200平方米")],
                 [("indicator-misfiled", I, "D16", None, None)], id="indicator-misfiled-cost"),
]


@pytest.mark.parametrize("mutations, expected", FAILING)
def test_failing_case(tmp_path, mutations, expected):
    result = check_spec(tmp_path, variant(*mutations))
    assert pinned(result) == expected, describe(result)
    for finding in result.findings:
        assert finding.severity == CATALOGUE[finding.code].severity
        assert finding.sheet == "自评表"
        assert re.search(r"[\u4e00-\u9fff]", finding.message) and "：" in finding.message  # says what and what to do
    assert result.ok == (not any(code[1] == E for code in expected))


def test_every_code_has_a_failing_case():
    covered = {expected[0] for case in FAILING for expected in case.values[1]}
    assert covered == set(CATALOGUE) - NOT_TESTED_HERE


# ---------------------------------------------------------------- passing cases: the closest consistent variants

PASSING = [
    pytest.param([fund("funds_total", initial=1000.005)], id="funds-sum-within-tolerance"),
    pytest.param([fund("funds_other", initial=0, budget=0.0, executed=0)], id="funds-other-zero-budget-no-execution"),
    pytest.param([fund("funds_total", rate=0.96)], id="rate-0.96-formatted-shows-96%"),
    pytest.param([fund("funds_total", rate="95.83%")], id="rate-text-two-decimals"),
    pytest.param([fund("funds_total", rate="96%")], id="rate-text-whole-percent"),
    pytest.param([fund("funds_carryover", rate="100%")], id="rate-text-100%"),
    pytest.param([fund("funds_carryover", rate="100")], id="rate-text-100-bare"),
    pytest.param([fund("funds_total", score=9.585), total(99.365)], id="budget-score-within-tolerance"),
    pytest.param([fund("funds_total", score=9.575), total(99.355)], id="budget-score-within-tolerance-below"),
    pytest.param([setf(funds={"funds_total": (400, 400, 107, 10, 0.2675, 2.68), "funds_current": (400, 400, 107, None, 0.2675, None)}), total(92.46)],
                 id="round-half-up-2.675"),
    pytest.param([setf(funds={"funds_total": (400, 400, 9, 10, 0.0225, 0.23), "funds_current": (400, 400, 9, None, 0.0225, None)}), total(90.01)],
                 id="round-half-up-float-noise"),
    pytest.param([fund("funds_carryover", executed=100.005), fund("funds_total", executed=1150.005)], id="executed-equals-budget-within-tolerance"),
    pytest.param([fund("funds_current", weight="—", score="/")], id="subrow-dashes-are-blank"),
    pytest.param([fund("funds_total", budget="1,200")], id="amount-with-thousands-separator"),
    pytest.param([fund("funds_total", budget="１２００万元", executed="1150.00")], id="amount-full-width-with-unit"),
    pytest.param([relabel("产出", "产出指标(50.0分)")], id="level1-stated-half-width-decimal"),
    pytest.param([relabel("产出", "产出指标")], id="level1-without-stated-weight"),
    pytest.param([ind(0, weight=12, score=12), ind(1, weight=8, score=8)], id="weights-moved-within-level1"),
    pytest.param([setf(total_weight="100分")], id="total-weight-with-unit"),
    pytest.param([setf(total_weight=None)], id="total-weight-blank"),
    pytest.param([ind(6, score=15.005), total(99.365)], id="score-over-weight-within-tolerance"),
    pytest.param([ind(0, score="10分", weight="１０")], id="score-with-unit-and-full-width-weight"),
    pytest.param([setf(total_score="　99.36")], id="total-with-leading-full-width-space"),
    pytest.param([ind(0, score=9.995), total(99.355)], id="score-9.995-equals-10"),
    pytest.param([ind(6, actual="部分完成", score=12, deviation="部分制度待印发"), total(96.36)], id="deducted-and-partly-done"),
    pytest.param([ind(6, actual="有待完善", score=12, deviation="x"), total(96.36)], id="deducted-and-to-be-improved"),
    pytest.param([ind(6, actual="已完成")], id="full-and-done"),
    pytest.param([ind(6, level3="安全事故", target="不发生安全事故", actual="未发生安全事故")], id="full-未发生-is-done"),
    pytest.param([ind(2, level3="资料差错", target="无差错", actual="无差错")], id="full-无差错-is-done"),
    pytest.param([ind(1, actual="270个", score=9, deviation="用地调整"), total(98.36)], id="forward-rule-score"),
    pytest.param([ind(4, actual="88万元", score=9.09, deviation="材料涨价"), total(98.45)], id="reverse-rule-score"),
    pytest.param([ind(4, target="不超过80万元")], id="reverse-words-under-target"),
    pytest.param([ind(4, target="80万元以内")], id="reverse-suffix-under-target"),
    pytest.param([ind(2, actual="98%", score=9.8, deviation="2项整改后合格"), total(99.16)], id="percent-rule-score"),
    pytest.param([ind(2, target="≥95%", actual="96%")], id="percent-over-target"),
    pytest.param([ind(5, actual="3,260户")], id="forward-thousands-separator"),
    pytest.param([ind(6, actual="达成")], id="band-达成-full"),
    pytest.param([ind(6, actual="达成", score=12, deviation="x"), total(96.36)], id="band-达成-at-80"),
    pytest.param([ind(6, actual="部分达成", score=9, deviation="x"), total(93.36)], id="band-部分达成-at-60"),
    pytest.param([ind(7, actual="0", score=0, deviation="x"), total(89.58)], id="percent-zero-is-zero"),
    pytest.param([ind(0, actual="0.5", score=0.42, deviation="x"), total(89.78)], id="fraction-against-a-count-is-a-number"),
    pytest.param([ind(6, actual="部分达成", score=11.9, deviation="x"), total(96.26)], id="band-部分达成-below-80"),
    pytest.param([ind(6, actual="未达成", score=8.9, deviation="x"), total(93.26)], id="band-未达成-below-60"),
    pytest.param([ind(6, actual="未达成", score=0, deviation="x"), total(84.36)], id="band-未达成-zero"),
    pytest.param([total(99.365)], id="total-within-tolerance"),
    pytest.param([total(99.355)], id="total-within-tolerance-below"),
    pytest.param([setf(narrative_rows={"评价等级": "优秀"})], id="grade-优秀"),
    pytest.param([ind(6, actual="部分完成", score=5.64, deviation="x"), total(90), setf(narrative_rows={"评价等级": "优"})], id="grade-90-优"),
    pytest.param([ind(6, actual="部分完成", score=5.63, deviation="x"), total(89.99), setf(narrative_rows={"评价等级": "良"})], id="grade-89.99-良"),
    pytest.param([setf(project="老旧小区改造项目　")], id="project-trailing-full-width-space"),
    pytest.param([ind(3, target="12月底前完成", actual="已完成")], id="time-indicator-with-deadline"),
    pytest.param([ind(4, level3="单个小区改造成本控制", target="≤80万元")], id="cost-indicator-with-money"),
]


@pytest.mark.parametrize("mutations", PASSING)
def test_passing_case(tmp_path, mutations):
    result = check_spec(tmp_path, variant(*mutations))
    assert result.findings == [], describe(result)
    assert result.ok


@pytest.mark.parametrize("rate, row", [
    pytest.param(100, "7", id="100-general"),  # a plain 100 means 100 %
    pytest.param(1, "7", id="1-general"),  # a plain 1 means 100 %
    pytest.param(0.9583, "5", id="0.9583-general"),  # to 0.01 %
    pytest.param(95.83, "5", id="95.83-general"),
])
def test_rate_unformatted_numbers_pass(tmp_path, rate, row):
    kind = {"5": "funds_total", "7": "funds_carryover"}[row]
    result = check_spec(tmp_path, variant(fund(kind, rate=rate)), formats={f"H{row}": "General"})
    assert result.findings == [], describe(result)


def test_rate_unformatted_off_by_a_hundredth_of_a_percent(tmp_path):
    result = check_spec(tmp_path, variant(fund("funds_total", rate=0.958)), formats={"H5": "General"})
    assert pinned(result) == [("rate-mismatch", E, "H5", 0.9583, 0.958)]


def test_rate_with_two_decimal_percent_format(tmp_path):
    ok = check_spec(tmp_path, variant(fund("funds_total", rate=0.9583)), formats={"H5": "0.00%"}, name="ok.xlsx")
    assert ok.findings == []
    off = check_spec(tmp_path, variant(fund("funds_total", rate=0.9582)), formats={"H5": "0.00%"}, name="off.xlsx")
    assert pinned(off) == [("rate-mismatch", E, "H5", 0.9583, 0.9582)]


def test_grade_is_pending_while_scores_are_missing(tmp_path):
    result = check_spec(tmp_path, variant(ind(0, score=None)))
    assert (result.computed.grade, result.computed.grade_reason) == ("待定", "1 项三级指标没有可用的得分")
    stated = check_spec(tmp_path, variant(ind(0, score=None), setf(narrative_rows={"评价等级": "优"})), name="stated.xlsx")
    [grade] = [f for f in stated.findings if f.code == "grade-mismatch"]
    assert "等级待定" in grade.message and grade.cell == "C21"


def test_budget_zero_does_not_crash_and_leaves_rate_unknown(tmp_path):
    result = check_spec(tmp_path, variant(setf(funds={"funds_total": (0, 0, 0, 10, None, 0), "funds_current": (0, 0, 0, None, None, None)}), total(89.78)))
    assert result.computed.rate is None
    assert result.computed.budget_score is None  # unknown, not a silent 0: the finding says why
    assert "为 0" in result.findings[0].message


# ---------------------------------------------------------------- grades, rounding, tolerance (pure functions)


@pytest.mark.parametrize("score, grade", [
    (100, "优"), (90, "优"), (90.0001, "优"),
    (89.995, "优"),  # rounds half up to 90.00 first: scores are kept to 0.01
    (89.994, "良"), (89.99, "良"), (80, "良"), (79.99, "中"), (60, "中"), (59.99, "差"), (0, "差"),
])
def test_grade_boundaries(score, grade):
    assert grade_of(score) == grade


def test_tolerance_constant():
    assert rules.TOLERANCE == 0.005


# ---------------------------------------------------------------- through the command line


def test_cli_json_error_exit_1(tmp_path, make_form, run_cli):
    path = make_form(variant(total(99.3)), name="总分错误.xlsx")
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 1, result.stdout
    [doc] = json.loads(result.stdout)
    assert doc["ok"] is False
    assert {"file", "ok", "form", "findings"} <= set(doc)
    assert doc["form"]["total"]["score_stated"] == 99.3
    assert doc["form"]["total"]["score_computed"] == CLEAN_TOTAL
    assert doc["form"]["grade"] == "优"
    assert doc["findings"] == [{
        "code": "total-mismatch", "severity": "error", "sheet": "自评表", "cell": "H20",
        "message": doc["findings"][0]["message"], "expected": 99.36, "actual": 99.3,
    }]
    assert "99.36" in doc["findings"][0]["message"]


def test_cli_json_warning_only_exit_0(make_form, run_cli):
    path = make_form(variant(ind(6, actual="已完成", score=12, deviation="部分制度待印发"), total(96.36)), name="警告.xlsx")
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 0, result.stdout
    [doc] = json.loads(result.stdout)
    assert doc["ok"] is True
    assert [(f["code"], f["severity"], f["cell"], f["expected"], f["actual"]) for f in doc["findings"]] == [
        ("deducted-but-complete", "warning", "H18", 15, 12)
    ]
    indicator = doc["form"]["indicators"][6]
    assert (indicator["level3"], indicator["weight"], indicator["score"], indicator["cell"]) == ("长效管理机制建立", 15, 12, "D18")


def test_cli_json_rates_are_fractions_and_rule_scores_numbers(make_form, run_cli):
    path = make_form(variant(fund("funds_total", rate="100%")), name="执行率.xlsx")
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 1
    [doc] = json.loads(result.stdout)
    funds = doc["form"]["funds"]
    assert funds["rate"] == 0.9583  # rounded to 0.01 % as DESIGN says, not 0.9583333333333334
    assert funds["rate_stated"] == 1.0
    assert funds["score"] == 9.58
    assert [(f["code"], f["cell"], f["expected"], f["actual"]) for f in doc["findings"]] == [("rate-mismatch", "H5", 0.9583, 1.0)]


def test_cli_text_names_code_and_cell(make_form, run_cli):
    path = make_form(variant(ind(7, deviation=None)), name="偏差.xlsx")
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert "deviation-missing" in result.stdout and "I19" in result.stdout


# ---------------------------------------------------------------- the catalogue is documented


def test_every_code_is_listed_by_the_cli(run_cli):
    result = run_cli("check", "--list-rules")
    assert result.exit_code == 0
    for code, rule in CATALOGUE.items():
        line = next((line for line in result.stdout.splitlines() if line.split() and line.split()[0] == code), None)
        assert line is not None, code
        assert rule.title in line


def test_every_code_is_documented():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in CATALOGUE.items():
        heading = re.search(rf"^#+ .*`{re.escape(code)}`", text, flags=re.MULTILINE)
        assert heading, f"docs/rules.md has no section for {code}"
        section = text[heading.end(): text.find("\n#", heading.end())]
        assert {"error": "错误", "warning": "警告", "info": "提示"}[rule.severity] in section, code


def test_catalogue_codes_are_kebab_case_with_titles():
    for code, rule in CATALOGUE.items():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", code)
        assert rule.severity in ("error", "warning", "info")
        assert rule.title and rule.code == code


# ---------------------------------------------------------------- edges a mutation of the scoring rule would slip past


def test_reverse_indicator_with_actual_zero_scores_full_marks(tmp_path):
    """≤30天 and done in 0 days: better than the target, full marks (not 0, not a division by zero)."""
    result = check_spec(tmp_path, variant(ind(0, target="≤30天", actual="0天", weight=10, score=10)))
    assert result.computed.rule_scores[0] == 10
    assert result.findings == [], describe(result)
    scored_down = check_spec(tmp_path, variant(ind(0, target="≤30天", actual="0天", weight=10, score=5, deviation="x"), total(94.36)), name="down.xlsx")
    assert [(f.code, f.expected, f.actual) for f in scored_down.findings] == [("score-rule-mismatch", 10, 5)]


def test_forward_indicator_with_target_zero_has_no_rule_score(tmp_path):
    """≥0 gives no ratio to score by: the evaluator's score stands, and no rule finding is made up."""
    result = check_spec(tmp_path, variant(ind(0, target="≥0个", actual="5个", weight=10, score=10)))
    assert result.computed.rule_scores[0] is None
    assert result.findings == [], describe(result)


def test_reverse_indicator_over_target_scores_by_ratio(tmp_path):
    result = check_spec(tmp_path, variant(ind(0, target="≤80万元", actual="88万元", weight=10, score=9.09, deviation="超支"), total(98.45)))
    assert result.computed.rule_scores[0] == 9.09
    assert result.findings == [], describe(result)
