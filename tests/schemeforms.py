"""Forms on the other scoring schemes, typed cell by cell as the provinces publish them (issue 21).

Plain rows for :func:`typedforms.write_form`: each family in the layout a reviewer of it sees (merged
block titles, a score merged over rows, the printed 总分). :func:`edited` changes some cells of a
form's rows by address (``G16=98``).
"""

from __future__ import annotations

import copy
from pathlib import Path

from typedforms import write_form


def edited(path: Path, rows: list[list], merges: tuple[str, ...], **cells) -> Path:
    """``rows`` with some cells changed (``G16=98`` → ``cells={"G16": 98}``), written to ``path``."""
    rows = copy.deepcopy(rows)
    for address, value in cells.items():
        col, row = ord(address[0]) - 64, int(address[1:])
        rows[row - 1][col - 1] = value
    return write_form(path, rows, merges)


def found(doc: dict) -> list[tuple]:
    """The findings of a JSON document as (code, severity, cell, expected, actual)."""
    return [(f["code"], f["severity"], f["cell"], f["expected"], f["actual"]) for f in doc["findings"]]


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


#: 中央对地方转移支付 绩效目标自评表 (as 阆中 published its 车辆购置税 form): funds with a 到位数 column,
#: indicators with 指标值 and 全年实际完成值 only — no 分值, no 得分.
CENTRAL = [
    ["车辆购置税收入补助地方资金绩效目标自评表", None, None, None, None, None, None],
    ["（2021年度）", None, None, None, None, None, None],
    ["转移支付（项目）名称", "车辆购置税收入补助地方资金（普通省道公路建设）", None, None, None, None, None],
    ["中央主管部门", "财政部", None, None, None, None, None],
    ["地方主管部门", "某市交通运输局", None, None, "资金使用单位", "某市交通运输局", None],
    ["项目资金（万元）", None, None, "全年预算数（A）", "全年到位数", "全年执行数（B）", "预算执行率（B/A）"],
    [None, "年度资金总额：", None, 4000, 4000, 3900, "97.5%"],
    [None, "其中：中央补助", None, 4000, 4000, 3900, "97.5%"],
    [None, "地方资金", None, None, None, None, None],
    [None, "其他资金", None, None, None, None, None],
    ["年度总体目标", "预期目标", None, None, "全年实际完成情况", None, None],
    [None, "建设普通省道二级公路32.1公里", None, None, "建成普通省道二级公路32.1公里", None, None],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "全年实际完成值", "未完成原因和改进措施"],
    [None, "产出指标", "数量指标", "建设普通省道二级公路", "32.1公里", "32.1公里", None],
    [None, None, "时效指标", "按期完成投资", "2021年12月底前", "2021年12月完成", None],
    [None, "效益指标", "社会效益指标", "基本公共服务水平", "提高", "提高", None],
    [None, "满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "95%", None],
    ["说明", "注：1.资金使用单位按项目填报，主管部门和财政部门汇总时按区域绩效目标填报。", None, None, None, None, None],
]
CENTRAL_MERGES = ("A1:G1", "A2:G2", "B3:G3", "B4:G4", "B5:D5", "A6:C6", "A7:A10", "B7:C7", "B8:C8", "B9:C9", "B10:C10",
          "A11:A12", "B11:D11", "E11:G11", "B12:D12", "E12:G12", "A13:A17", "B14:B15", "B18:G18")
