"""Forms on scoring schemes perfxl does not check are refused by name, never read as ours (issue 21,
first step: recognition and honest refusal; perfxl/read/schemes.py).

Each form is typed cell by cell in the layout a reviewer of that family sees (merged block titles,
a score merged over rows, the printed 总分), the way the provinces publish them.
"""

from __future__ import annotations

import json

import pytest

from perfxl.read.schemes import BY_CODE, SCHEMES
from helpers import check_json
from schemeforms import (CENTRAL, CENTRAL_MERGES, chongqing_rows, hebei_rows, hubei_rows, input_output_outcome_rows,
                         whole_process_rows)
from typedforms import write_form

def refusal(run_cli, path) -> dict:
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 2, result.stdout + result.stderr
    [doc] = json.loads(result.stdout)  # always a list
    assert doc["ok"] is False and "form" not in doc
    return doc["error"]


@pytest.mark.parametrize("code, build", [
    ("hebei-weight-share", hebei_rows),
    ("input-output-outcome", input_output_outcome_rows),
])
def test_a_form_on_another_scheme_is_refused_by_name(tmp_path, run_cli, code, build):
    rows, merges = build()
    path = write_form(tmp_path / f"{code}.xlsx", rows, merges)
    error = refusal(run_cli, path)
    scheme = BY_CODE[code]
    assert error["code"] == "unsupported-scheme"
    assert scheme.name in error["message"] and scheme.how in error["message"] and "财政部 2020 年" in error["message"]
    text = run_cli("check", path)
    assert text.exit_code == 2 and scheme.name in text.stderr + text.stdout


def test_a_form_mixing_two_schemes_is_refused_not_guessed(tmp_path, run_cli):
    """湖北's 年度绩效目标（80分） block over a table whose 一级 are 决策/过程: no real form mixes them."""
    rows, merges = hubei_rows()
    rows[6][1], rows[9][1] = "决策（40分）", "过程（30分）"
    error = refusal(run_cli, write_form(tmp_path / "mixed.xlsx", rows, merges))
    assert error["code"] == "unsupported-scheme"
    assert BY_CODE["hubei-20-80"].name in error["message"] and BY_CODE["whole-process"].name in error["message"]
    assert "不会猜测" in error["message"]


def test_a_20_point_budget_on_the_ministry_form_is_still_read(tmp_path, run_cli):
    """得分（20分*执行率） on a form whose 三级指标 carry their own 分值 is our scheme with a 20-point budget."""
    rows, merges = hubei_rows(block_title="绩效指标")
    for row in rows[5:]:
        row.insert(6, None)
    rows[5][5:8] = ["实际完成值（B）", "分值", "得分"]
    for row, (weight, score) in zip(rows[6:11], [(20, 20), (20, 20), (20, 20), (10, 10), (10, 10)]):
        row[6], row[7] = weight, score
    rows[11][6], rows[11][7] = 100, 99.2
    merges = ("A1:G1", "B2:G2", "B3:D3", "F3:G3", "A4:B4", "A5:B5", "A6:A11", "B7:B9", "A12:F12", "B13:H13")
    result = run_cli("check", write_form(tmp_path / "mof20.xlsx", rows, merges), "--format", "json")
    [doc] = json.loads(result.stdout)
    assert doc["form"]["scheme"] == "mof-2020" and doc["form"]["funds"]["weight"] == 20


def test_every_scheme_is_described():
    assert [scheme.code for scheme in SCHEMES if scheme.supported] == ["mof-2020", "hubei-20-80", "chongqing-department", "whole-process", "central-transfer-unscored"]
    for scheme in SCHEMES:
        assert scheme.name and scheme.how
        assert scheme.supported or scheme.signs, scheme.code


def test_the_unscored_transfer_form_has_its_money_checked_and_says_there_is_no_score(tmp_path, run_cli):
    doc = check_json(run_cli, write_form(tmp_path / "转移支付.xlsx", CENTRAL, CENTRAL_MERGES))
    form = doc["form"]
    assert form["scheme"] == "central-transfer-unscored"
    assert form["project"] == "车辆购置税收入补助地方资金（普通省道公路建设）" and form["department"] == "某市交通运输局"
    assert form["funds"]["budget"] == 4000 and form["funds"]["executed"] == 3900 and form["funds"]["rate"] == 0.975
    assert form["funds"]["weight"] is None and form["funds"]["score"] is None
    assert [(i["level1"], i["level3"], i["weight"], i["score"]) for i in form["indicators"]] == [
        ("产出指标", "建设普通省道二级公路", None, None), ("产出指标", "按期完成投资", None, None),
        ("效益指标", "基本公共服务水平", None, None), ("满意度指标", "群众满意度", None, None)]
    assert form["total"]["score_computed"] is None and form["grade"] == ""
    # nothing else: no cannot-verify, no missing 分值/得分 columns, no missing 总分 row, every cell read
    assert [(f["code"], f["cell"]) for f in doc["findings"]] == [("no-score-to-check", "B13")]
    assert "没有分值和得分可以核对" in doc["findings"][0]["message"]
    assert doc["ok"] is True
    text = run_cli("check", tmp_path / "转移支付.xlsx").stdout
    assert "不计分的表：没有分值和得分，不给出总分和等级" in text and "预算执行率得分" not in text


@pytest.mark.parametrize("cells, expected", [
    # the sources do not sum to the total
    ({(8, 4): 3500, (8, 5): 3500, (8, 6): 3400, (8, 7): "97.14%"},
     [("funds-sum-mismatch", "D7"), ("funds-sum-mismatch", "F7")]),
    # a rate that is not 执行数 ÷ 预算数
    ({(7, 7): "98%"}, [("rate-mismatch", "G7")]),
    # spent more than arrived (支出 ≤ 到位)
    ({(7, 5): 3800, (8, 5): 3800}, [("executed-exceeds-arrived", "F7"), ("executed-exceeds-arrived", "F8")]),
    # spent more than the budget
    ({(7, 6): 4100, (8, 6): 4100, (7, 7): "102.5%", (8, 7): "102.5%", (7, 5): 4100, (8, 5): 4100},
     [("executed-exceeds-budget", "F7"), ("executed-exceeds-budget", "F8")]),
])
def test_the_unscored_transfer_forms_money_mistakes_are_caught(tmp_path, run_cli, cells, expected):
    rows = [row[:] for row in CENTRAL]
    for (row, col), value in cells.items():
        rows[row - 1][col - 1] = value
    doc = check_json(run_cli, write_form(tmp_path / "转移支付.xlsx", rows, CENTRAL_MERGES))
    assert [(f["code"], f["cell"]) for f in doc["findings"] if f["code"] != "no-score-to-check"] == expected


def test_fill_of_the_unscored_transfer_form(tmp_path, run_cli):
    from docx import Document

    out = tmp_path / "out"
    result = run_cli("fill", write_form(tmp_path / "转移支付.xlsx", CENTRAL, CENTRAL_MERGES), "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "转移支付.xlsx［自评表］：不计分，通过" in result.stdout
    text = "\n".join(p.text for p in Document(str(out / "转移支付_自评报告.docx")).paragraphs)
    assert "本表为不计分的绩效目标自评表，不评定得分和等级。" in text
    assert "“群众满意度”指标值“≥90%”，实际完成“95%”" in text and "尚未评分" not in text


@pytest.mark.parametrize("build", [hubei_rows, whole_process_rows, chongqing_rows])
def test_each_forms_findings_are_rules_of_its_scheme(tmp_path, run_cli, build):
    """What a form of a scheme is told comes from the rules --list-rules lists for that scheme."""
    rows, merges = build()
    doc = check_json(run_cli, write_form(tmp_path / "表.xlsx", rows, merges))
    scheme = BY_CODE[doc["form"]["scheme"]]
    assert all(scheme.applies(f["code"]) for f in doc["findings"])
    listed = json.loads(run_cli("check", "--list-rules", "--format", "json").stdout)
    applying = {rule["code"] for rule in listed if scheme.code in rule["schemes"]}
    assert {f["code"] for f in doc["findings"]} <= applying
    assert "block-weight-mismatch" in applying if scheme.code == "hubei-20-80" else "block-weight-mismatch" not in applying
    assert ("deviation-missing" in applying) == (scheme.code == "whole-process")


def test_a_province_on_a_known_family_is_a_data_change(tmp_path, run_cli, monkeypatch):
    """Another province's 20/80 form titles its blocks 绩效目标完成情况（80分） and calls 得分 评分值:
    one Scheme entry made from 湖北's with other labels reads and checks it — no code."""
    import dataclasses

    from perfxl.read import schemes

    block = r"^绩效目标完成情况\d*[(（]\d+(?:\.\d+)?分[)）]$"
    other = dataclasses.replace(schemes.HUBEI_20_80, code="other-20-80", name="某省 20/80 评分的自评表", signs=(block,),
                                scoring=dataclasses.replace(schemes.HUBEI_20_80.scoring, block_title=block))
    rows, merges = hubei_rows(block_title="绩效目标完成情况（80分）")
    path = write_form(tmp_path / "某省.xlsx", rows, merges)
    before = check_json(run_cli, path)  # unknown labels: read as ours, and (at least) not silent about the missing 分值
    assert before["form"]["scheme"] == "mof-2020" and "column-missing" in {f["code"] for f in before["findings"]}
    monkeypatch.setattr(schemes, "SCHEMES", (*schemes.SCHEMES, other))
    monkeypatch.setitem(schemes.BY_CODE, other.code, other)
    doc = check_json(run_cli, path)
    assert doc["form"]["scheme"] == "other-20-80"
    assert doc["form"]["funds"]["weight"] == 20.0 and doc["form"]["total"]["score_computed"] == 99.2
    assert [(f["code"], f["cell"]) for f in doc["findings"]] == [("score-grouped", "G7")]
