"""The label locator: the same form in different layouts reads the same."""

from __future__ import annotations

import openpyxl
import pytest

from conftest import IndicatorSpec, spec_copy
from perfxl import check_form as check, read_form, read_forms
from perfxl.model import FormError


def _essentials(form):
    result = check(form)
    c = result.computed
    return {
        "project": form.project.text,
        "department": form.department.text,
        "budget": c.funds_totals.get("budget"),
        "executed": c.funds_totals.get("executed"),
        "rate": round(c.rate, 6),
        "budget_score": c.budget_score,
        "indicators": [(i.level1, i.level2, i.level3.text, i.target.text, i.weight.number, i.score.number) for i in form.indicators],
        "total_weight": c.total_weight,
        "total_score": c.total_score,
        "codes": sorted(f.code for f in result.findings),
    }


@pytest.fixture
def baseline(clean_spec, make_form):
    return _essentials(read_form(make_form(clean_spec, "baseline.xlsx")))


def test_clean_baseline(baseline):
    assert baseline["budget"] == 1200 and baseline["executed"] == 1150
    assert baseline["total_score"] == 99.36 and baseline["total_weight"] == 100
    assert baseline["codes"] == []
    assert len(baseline["indicators"]) == 8


def test_rows_inserted_above(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    spec.leading_rows = ["填报单位（盖章）：示例市住房和城乡建设局", "填报日期：2022年3月", "单位：万元"]
    form = read_form(make_form(spec))
    assert _essentials(form) == baseline
    assert form.total_score.address == "H23"  # three rows further down than H20


def test_initial_budget_column_removed(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    spec.with_initial = False
    form = read_form(make_form(spec))
    assert form.fund("funds_total").initial.address is None
    assert form.fund("funds_total").budget.address == "E5"
    assert _essentials(form) == baseline


def test_labels_with_breaks_units_fullwidth_spaces_and_synonyms(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    spec.label_overrides = {
        "项目名称": "项 目\n名 称",
        "主管部门": "主管部门：",
        "全年\n预算数": "调整后预算数（A）",
        "全年\n执行数": "全年执行数\n（B）",
        "执行率": "执行率（B/A）",
        "分值": "权\u3000重",
        "得分": "得分 ",
        "年度\n指标值": "年度指标值（A）",
        "实际\n完成值": "完成值（B）",
        "偏差原因分析及改进措施": "未完成原因分析",
        "总分": "合\u3000计",
        "年度资金总额": "年度资金总额：",
    }
    spec.funds_label = "项目资金\n（万元）"
    form = read_form(make_form(spec))
    assert _essentials(form) == baseline


def test_form_on_second_sheet(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    path = make_form(spec, sheets_before=["填表说明"])
    assert openpyxl.load_workbook(path).sheetnames == ["填表说明", "自评表"]
    form = read_form(path)
    assert form.sheet == "自评表"
    assert _essentials(form) == baseline


def test_amounts_in_yuan_are_converted(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    spec.funds_label = "项目资金\n（元）"
    spec.funds = {kind: tuple(v * 10000 if isinstance(v, (int, float)) and i < 3 else v for i, v in enumerate(values))
                  for kind, values in spec.funds.items()}
    form = read_form(make_form(spec))
    assert form.money_unit == "元"
    assert _essentials(form) == baseline


def test_split_target_columns(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    for block in spec.blocks:
        for item in block:
            text = str(item.target)
            if text.startswith("≥"):
                number = text[1:].rstrip("个户%")
                item.target = ("≥", number, text[1 + len(number):])
            elif text.startswith("≤"):
                item.target = ("≤", "80", "万元")
            else:
                item.target = ("定性", text, None)
    form = read_form(make_form(spec, split_target=True))
    targets = [i.target.text for i in form.indicators]
    assert targets[:2] == ["≥12个", "≥300个"]
    assert targets[4] == "≤80万元"
    got = _essentials(form)
    assert got["total_score"] == baseline["total_score"] and got["codes"] == []


def test_numbers_typed_as_text(clean_spec, make_form, baseline):
    spec = spec_copy(clean_spec)
    spec.funds["funds_total"] = ("1,000", "1,200万元", "１１５０", "10", "95.83%", "9.58")
    spec.blocks[0][0].weight = "10分"
    spec.blocks[0][1].score = "１０"
    spec.total_weight, spec.total_score = "100", "　99.36"
    got = _essentials(read_form(make_form(spec)))
    assert got == baseline


def test_cost_as_level1_and_no_satisfaction(clean_spec, make_form):
    spec = spec_copy(clean_spec)
    out, cost, ben = "产出指标（40分）", "成本指标（20分）", "效益指标（30分）"
    spec.blocks = [[
        IndicatorSpec(out, "数量指标", "改造小区数", "≥12个", "12个", 20, 20),
        IndicatorSpec(out, "质量指标", "验收合格率", "100%", "100%", 20, 20),
        IndicatorSpec(cost, "经济成本指标", "单个小区改造成本", "≤80万元", "76.5万元", 20, 20),
        IndicatorSpec(ben, "社会效益指标", "受益户数", "≥3000户", "3260户", 30, 30),
    ]]
    spec.total_score = 99.58
    form = read_form(make_form(spec))
    result = check(form)
    assert [g.name for g in form.level1_groups] == ["产出指标", "成本指标", "效益指标"]
    assert [g.stated_weight for g in form.level1_groups] == [40, 20, 30]
    assert {f.code for f in result.findings} == {"nonstandard-weights"}


def test_empty_level1_cell_belongs_to_benefit(seed_form):
    form = read_form(seed_form)
    sustain = next(i for i in form.indicators if i.level2 == "可持续影响指标")
    assert sustain.level1 == "效益指标"
    assert [i.level1 for i in form.indicators].count("效益指标") == 5


def test_several_forms_in_one_workbook(clean_form, tmp_path):
    wb = openpyxl.load_workbook(clean_form)
    copy = wb.copy_worksheet(wb["自评表"])
    copy.title = "项目二"
    copy["B2"] = "第二个项目"
    copy["H20"] = 90
    path = tmp_path / "two.xlsx"
    wb.save(path)
    forms = read_forms(path)
    assert [f.sheet for f in forms] == ["自评表", "项目二"]
    assert forms[1].project.text == "第二个项目"
    assert [f.code for f in check(forms[0]).findings] == []
    assert "total-mismatch" in [f.code for f in check(forms[1]).findings]


def test_formulas_without_cached_values_are_evaluated(clean_form, tmp_path):
    wb = openpyxl.load_workbook(clean_form)
    ws = wb["自评表"]
    ws["E5"] = "=SUM(E6:E8)"  # 全年预算数 of 年度资金总额
    ws["H5"] = "=ROUND(F5/E5,4)"
    ws["I5"] = "=ROUND(MIN(H5,1)*G5,2)"
    ws["H20"] = "=ROUND(I5+SUM(H12:H19),2)"  # 总分 得分
    path = tmp_path / "formulas.xlsx"
    wb.save(path)  # openpyxl stores no cached results
    form = read_form(path)
    result = check(form)
    assert form.fund("funds_total").budget.number == 1200
    assert form.total_score.number == 99.36
    assert [f.code for f in result.findings] == []


def test_not_a_form(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "工资表"
    wb.active["B2"] = 1000
    path = tmp_path / "工资表.xlsx"
    wb.save(path)
    with pytest.raises(FormError) as caught:
        read_forms(path)
    assert caught.value.code == "not-a-form"
    assert "工资表.xlsx" in caught.value.message and "三级指标" in caught.value.message
