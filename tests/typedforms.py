"""Forms typed cell by cell, as provinces and departments publish them (not by perfxl's form builder).

``write_form`` writes rows of cell values as a sheet named 自评表; the ``*_rows`` functions give the rows
and merges of the 部门整体支出绩效自评表 in the layouts the 财政部 template and its provincial copies use.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl


def write_form(path: Path, rows: list[list], merges: tuple[str, ...] = (), formats: dict[str, str] | None = None) -> Path:
    """Rows of cell values (None = empty) as a sheet named 自评表, with merges and number formats."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                cell = ws.cell(r, c, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # typed as text (as in the published form), not a formula
    for address, fmt in (formats or {}).items():
        ws[address].number_format = fmt
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


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


def blank_department_rows():
    """A blank department form: the title row and the headers, nothing filled."""
    rows = [
        ["年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None],
        ["部门（单位）名称", None, None, None, None, None, None, None, None],
        ["年度预算申请（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        ["年度总体目标", "预期目标", None, None, None, "实际完成情况", None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["总分", None, None, None, None, None, None, None, None],
    ]
    return rows, ("A1:I1", "B2:I2", "A3:B3", "B4:E4", "F4:I4", "A6:F6")


def half_filled_department_rows():
    """The unit and the money filled in, the indicators not yet scored, no 总分."""
    rows, merges = department_rows(total=(1900, 2000, 1600, 10, None, None))
    for row in rows[12:18]:
        if row[0] is None and isinstance(row[6], int):
            row[7] = None
    rows[18][6:9] = [None, None, None]
    return rows, merges
