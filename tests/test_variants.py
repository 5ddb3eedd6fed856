"""Forms as provinces really publish them, typed cell by cell (not by perfxl's own form builder).

Each form below is written the way it appears on a published 自评表: its own titles, header words,
column order, placeholders and leftovers. ``perfxl check --format json`` must read each one
completely: every indicator and nothing else, the funds from the right cells, the recomputed total.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED
from helpers import check_json, codes
from typedforms import write_form

# ---------------------------------------------------------------- writing a form as typed


def indicators(doc: dict) -> list[tuple]:
    return [(i["level1"], i["level2"], i["level3"], i["weight"], i["score"]) for i in doc["form"]["indicators"]]


# ---------------------------------------------------------------- the 衔接推进乡村振兴补助资金 form

# 分值 before the target, 全年实际值, 未完成原因分析及改进措施; funds titled 预算执行情况（10分） with
# （A）/（B） headers, a total row with a colon and parts printing — in 执行率/分值/得分; 年初设定目标 /
# 年度总体目标完成情况综述; a 项目负责人及电话 row; placeholders, a ★ core indicator, a 其中 breakdown,
# an empty template row, 其他需要说明事项, a footnote and the grade written into the 总分 row.
XIANJIE_ROWS = [
    ["绩效目标自评表（2022年度）", None, None, None, None, None, None, None, None],
    ["项目名称", "2022年衔接推进乡村振兴补助资金（产业发展）", None, None, None, None, None, None, None],
    ["主管部门", "某县农业农村局", None, None, "实施单位", "某县乡村振兴服务中心", None, None, None],
    ["项目负责人及电话", "张三 0731-1234567", None, None, None, None, None, None, None],
    ["预算执行情况（10分）", None, "年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分", None],
    [None, "年度资金总额：", 1500, 1600, 1520, 10, "95%", 9.5, None],
    [None, "其中：中央补助", 1000, 1000, 960, "—", "—", "—", None],
    [None, "省级补助", 300, 400, 380, "—", "—", "—", None],
    [None, "市县资金", 200, 200, 180, "/", "/", "/", None],
    ["年度总体目标", "年初设定目标", None, None, None, "年度总体目标完成情况综述", None, None, None],
    [None, "发展特色产业，带动脱贫户增收。", None, None, None, "完成产业项目建设，带动脱贫户增收。", None, None, None],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "分值", "年度指标值", "全年实际值", "得分", "未完成原因分析及改进措施"],
    [None, "产出指标（50分）", "数量指标", "★产业项目个数", 20, "≥10个", "10个", 20, None],
    [None, None, None, "其中：种植类项目", None, "6个", "6个", None, None],
    [None, None, None, "指标1", None, None, None, None, None],
    [None, None, "质量指标", "项目验收合格率", 15, "=100%", "100%", 15, None],
    [None, None, "时效指标", "项目完工及时率", 15, "≥95%", "90%", 14.21, "部分项目因雨季延期，已督促加快进度"],
    [None, "效益指标（30分）", "经济效益指标", None, None, None, None, None, None],
    [None, None, "社会效益指标", "带动脱贫户增收人数", 30, "≥500人", "≥500人", 30, None],
    [None, None, "……", "……", None, None, None, None, None],
    [None, "满意度指标（10分）", "服务对象满意度指标", "受益群众满意度", 10, "≥90%", "暂无投诉，长效管理机制不断完善", 10, None],
    ["其他需要说明事项", None, "无", None, None, None, None, None, None],
    ["总分", None, None, None, 100, None, None, 98.71, "优"],
    ["注：1.一级指标分值统一设置为：产出指标50分、效益指标30分、满意度指标10分。", None, None, None, None, None, None, None, None],
]
XIANJIE_MERGES = ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "B4:I4", "A5:A9", "A10:A11", "B10:E10", "F10:I10", "B11:E11", "F11:I11",
                  "A12:A21", "B13:B17", "C13:C15", "B18:B20", "A22:B22", "C22:I22", "A23:D23")


def test_xianjie_form_read_completely(tmp_path, run_cli):
    doc = check_json(run_cli, write_form(tmp_path / "衔接资金.xlsx", XIANJIE_ROWS, XIANJIE_MERGES))
    form = doc["form"]
    assert (form["year"], form["project"], form["department"], form["implementer"]) == (
        2022, "2022年衔接推进乡村振兴补助资金（产业发展）", "某县农业农村局", "某县乡村振兴服务中心")
    assert form["goal"] == {"expected": "发展特色产业，带动脱贫户增收。", "actual": "完成产业项目建设，带动脱贫户增收。"}
    funds = form["funds"]
    assert (funds["initial"], funds["budget"], funds["executed"], funds["rate"], funds["weight"], funds["score"]) == (1500, 1600, 1520, 0.95, 10, 9.5)
    assert indicators(doc) == [
        ("产出指标", "数量指标", "★产业项目个数", 20, 20),
        ("产出指标", "质量指标", "项目验收合格率", 15, 15),
        ("产出指标", "时效指标", "项目完工及时率", 15, 14.21),
        ("效益指标", "社会效益指标", "带动脱贫户增收人数", 30, 30),
        ("满意度指标", "服务对象满意度指标", "受益群众满意度", 10, 10),
    ]
    assert [i["target"] for i in form["indicators"]] == ["≥10个", "=100%", "≥95%", "≥500人", "≥90%"]
    assert form["indicators"][2]["deviation"] == "部分项目因雨季延期，已督促加快进度"
    assert form["total"] == {"weight": 100, "weight_stated": 100, "score_stated": 98.71, "score_computed": 98.71}
    assert form["grade"] == "优"
    assert doc["ok"] is True
    assert codes(doc) == [], codes(doc)


def test_xianjie_grade_in_total_row_is_checked(tmp_path, run_cli):
    rows = [list(row) for row in XIANJIE_ROWS]
    rows[22][8] = "良"
    doc = check_json(run_cli, write_form(tmp_path / "衔接资金.xlsx", rows, XIANJIE_MERGES))
    assert codes(doc) == [("grade-mismatch", "I23")]


# ---------------------------------------------------------------- funds in 元, renamed columns, a 20-point budget weight

YUAN_ROWS = [
    ["（2021年度）项目支出绩效自评表", None, None, None, None, None, None, None, None],
    ["项目名称", "农村公路养护", None, None, None, None, None, None, None],
    ["主管部门", "某县交通运输局", None, None, "实施单位", "某县公路事务中心", None, None, None],
    ["项目资金（元）", None, "年初预算", "本年度预算数", "全年预算执行数", "分值权重", "预算执行率", "得分（20分*执行率）", None],
    [None, "年度财政资金总额", "215,457.6", "215,457.6", "193,911.84", None, "90%", 18, None],
    [None, "其中：本年一般公共预算拨款", "215,457.6", "215,457.6", "193,911.84", None, None, None, None],
    ["年度总体目标", "预期目标", None, None, None, "实际完成情况", None, None, None],
    [None, "完成农村公路养护。", None, None, None, "完成农村公路养护。", None, None, None],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "指标分值权重", "指标得分", "偏差大或目标未完成原因分析"],
    [None, "产出指标", "数量指标", "养护里程", ">=120公里", "120公里", 30, 30, None],
    [None, None, "质量指标", "路况优良率", "≧85%", "86%", 20, 20, None],
    [None, "效益指标", "社会效益指标", "群众出行条件", "明显改善", "明显改善", 20, 20, None],
    [None, "满意度指标", "服务对象满意度指标", "群众满意度", "═100%", "100%", 10, 10, None],
    ["合计", None, None, None, None, None, 100, 98, None],
]
YUAN_MERGES = ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "A4:A6", "A7:A8", "B7:E7", "F7:I7", "B8:E8", "F8:I8", "A9:A13", "A14:F14")


def test_amounts_in_yuan_renamed_columns_and_a_20_point_budget(tmp_path, run_cli):
    doc = check_json(run_cli, write_form(tmp_path / "元.xlsx", YUAN_ROWS, YUAN_MERGES))
    funds = doc["form"]["funds"]
    assert (funds["budget"], funds["executed"], funds["rate"], funds["weight"], funds["score"]) == (21.54576, 19.391184, 0.9, 20, 18)
    assert funds["initial"] == 21.54576
    assert [i["target"] for i in doc["form"]["indicators"]] == [">=120公里", "≧85%", "明显改善", "═100%"]
    assert doc["form"]["total"]["score_computed"] == 98
    assert doc["form"]["total"]["weight"] == 100
    assert codes(doc) == [("nonstandard-weights", None)] or codes(doc)[0][0] == "nonstandard-weights"
    assert doc["ok"] is True


# ---------------------------------------------------------------- a total row of zeros while its parts hold the figures

def zero_total_rows(total_values, total_score):
    return [
        ["2022年度项目支出绩效自评表", None, None, None, None, None, None, None, None],
        ["项目名称", "社区养老服务补助", None, None, None, None, None, None, None],
        ["主管部门", "某市民政局", None, None, "实施单位", "某市民政局", None, None, None],
        ["资金情况（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额", *total_values, 10, None, total_score, None],
        [None, "其中：当年财政拨款", 80, 80, 80, None, None, None, None],
        [None, "上年结转资金", 20, 20, 20, None, None, None, None],
        [None, "其他资金", None, None, None, None, None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "补助养老机构数", "≥10家", "10家", 50, 50, None],
        [None, "效益指标", "社会效益指标", "养老服务水平", "提升", "提升", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "老人满意度", "≥90%", "95%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 90, None],
    ]


@pytest.mark.parametrize("total_values", [(0, 0, 0), (None, None, None)], ids=["zeros", "blank"])
def test_total_row_zero_or_blank_is_computed_from_its_parts(tmp_path, run_cli, total_values):
    path = write_form(tmp_path / "零.xlsx", zero_total_rows(total_values, 0), ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "A4:A8", "A9:A12", "A13:F13"))
    doc = check_json(run_cli, path)
    funds = doc["form"]["funds"]
    assert (funds["budget"], funds["executed"], funds["rate"], funds["score"], funds["score_stated"]) == (100, 100, 1.0, 10, 0)
    found = codes(doc)
    assert ("funds-sum-mismatch", "D5") in found and ("funds-sum-mismatch", "E5") in found
    assert ("budget-score-mismatch", "H5") in found
    assert "budget-zero" not in {code for code, _ in found}
    assert doc["form"]["total"]["score_computed"] == 100
    assert ("total-mismatch", "H13") in found


# ---------------------------------------------------------------- never silent

def _delete_column(path: Path, letter: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.delete_cols(openpyxl.utils.column_index_from_string(letter))
    wb.save(path)


def test_executed_column_deleted_from_the_seed_is_a_finding(tmp_path, run_cli):
    path = Path(shutil.copy(SEED, tmp_path / "无执行数.xlsx"))
    _delete_column(path, "F")  # 全年执行数, and below it the indicator table's 实际完成值
    doc = check_json(run_cli, path)
    missing = [f for f in doc["findings"] if f["code"] == "column-missing"]
    assert [f["cell"] for f in missing] == ["D4", "B11"]
    assert "全年执行数" in missing[0]["message"] and "实际完成值" in missing[1]["message"]
    assert doc["form"]["funds"]["executed"] is None and doc["ok"] is False
    text = run_cli("check", path).stdout
    assert "全年执行数 — 万元" in text and "column-missing" in text and "没有找到“全年执行数" in text
    # every — the text shows is explained by that finding; the budget score falls back on the stated 执行率 (100%)
    assert "执行率 —，预算执行率得分 10/10" in text


def test_indicator_score_column_missing_is_a_finding(tmp_path, run_cli):
    path = Path(shutil.copy(SEED, tmp_path / "无得分.xlsx"))
    _delete_column(path, "H")  # 得分 of the funds block is column I; of the indicator table, H
    doc = check_json(run_cli, path)
    missing = [(f["cell"], f["message"]) for f in doc["findings"] if f["code"] == "column-missing"]
    assert any(cell == "B11" and "得分" in message for cell, message in missing), missing


# ---------------------------------------------------------------- the same forms saved by LibreOffice

@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) 未安装")
def test_forms_saved_by_libreoffice_read_the_same(tmp_path, run_cli):
    from helpers import soffice_convert

    built = {
        "衔接资金": write_form(tmp_path / "衔接资金.xlsx", XIANJIE_ROWS, XIANJIE_MERGES),
        "元": write_form(tmp_path / "元.xlsx", YUAN_ROWS, YUAN_MERGES),
        "零": write_form(tmp_path / "零.xlsx", zero_total_rows((0, 0, 0), 0), ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "A4:A8", "A9:A12", "A13:F13")),
    }
    for name, path in built.items():
        saved = soffice_convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo" / name, tmp_path / "profile")
        original, resaved = check_json(run_cli, path), check_json(run_cli, saved)
        assert resaved["form"]["indicators"] == original["form"]["indicators"], name
        assert resaved["form"]["funds"] == original["form"]["funds"], name
        assert codes(resaved) == codes(original), name
