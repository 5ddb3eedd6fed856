"""重庆 部门整体支出绩效自评表 (issue 21, family 2): read and checked by its own scheme.

Funds 执行率（%）| 执行率权重 | 执行率得分（分） on 年度总金额 / 其中财政拨款 (the score may sit on
either); a flat indicator list without 一级/二级: 指标名称 | 计量单位 | 指标性质 | 年初指标值 |
调整指标值 | 全年完成值 | 得分系数（%）| 指标权重（分）| 指标得分（分）| 是否核心指标; the 自评总分
printed in the header; lower-is-better indicators (预算调整率, 结转结余率) written without a ≤ sign.
"""

from __future__ import annotations


import openpyxl
import pytest
from docx import Document

from schemeforms import edited, found
from helpers import check_json
from typedforms import write_form

E, W, I = "error", "warning", "info"

CHONGQING = [
    ["2022年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None, None],
    ["部门名称", "某区文化和旅游发展委员会", None, None, None, None, None, None, None, None],
    ["自评总分", 99.6, None, None, None, None, "自评等级", "优", None, None],
    ["年度预算执行情况（万元）", "年初预算数", "全年预算数", "全年执行数", "执行率（%）", "执行率权重", "执行率得分（分）", None, None, None],
    ["年度总金额", 1200, 1250, 1200, "96%", 10, 9.6, None, None, None],
    ["其中财政拨款", 1100, 1150, 1100, "95.65%", None, None, None, None, None],
    ["当年绩效目标", "保障全区公共文化服务和旅游市场监管正常运转", None, None, None, None, None, None, None, None],
    ["指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数（%）", "指标权重（分）", "指标得分（分）", "是否核心指标"],
    ["公共文化活动场次", "场", "≥", 200, 210, 215, "100%", 30, 30, "是"],
    ["预算调整率", "%", None, 10, None, 8, "100%", 20, 20, "否"],
    ["结转结余率", "%", None, 10, 8, 6, "100%", 20, 20, "否"],
    ["群众满意度", "%", "≥", 90, None, 93, "100%", 20, 20, "是"],
]
MERGES = ("A1:J1", "B2:J2", "C3:F3", "H3:J3", "B7:J7")


def build(tmp_path, name="重庆.xlsx", rows=CHONGQING, merges=MERGES, **cells):
    return edited(tmp_path / name, rows, merges, **cells)


def test_the_department_form_is_read_by_its_scheme_and_passes_clean(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path))
    form = doc["form"]
    assert form["scheme"] == "chongqing-department" and form["kind"] == "department"
    assert form["unit"] == "某区文化和旅游发展委员会"
    assert form["funds"]["weight"] == 10.0 and form["funds"]["score"] == 9.6 and form["funds"]["rate"] == 0.96
    # a flat list: no 一级/二级; the target is the 调整指标值 where one is given
    assert [(i["level1"], i["level3"], i["target"], i["actual"], i["weight"], i["score"]) for i in form["indicators"]] == [
        (None, "公共文化活动场次", "≥210场", "215", 30.0, 30.0),
        (None, "预算调整率", "10%", "8", 20.0, 20.0),
        (None, "结转结余率", "8%", "6", 20.0, 20.0),
        (None, "群众满意度", "≥90%", "93", 20.0, 20.0),
    ]
    # 自评总分 in the header = 执行率得分 + Σ 指标得分; weights 10 + 90 = 100
    assert form["total"] == {"weight": 100.0, "weight_stated": None, "score_stated": 99.6, "score_computed": 99.6}
    assert form["grade"] == "优"
    # lower-is-better indicators without a ≤ are not read as falling short (8 against 10 is good)
    assert found(doc) == []
    assert doc["ok"] is True


def test_every_cell_is_accounted_for(tmp_path, run_cli):
    result = run_cli("check", build(tmp_path), "--explain")
    assert result.exit_code == 0, result.stdout
    assert "未读取" not in result.stdout
    assert "B3 自评总分" in result.stdout and "H3 等级" in result.stdout
    assert "G8 指标表表头：得分系数" in result.stdout and "J9 指标：是否核心指标（不校验）" in result.stdout
    assert "评分方式：重庆部门整体支出绩效自评表" in result.stdout


@pytest.mark.parametrize("cells, expected", [
    # 执行率得分 = min(1200/1250, 1) × 10 = 9.6
    pytest.param({"G5": 10}, [("budget-score-mismatch", E, "G5", 9.6, 10.0)], id="budget-score"),
    # 指标得分 ≠ 得分系数 × 指标权重
    pytest.param({"I9": 28, "B3": 97.6}, [("coefficient-score-mismatch", E, "I9", 30.0, 28.0),
                                          ("score-rule-mismatch", W, "I9", 30.0, 28.0)], id="coefficient"),
    # weights that do not make 100 with the 执行率权重
    # (and the 优 written in the header has no ground: no grade from a sum over 110)
    pytest.param({"H12": 30, "I12": 30, "B3": 109.6}, [("total-weight-not-100", E, "A3", 100.0, 110.0),
                                                     ("grade-mismatch", E, "H3", None, None)], id="weights-not-100"),
    # the printed 自评总分
    pytest.param({"B3": 98}, [("total-mismatch", E, "B3", 99.6, 98.0)], id="total"),
    # a lower-is-better indicator over its ceiling with full marks: 结转结余率 12 against ≤8
    pytest.param({"F11": 12}, [("full-but-incomplete", W, "I11", 13.33, 20.0)], id="lower-is-better-missed"),
    # a forward indicator short of the 调整指标值 (205 of 210) with a full coefficient
    pytest.param({"F9": 205}, [("full-but-incomplete", W, "I9", 29.29, 30.0)], id="adjusted-target-missed"),
])
def test_a_printed_mistake_of_each_kind_is_caught(tmp_path, run_cli, cells, expected):
    doc = check_json(run_cli, build(tmp_path, **cells))
    assert found(doc) == expected
    for finding in doc["findings"]:
        assert "：" in finding["message"] and "nan" not in finding["message"]


def test_the_score_may_sit_on_the_appropriation_row(tmp_path, run_cli):
    """执行率权重 on 年度总金额, 执行率得分 on 其中财政拨款: 10 × 1100/1150 = 9.57, scored there, not a sub-row score."""
    doc = check_json(run_cli, build(tmp_path, G5=None, G6=9.57, B3=99.57))
    assert doc["form"]["funds"]["score"] == 9.57 and doc["form"]["total"]["score_computed"] == 99.57
    assert found(doc) == []
    doc = check_json(run_cli, build(tmp_path, name="错.xlsx", G5=None, G6=9.6, B3=99.6))
    assert found(doc) == [("total-mismatch", E, "B3", 99.57, 99.6), ("budget-score-mismatch", E, "G6", 9.57, 9.6)]


def test_the_shorter_variant(tmp_path, run_cli):
    """指标名称 | 指标值 | 权重 | 完成值 | 得分 | 说明: weights and scores of their own, the same checks."""
    rows = [row[:7] for row in CHONGQING[:7]] + [
        ["指标名称", "指标值", "权重", "完成值", "得分", "说明", None],
        ["公共文化活动场次", "≥210场", 40, "215场", 40, None, None],
        ["结转结余率", "8%", 25, "9%", 22.22, "年底项目资金未及时拨付", None],
        ["群众满意度", "≥90%", 25, "93%", 25, None, None],
    ]
    rows[2] = ["自评总分", 96.82, None, None, None, None, None]
    doc = check_json(run_cli, write_form(tmp_path / "简表.xlsx", rows, ("A1:G1", "B2:G2", "B7:G7")))
    assert doc["form"]["scheme"] == "chongqing-department"
    assert [(i["level3"], i["weight"], i["score"], i["deviation"]) for i in doc["form"]["indicators"]] == [
        ("公共文化活动场次", 40.0, 40.0, None), ("结转结余率", 25.0, 22.22, "年底项目资金未及时拨付"), ("群众满意度", 25.0, 25.0, None)]
    assert doc["form"]["total"]["score_computed"] == 96.82 and doc["form"]["total"]["weight"] == 100.0
    assert found(doc) == []


def test_fill_writes_the_header_total(tmp_path, run_cli):
    path = build(tmp_path, B3=98)
    out = tmp_path / "out"
    result = run_cli("fill", path, "-o", out)
    assert result.exit_code == 1, result.stdout + result.stderr
    wb = openpyxl.load_workbook(out / "重庆_自评结果.xlsx")
    ws = wb["自评表"]
    assert ws["B3"].value == 99.6 and ws["B3"].comment.text.startswith("原填写：98；按规则重新计算：99.6")
    assert ws["I9"].value == 30 and ws["I9"].comment is None
    assert any("评分方式：重庆部门整体支出绩效自评表" in (wb["校验结果"].cell(row, 1).value or "") for row in range(1, 4))
    text = "\n".join(p.text for p in Document(str(out / "重庆_自评报告.docx")).paragraphs)
    assert "部门整体支出绩效自评报告" in text and "二、部门整体支出管理及使用情况" in text  # the department outline
    assert "（其中财政拨款1150万元）" in text and "预算执行率得分9.6分（分值10分）" in text
    assert "1.绩效指标：分值90分，得分90分。" in text


def test_fill_rewrites_the_budget_score_where_it_sits(tmp_path, run_cli):
    """A wrong 执行率得分 on the 其中财政拨款 row is corrected there; the blank total row's cell stays blank."""
    out = tmp_path / "out"
    result = run_cli("fill", build(tmp_path, G5=None, G6=9.6, B3=99.6), "-o", out, "--no-report")
    assert result.exit_code == 1, result.stdout + result.stderr
    ws = openpyxl.load_workbook(out / "重庆_自评结果.xlsx")["自评表"]
    assert ws["G6"].value == 9.57 and ws["G6"].comment.text.startswith("原填写：9.6；按规则重新计算：9.57")
    assert ws["G5"].value is None
    assert ws["B3"].value == 99.57
