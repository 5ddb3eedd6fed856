"""Forms on scoring schemes perfxl does not check are refused by name, never read as ours (issue 21,
first step: recognition and honest refusal; perfxl/read/schemes.py).

Each form is typed cell by cell in the layout a reviewer of that family sees (merged block titles,
a score merged over rows, the printed 总分), the way the provinces publish them.
"""

from __future__ import annotations

import json

import pytest

from perfxl.read.schemes import BY_CODE, SCHEMES
from typedforms import write_form

IDENTITY = [
    ["项目名称", "农村人居环境整治项目", None, None, None, None, None],
    ["主管部门", "某区农业农村局", None, None, "实施单位", "某区农业农村局", None],
]


def hubei_rows(block_title="年度绩效目标（80分）"):
    """湖北 20/80: 预算执行情况（万元）（20分）, 年度绩效目标（80分） in the first cell of the header row,
    no per-row 分值, one 得分 merged over two 三级 rows, the 总分 row with one value."""
    rows = [
        ["2021年度项目支出绩效自评表", None, None, None, None, None, None],
        *IDENTITY,
        ["预算执行情况（万元）（20分）", None, "预算数（A）", "执行数（B）", "执行率（B/A）", "得分（20分*执行率）", None],
        ["年度财政资金总额", None, 500, 480, "96%", 19.2, None],
        [block_title, "一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "得分"],
        [None, "产出指标（40分）", "数量指标", "改厕户数", "≥300户", "310户", 20],
        [None, None, "质量指标", "验收合格率", "100%", "100%", None],
        [None, None, "进度指标", "完工时间", "11月底前", "11月20日", 20],
        [None, "效益指标（30分）", "社会效益", "村容村貌", "明显改善", "明显改善", 30],
        [None, "满意度指标（10分）", "服务对象满意度", "群众满意度", "≥90%", "95%", 10],
        ["总分", None, None, None, None, None, 99.2],
        ["偏差大或目标未完成原因分析", "无", None, None, None, None, None],
    ]
    merges = ("A1:G1", "B2:G2", "B3:D3", "F3:G3", "A4:B4", "A5:B5", "A6:A11", "B7:B9", "G7:G8", "A12:F12", "B13:G13")
    return rows, merges


def chongqing_rows():
    """重庆 部门整体: 执行率权重 / 执行率得分, a flat indicator list with 得分系数 × 指标权重."""
    rows = [
        ["2022年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None, None],
        ["部门名称", "某区文化旅游委", None, None, None, None, None, None, None, None],
        ["年度预算执行情况", "年初预算数", "全年预算数", "全年执行数", "执行率（%）", "执行率权重", "执行率得分（分）", None, None, None],
        ["年度总金额", 1200, 1250, 1200, "96%", 10, 9.6, None, None, None],
        ["其中财政拨款", 1100, 1150, 1100, "95.65%", None, None, None, None, None],
        ["当年绩效目标", "保障文化旅游公共服务正常运转", None, None, None, None, None, None, None, None],
        ["指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数（%）", "指标权重（分）", "指标得分（分）", "是否核心指标"],
        ["公共文化活动场次", "场", "≥", 200, 210, 215, "100%", 30, 30, "是"],
        ["结转结余率", "%", "≤", 10, 8, 9, "100%", 30, 30, "否"],
        ["群众满意度", "%", "≥", 90, 90, 93, "100%", 30, 30, "是"],
    ]
    merges = ("A1:J1", "B2:J2", "B6:J6")
    return rows, merges


def whole_process_rows():
    """全过程 决策/过程/产出/效益: weights in the 一级 labels, 预算执行率 a 三级 under 过程."""
    rows = [
        ["2021年度项目支出绩效自评表", None, None, None, None, None, None, None, None],
        *[row + [None, None] for row in IDENTITY],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "执行率", None, None, None],
        [None, "年度资金总额", 300, 320, 300, "93.75%", None, None, None],
        ["一级指标", "二级指标", "三级指标", "参考分值", "指标值", "全年实际值", "得分", "原因", "复核分"],
        ["决策（10分）", "项目立项", "立项依据充分性", 5, "充分", "充分", 5, None, None],
        [None, "绩效目标", "绩效目标明确性", 5, "明确", "明确", 5, None, None],
        ["过程（25分）", "资金管理", "预算执行率", 15, "100%", "93.75%", 14.06, "部分资金年底到位", None],
        [None, "组织实施", "管理制度健全性", 10, "健全", "健全", 10, None, None],
        ["产出（30分）", "数量指标", "培训人次", 30, "≥500人次", "520人次", 30, None, None],
        ["效益（35分）", "社会效益指标", "就业人数", 35, "≥100人", "105人", 35, None, None],
        ["自评总分", None, None, 100, None, None, 99.06, None, None],
    ]
    merges = ("A1:I1", "B2:G2", "B3:D3", "F3:G3", "A4:B4", "A7:A8", "A9:A10", "A13:C13")
    return rows, merges


def hebei_rows():
    rows = [
        ["项目支出绩效自评表", None, None, None, None, None, None, None, None],
        *[row + [None, None] for row in IDENTITY],
        ["项目资金（万元）", None, "全年预算数", "全年执行数", "执行率", "分值", "得分", None, None],
        [None, "年度资金总额", 100, 100, "100%", 10, 10, None, None],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "单项指标得分", "权重占比(%)", "折算得分", "偏差原因"],
        ["产出指标", "数量指标", "培训人次", "≥500人次", "520人次", 100, "50%", 50, None],
        ["效益指标", "社会效益指标", "就业人数", "≥100人", "105人", 100, "40%", 40, None],
        ["总分", None, None, None, None, None, "100%", 100, None],
    ]
    merges = ("A1:I1", "B2:G2", "B3:D3", "F3:G3", "A4:B4")
    return rows, merges


def input_output_outcome_rows():
    rows = [
        ["项目支出绩效自评表", None, None, None, None, None, None, None, None],
        *[row + [None, None] for row in IDENTITY],
        ["项目资金（万元）", None, "全年预算数", "全年执行数", "执行率", "分值", "得分", None, None],
        [None, "年度资金总额", 100, 100, "100%", 10, 10, None, None],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施", None],
        ["投入", "资金投入", "资金到位率", "100%", "100%", 20, 20, None, None],
        ["产出", "数量指标", "培训人次", "≥500人次", "520人次", 40, 40, None, None],
        ["结果", "社会效益", "就业人数", "≥100人", "105人", 30, 30, None, None],
        ["总分", None, None, None, None, 100, 100, None, None],
    ]
    merges = ("A1:I1", "B2:G2", "B3:D3", "F3:G3", "A4:B4")
    return rows, merges


def refusal(run_cli, path) -> dict:
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 2, result.stdout + result.stderr
    [doc] = json.loads(result.stdout)  # always a list
    assert doc["ok"] is False and "form" not in doc
    return doc["error"]


@pytest.mark.parametrize("code, build", [
    ("hubei-20-80", hubei_rows),
    ("chongqing-department", chongqing_rows),
    ("whole-process", whole_process_rows),
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
    assert [scheme.code for scheme in SCHEMES if scheme.supported] == ["mof-2020"]
    for scheme in SCHEMES:
        assert scheme.name and scheme.how
        assert scheme.supported or scheme.signs, scheme.code
