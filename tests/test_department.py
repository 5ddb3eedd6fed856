"""The 部门整体支出绩效自评表: recognised by its title and labels, read with its two breakdowns of money.

Forms typed cell by cell in the layouts the 财政部 template and its provincial copies use.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from test_variants import check_json, codes, write_form


def department_rows(*, total=(1900, 2000, 1600, 10, "100%", 10), income=None, expenditure=None):
    """Rows layout: 按收入性质分 / 按支出性质分 written down column A over their parts, amounts in the columns."""
    income = income or [("一般公共预算", (1800, 1850, 1500)), ("政府性基金拨款", (100, 100, 60)),
                        ("纳入专户管理的非税收入拨款", (None, 50, 40)), ("其他资金", (None, None, None))]
    expenditure = expenditure or [("基本支出", (1200, 1250, 1100)), ("项目支出", (700, 750, 500))]
    rows = [
        ["2022年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None],
        ["部门（单位）名称", "某县农业农村局", None, None, None, None, None, None, None],
        ["联系人", "李四", None, None, "联系电话", "0731-7654321", None, None, None],
        ["年度预算申请（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额", *total, None],
    ]
    for i, (label, values) in enumerate(income):
        rows.append(["按收入性质分" if i == 0 else None, label, *values, None, None, None, None])
    for i, (label, values) in enumerate(expenditure):
        rows.append(["按支出性质分" if i == 0 else None, label, *values, None, None, None, None])
    funds_end = len(rows)
    rows += [
        ["年度总体目标", "预期目标", None, None, None, "实际完成情况", None, None, None],
        [None, "保障部门正常运转，完成农业农村重点工作。", None, None, None, "部门运转正常，重点工作按期完成。", None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "高标准农田建设面积", "≥2万亩", "2万亩", 30, 30, None],
        [None, None, "质量指标", "项目验收合格率", "100%", "100%", 20, 20, None],
        [None, "效益指标", "社会效益指标", "农业综合生产能力", "稳步提升", "稳步提升", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 100, "优"],
    ]
    n_income, n_exp = len(income), len(expenditure)
    merges = ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "A4:B4", f"A6:A{5 + n_income}", f"A{6 + n_income}:A{5 + n_income + n_exp}",
              f"A{funds_end + 1}:A{funds_end + 2}", f"B{funds_end + 1}:E{funds_end + 1}", f"F{funds_end + 1}:I{funds_end + 1}",
              f"B{funds_end + 2}:E{funds_end + 2}", f"F{funds_end + 2}:I{funds_end + 2}", f"A{funds_end + 3}:A{funds_end + 7}",
              f"A{funds_end + 8}:F{funds_end + 8}")
    return rows, merges


def test_department_form_is_recognised_and_its_real_mistake_found(tmp_path, run_cli):
    """The published mistake: about 80 % executed, printed as 100 % and scored 10/10 — and nothing else."""
    rows, merges = department_rows()
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    form = doc["form"]
    assert form["kind"] == "department"
    assert (form["unit"], form["department"], form["project"], form["year"]) == ("某县农业农村局", "某县农业农村局", None, 2022)
    funds = form["funds"]
    assert (funds["budget"], funds["executed"], funds["rate"], funds["score"]) == (2000, 1600, 0.8, 8)
    assert sorted(codes(doc)) == [("budget-score-mismatch", "H5"), ("rate-mismatch", "G5"), ("total-mismatch", "H19")]
    assert [i["level3"] for i in form["indicators"]] == ["高标准农田建设面积", "项目验收合格率", "农业综合生产能力", "服务对象满意度"]
    text = run_cli("check", tmp_path / "部门整体.xlsx").stdout
    assert "部门整体支出绩效自评表" in text and "项目名称" not in text


def test_each_breakdown_is_checked_against_the_total_and_each_other(tmp_path, run_cli):
    rows, merges = department_rows(expenditure=[("基本支出", (1200, 1250, 1100)), ("项目支出", (700, 700, 500))])
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    found = codes(doc)
    # 支出 side: 1250 + 700 = 1950 ≠ 2000 (全年预算数); 收入 side adds up (1850 + 100 + 50 = 2000)
    assert ("funds-sum-mismatch", "D5") in found
    assert ("breakdowns-disagree", "D10") in found
    mismatch = next(f for f in doc["findings"] if f["code"] == "funds-sum-mismatch")
    assert "按支出性质分" in mismatch["message"] and (mismatch["expected"], mismatch["actual"]) == (1950, 2000)
    assert not [f for f in doc["findings"] if f["code"] == "funds-sum-mismatch" and "按收入性质分" in f["message"]]


def inline_rows(income_amounts=("1873.66万元", "100万元", "", ""), expenditure_amounts=("1500万元", "473.66万元")):
    """Side-by-side layout: 按收入性质分 | 按支出性质分 headings, amounts written inline after each label."""
    income = ["其中：一般公共预算：", "政府性基金拨款：", "纳入专户管理的非税收入拨款：", "其他资金："]
    expenditure = ["其中：基本支出：", "项目支出："]
    rows = [
        ["2021年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None],
        ["部门（单位）名称", "某市文化和旅游局", None, None, "一级预算单位名称", "某市文化和旅游局", None, None, None],
        ["年度预算申请（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额：", 1900, 1973.66, 1973.66, 10, "100%", 10, None],
        [None, "按收入性质分：", None, None, None, "按支出性质分：", None, None, None],
    ]
    for i, label in enumerate(income):
        right = f"{expenditure[i]}{expenditure_amounts[i]}" if i < len(expenditure) else None
        rows.append([None, f"{label}{income_amounts[i]}", None, None, None, right, None, None, None])
    rows += [
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "公共文化活动场次", "≥200场", "210场", 50, 50, None],
        [None, "效益指标", "社会效益指标", "群众文化生活", "丰富", "丰富", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 100, None],
    ]
    merges = ("A1:I1", "B2:D2", "F2:I2", "A3:B3", "A4:A9", "B5:E5", "F5:I5", *(f"B{r}:E{r}" for r in range(6, 10)),
              *(f"F{r}:I{r}" for r in range(6, 10)), "A10:A13", "A14:F14")
    return rows, merges


def test_inline_amounts_under_side_by_side_headings(tmp_path, run_cli):
    rows, merges = inline_rows()
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    assert doc["form"]["kind"] == "department"
    assert (doc["form"]["department"], doc["form"]["unit"]) == ("某市文化和旅游局", "某市文化和旅游局")
    assert doc["form"]["funds"]["rate"] == 1.0
    assert codes(doc) == [], codes(doc)


def test_inline_breakdowns_that_disagree(tmp_path, run_cli):
    rows, merges = inline_rows(expenditure_amounts=("1500万元", "400万元"))
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    found = codes(doc)
    assert ("funds-sum-mismatch", "F6") in found  # 1500 + 400 = 1900: neither 全年预算数 nor 全年执行数 (1973.66)
    assert ("breakdowns-disagree", "F6") in found  # 收入 1973.66 against 支出 1900
    assert ("funds-sum-mismatch", "B6") not in found


def test_a_basic_data_sheet_is_kept_and_not_read(tmp_path, run_cli):
    rows, merges = department_rows(total=(1900, 2000, 1600, 10, "80%", 8))
    rows[18][7] = 98  # 总分: 8 + 90
    path = write_form(tmp_path / "部门整体.xlsx", rows, merges)
    wb = openpyxl.load_workbook(path)
    data = wb.create_sheet("基础数据表")
    for row in (["部门整体支出绩效自评基础数据表"], ["财政供养人员情况", "编制数", "实有人数"], ["", 120, 118], ["三公经费", "预算数", "决算数"], ["", 35.5, 30.2]):
        data.append(row)
    wb.save(path)
    result = run_cli("check", path, "--format", "json")
    docs = json.loads(result.stdout)
    assert isinstance(docs, dict) and docs["sheet"] == "自评表" and docs["ok"] is True, result.stdout


@pytest.mark.parametrize("title, says", [
    ("2023年度项目绩效目标申报表", "绩效目标申报表"),
    ("部门整体支出绩效自评基础数据表", "基础数据表"),
])
def test_a_form_of_neither_kind_is_refused_with_what_it_looks_like(tmp_path, run_cli, title, says):
    rows = [[title], ["项目名称", "某项目"], ["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "培训人次", "≥100人次"]]
    path = write_form(tmp_path / "其他表.xlsx", rows)
    result = run_cli("check", path)
    assert result.exit_code == 2
    out = result.stdout + result.stderr
    assert says in out and "其他表.xlsx" in out and "自评表" in out
