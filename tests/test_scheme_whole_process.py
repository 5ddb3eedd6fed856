"""全过程 决策/过程/产出/效益 forms (issue 21, family 3): read and checked by their own scheme.

No separate budget score: 预算执行率 is a 三级指标 under 过程 (资金管理), whose 全年实际值 must be the
funds block's rate and whose 得分 is its 参考分值 × min(执行率, 1); the 一级 state their weights
(决策（10分）…); columns 参考分值 | 指标值 | 全年实际值 | 得分 | 原因 | 复核分, the 复核分 being the
reviewer's, never read as the unit's; 自评总分 = Σ 得分 (under the table, or printed in the header).
"""

from __future__ import annotations

import copy

import openpyxl
import pytest
from docx import Document

from schemeforms import edited, found, whole_process_rows
from helpers import check_json
from typedforms import write_form

E, W, I = "error", "warning", "info"
ROWS, MERGES = whole_process_rows()
ROWS = copy.deepcopy(ROWS)
ROWS[6][8], ROWS[9][8] = 4, 9  # the reviewer's 复核分 (I7, I10): not the unit's scores


def build(tmp_path, name="全过程.xlsx", rows=ROWS, merges=MERGES, **cells):
    return edited(tmp_path / name, rows, merges, **cells)


def test_the_form_is_read_by_its_scheme_and_passes_clean(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path))
    form = doc["form"]
    assert form["scheme"] == "whole-process"
    # no budget part of its own: execution is the 预算执行率 indicator
    assert form["funds"]["rate"] == 0.9375 and form["funds"]["weight"] is None and form["funds"]["score"] is None
    assert [(i["level1"], i["level3"], i["weight"], i["score"]) for i in form["indicators"]] == [
        ("决策", "立项依据充分性", 5.0, 5.0), ("决策", "绩效目标明确性", 5.0, 5.0),
        ("过程", "预算执行率", 15.0, 14.06), ("过程", "管理制度健全性", 10.0, 10.0),
        ("产出", "培训人次", 30.0, 30.0), ("效益", "就业人数", 35.0, 35.0)]
    assert [(g["name"], g["weight"], g["stated_weight"]) for g in form["level1"]] == [
        ("决策", 10.0, 10.0), ("过程", 25.0, 25.0), ("产出", 30.0, 30.0), ("效益", 35.0, 35.0)]
    # 自评总分 = Σ 得分 (the 复核分 4 and 9 are not the unit's: 99.06, not 92.06)
    assert form["total"] == {"weight": 100.0, "weight_stated": 100.0, "score_stated": 99.06, "score_computed": 99.06}
    assert form["grade"] == "优"
    assert found(doc) == []


def test_the_reviewers_column_is_accounted_for_as_such(tmp_path, run_cli):
    result = run_cli("check", build(tmp_path), "--explain")
    assert result.exit_code == 0, result.stdout
    assert "I6 指标表表头：复核分" in result.stdout and "I7 指标：复核分（复核人填写，不作为单位自评读取）" in result.stdout
    assert "未读取" not in result.stdout
    assert "预算执行率作为三级指标计分" in result.stdout and "评分方式：全过程" in result.stdout


@pytest.mark.parametrize("cells, expected", [
    # the indicator's 全年实际值 is not the funds block's rate (300/320 = 93.75%)
    pytest.param({"F9": "95%"}, [("execution-indicator-mismatch", E, "F9", 0.9375, 0.95),
                                 ("score-rule-mismatch", W, "G9", 14.25, 14.06)], id="execution-actual"),
    # its 得分 is not 15 × 93.75% = 14.06 (and full marks for a shortfall)
    pytest.param({"G9": 15, "G13": 100}, [("execution-indicator-mismatch", E, "G9", 14.06, 15.0),
                                          ("full-but-incomplete", W, "G9", 14.06, 15.0)], id="execution-score"),
    # an 一级 whose stated weight is not the sum of its 三级 参考分值
    pytest.param({"A9": "过程（30分）"}, [("level1-weight-mismatch", E, "A9", 30.0, 25.0)], id="level1-weight"),
    # an 二级 whose stated weight is not the sum of its 三级 (项目立项（6分） over one 5-point indicator)
    pytest.param({"B7": "项目立项（6分）"}, [("level2-weight-mismatch", E, "B7", 6.0, 5.0)], id="level2-weight"),
    # 参考分值 that do not make 100 (and the 总分 row's 100 then wrong)
    pytest.param({"D12": 40, "A12": "效益（40分）", "G12": 40, "G13": 104.06}, [("total-weight-not-100", E, "D13", 100.0, 105.0),
                                                                           ("total-weight-mismatch", E, "D13", 105.0, 100.0)], id="weights-not-100"),
    # the printed 自评总分
    pytest.param({"G13": 99}, [("total-mismatch", E, "G13", 99.06, 99.0)], id="total"),
])
def test_a_printed_mistake_of_each_kind_is_caught(tmp_path, run_cli, cells, expected):
    doc = check_json(run_cli, build(tmp_path, **cells))
    assert found(doc) == expected
    for finding in doc["findings"]:
        assert "：" in finding["message"] and "nan" not in finding["message"]


def test_level2_stated_weights_that_agree_pass(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path, B7="项目立项（5分）", B9="资金管理（15分）"))
    assert [(i["level2"]) for i in doc["form"]["indicators"]][:3] == ["项目立项", "绩效目标", "资金管理"]
    assert found(doc) == []


def test_a_form_without_the_execution_indicator_says_so(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path, C9="资金使用合规性", D9=15, E9="合规", F9="合规", G9=15, H9=None, G13=100))
    assert found(doc) == [("column-missing", E, "A6", None, None)]
    assert "预算执行率" in doc["findings"][0]["message"]


def test_the_total_printed_in_the_header(tmp_path, run_cli):
    rows = copy.deepcopy(ROWS)
    rows.insert(3, ["自评得分", 99.06, None, None, None, None, None, None, None])
    rows.pop()  # no 自评总分 row under the table
    merges = ("A1:I1", "B2:G2", "B3:D3", "F3:G3", "A5:B5", "A8:A9", "A10:A11")
    doc = check_json(run_cli, write_form(tmp_path / "表头总分.xlsx", rows, merges))
    assert doc["form"]["total"]["score_stated"] == 99.06 and doc["form"]["total"]["score_computed"] == 99.06
    assert found(doc) == []
    rows[3][1] = 98
    doc = check_json(run_cli, write_form(tmp_path / "表头总分错.xlsx", rows, merges))
    assert found(doc) == [("total-mismatch", E, "B4", 99.06, 98.0)]


def test_fill_and_report(tmp_path, run_cli):
    out = tmp_path / "out"
    result = run_cli("fill", build(tmp_path, F9="95%"), "-o", out)
    assert result.exit_code == 1, result.stdout + result.stderr
    ws = openpyxl.load_workbook(out / "全过程_自评结果.xlsx")["自评表"]
    assert ws["F9"].value == "95%" and "资金表的执行率" in ws["F9"].comment.text  # a judgement cell: flagged, not rewritten
    assert ws["I7"].value == 4 and ws["I7"].comment is None
    text = "\n".join(p.text for p in Document(str(out / "全过程_自评报告.docx")).paragraphs)
    assert "预算执行率93.75%。" in text and "预算执行率作为一项三级指标计分，不单独计分。" in text
    assert "分值0分" not in text and "得分0分" not in text


def test_a_part_in_a_table_of_its_own_is_read_too(tmp_path, run_cli):
    """决策 and 过程 as a table of their own (分值 | 评价标准 | 自评分 | 复核分), then 产出/效益 with targets."""
    rows = [
        ["2021年度项目支出绩效自评表", None, None, None, None, None, None, None, None],
        *ROWS[1:5],
        ["一级指标", "二级指标", "三级指标", "分值", "评价标准", "自评分", "复核分", None, None],
        ["决策（10分）", "项目立项", "立项依据充分性", 5, "依据充分得5分", 5, 5, None, None],
        [None, "绩效目标", "绩效目标明确性", 5, "目标明确得5分", 5, 4, None, None],
        ["过程（25分）", "资金管理", "预算执行率", 15, "分值×执行率", 14.06, 14, None, None],
        [None, "组织实施", "管理制度健全性", 10, "制度健全得10分", 10, 10, None, None],
        ["一级指标", "二级指标", "三级指标", "参考分值", "指标值", "全年实际值", "得分", "原因", None],
        ["产出（30分）", "数量指标", "培训人次", 30, "≥500人次", "520人次", 30, None, None],
        ["效益（35分）", "社会效益指标", "就业人数", 35, "≥100人", "105人", 35, None, None],
        ["自评总分", None, None, 100, None, None, 99.06, None, None],
    ]
    merges = ("A1:I1", "B2:G2", "B3:D3", "F3:G3", "A4:B4", "A7:A8", "A9:A10", "A14:C14")
    path = write_form(tmp_path / "分表.xlsx", rows, merges)
    doc = check_json(run_cli, path)
    assert [(i["level1"], i["level3"], i["weight"], i["score"]) for i in doc["form"]["indicators"]] == [
        ("决策", "立项依据充分性", 5.0, 5.0), ("决策", "绩效目标明确性", 5.0, 5.0),
        ("过程", "预算执行率", 15.0, 14.06), ("过程", "管理制度健全性", 10.0, 10.0),
        ("产出", "培训人次", 30.0, 30.0), ("效益", "就业人数", 35.0, 35.0)]
    assert doc["form"]["total"]["score_computed"] == 99.06  # the 复核分 (4, 14) are the reviewer's
    assert found(doc) == []
    explained = run_cli("check", path, "--explain").stdout
    assert "E7 指标：评价标准（不校验）" in explained and "G8 指标：复核分" in explained and "未读取" not in explained
    doc = check_json(run_cli, write_form(tmp_path / "分表错.xlsx", [r if i != 8 else r[:5] + [15] + r[6:] for i, r in enumerate(rows)], merges))
    assert [f[:3] for f in found(doc)] == [("execution-indicator-mismatch", E, "F9"), ("total-mismatch", E, "G14")]
