"""The real-form corpus: every published variant of the 自评表 (issue 12) and what a reviewer reads on it.

Each :class:`Variant` builds a workbook with tests/realforms.py the way a province publishes it and
says what ``perfxl check --format json`` must find: every 三级指标 (name, 分值, 得分), the funds, the
total 分值 and 总分, the finding codes and where the deliberate ones point. tests/test_real_forms.py
checks them; tests/test_reader_metamorphic.py, tests/test_accounted_reading.py and the golden outputs
(tests/golden.py) read the same corpus.

    python tests/realvariants.py OUTDIR     # writes every variant to OUTDIR
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import realforms as R
from realforms import Fmt, PCT, STD_EXPECTED, W, standard_form, std_fund_rows, std_rows

# ---------------------------------------------------------------- expectations

STD_FUNDS = dict(budget=1200.0, executed=1150.0, rate=0.9583, weight=10.0, score=9.58)
#: severities of the catalogue codes these tests expect (hand-copied from DESIGN.md / docs/rules.md)
ERRORS = {"funds-sum-mismatch", "rate-mismatch", "budget-score-mismatch", "total-mismatch", "required-missing",
          "column-missing", "level1-weight-mismatch", "total-weight-not-100", "deviation-missing"}


def level3_name(name) -> str | None:
    """A 三级指标 name as a reviewer lists it: no ★ core mark, no 其中： prefix, no spaces."""
    if name is None:
        return None
    text = "".join(str(name).split())
    text = re.sub(r"^[★☆*＊]+", "", text)
    return re.sub(r"^其中[:：]", "", text)


@dataclass
class Variant:
    id: str
    build: Callable[[], R.FormSheet]
    indicators: list[tuple[str, float, float]] = field(default_factory=lambda: list(STD_EXPECTED))
    funds: dict = field(default_factory=lambda: dict(STD_FUNDS))
    total_weight: float = 100.0
    total_score: float = 99.36
    #: finding codes expected: exactly these ("a|b": either, "a?": allowed, not required)
    codes: set[str] = field(default_factory=set)
    year: int | None = 2022
    project: str = R.PROJECT
    department: str = R.DEPARTMENT
    #: (code, cell) pairs that must be among the findings; cells from the layout
    cells: Callable[[R.FormSheet], list[tuple[str, str]]] | None = None
    #: extra checks on the JSON document
    extra: Callable[[dict, R.FormSheet], None] | None = None

    def __repr__(self) -> str:
        return self.id


def fund_rows_5(rows):
    """Standard fund rows without the 年初预算数 column."""
    return [(label, values[1:]) for label, values in rows]


def relabel(rows, total=None, parts=None):
    out = list(rows)
    if total:
        out[0] = (total, out[0][1])
    for i, label in enumerate(parts or (), start=1):
        out[i] = (label, out[i][1])
    return out


def dashed(rows, mark):
    """Parts printing ``mark`` in 执行率, 分值 and 得分 (the last three columns)."""
    return [rows[0]] + [(label, values[:-3] + [mark, mark, mark]) for label, values in rows[1:]]


def std_with(**changes):
    """std_rows() with some rows changed: {level3: {key: value}}."""
    rows = std_rows()
    for row in rows:
        row.update(changes.get(row["l3"], {}))
    return rows


# --- item 1: funds block titles, total row names, part rows, columns

def money_format(rows, fmt="#,##0.00"):
    """Amounts (the first columns before 分值) as numbers shown with thousands separators."""
    out = []
    for label, values in rows:
        n = len(values) - 3
        out.append((label, [Fmt(v, fmt) if isinstance(v, (int, float)) else v for v in values[:n]] + values[n:]))
    return out


YUAN_ROWS = money_format(std_fund_rows(factor=10000))
OTHER_SOURCES_ROWS = relabel(std_fund_rows(), total="年度资金总计", parts=("其中：中央预算内投资", "地方政府专项债券", "单位自筹资金"))
LEVELS_ROWS = [
    ("年度资金总额", [1000, 1200, 1150, 10, Fmt(1150 / 1200, PCT), 9.58]),
    ("其中：中央补助", [500, 600, 580, None, Fmt(580 / 600, PCT), None]),
    ("省级补助", [300, 400, 380, None, Fmt(380 / 400, PCT), None]),
    ("市县资金", [200, 200, 190, None, Fmt(190 / 200, PCT), None]),
]
ONE_PART_ROWS = [
    ("年度资金总额", [1000, 1200, 1150, 10, Fmt(1150 / 1200, PCT), 9.58]),
    ("其中：财政拨款", [1000, 1200, 1150, None, Fmt(1150 / 1200, PCT), None]),
]

# the 20-point budget: 产出 drops to 40 (two 5-point 数量指标) so that the weights still total 100
ROWS_20 = std_with(**{"新建集中供水工程": dict(weight=5, score=5), "改造供水管网长度": dict(weight=5, score=5)})
for _row in ROWS_20:
    if _row["l1"] == R.OUT:
        _row["l1"] = "产出指标\n（40分）"
EXPECTED_20 = [("新建集中供水工程", 5, 5), ("改造供水管网长度", 5, 5)] + STD_EXPECTED[2:]

# --- combinations seen together on published forms
ANHUI_ROWS = [
    ("年度财政资金总额", ["10,000,000.00", "12,000,000.00", "11,500,000.00", 10, "95.83%", 9.58]),
    ("其中：本年一般公共预算拨款", ["10,000,000.00", "11,000,000.00", "10,500,000.00", "—", "95.45%", "—"]),
    ("上年结转资金", ["", "1,000,000.00", "1,000,000.00", "—", "100.00%", "—"]),
    ("其他资金", ["", "", "", "—", "—", "—"]),
]
SICHUAN_ROWS = [
    ("年度资金总额：", [1200, 1150, 10, Fmt(1150 / 1200, "0.00%"), 9.58]),
    ("其中：中央补助", [600, 580, "/", Fmt(580 / 600, PCT), "/"]),
    ("省级补助", [400, 380, "/", Fmt(380 / 400, PCT), "/"]),
    ("市县资金", [200, 190, "/", Fmt(190 / 200, PCT), "/"]),
]
FORMULA_ROWS = [  # 年度资金总额 and every 执行率 as formulas (rows 5–8, columns D–I)
    ("年度资金总额", ["=SUM(D6:D8)", "=SUM(E6:E8)", "=SUM(F6:F8)", 10, Fmt("=F5/E5", PCT), "=ROUND(MIN(H5,1)*G5,2)"]),
    ("其中：当年财政拨款", [1000, 1100, 1050, None, Fmt("=F6/E6", PCT), None]),
    ("上年结转资金", [None, 100, 100, None, Fmt("=F7/E7", PCT), None]),
    ("其他资金", [None, None, None, None, None, None]),
]

# --- item 2: a total row left blank, or all zeros, while its parts hold the figures
ZERO_ROWS = [
    ("年度资金总额", [0, 0, 0, 10, Fmt(0, PCT), 0]),
    ("其中：当年财政拨款", [1000, 1100, 1050, None, Fmt(1050 / 1100, PCT), None]),
    ("上年结转资金", [None, 100, 100, None, Fmt(1.0, PCT), None]),
    ("其他资金", [None, None, None, None, None, None]),
]
BLANK_TOTAL_ROWS = [("年度资金总额", [None, None, None, 10, None, None])] + ZERO_ROWS[1:]

# --- item 3: the 衔接推进乡村振兴补助资金 form and other indicator headers
XJ_COLUMNS = [
    ("l1", "一级指标"), ("l2", "二级指标"), ("l3", "三级指标"), ("weight", "分值"), ("target", "年度指标值"),
    ("actual", "全年实际值"), ("score", "得分"), ("dev", "未完成原因分析及改进措施"),
]
XJ_OUT, XJ_BEN, XJ_SAT = "产出指标（50分）", "效益指标（30分）", "满意度指标（10分）"
XJ_ROWS = [
    dict(l1=XJ_OUT, l2="数量指标", l3="新建（改扩建）产业路", target="≥8公里", actual="8.6公里", weight=10, score=10),
    dict(l1=XJ_OUT, l2="数量指标", l3="支持脱贫户发展产业户数", target="≥1200户", actual="1140户", weight=10, score=9.5,
         dev="部分脱贫户外出务工未申报产业奖补，下一步加强政策宣传和入户摸底"),
    dict(l1=XJ_OUT, l2="质量指标", l3="项目（工程）验收合格率", target="100%", actual="100%", weight=10, score=10),
    dict(l1=XJ_OUT, l2="时效指标", l3="项目完成及时率", target="100%", actual="100%", weight=10, score=10),
    dict(l1=XJ_OUT, l2="成本指标", l3="产业路建设补助标准", target="≤60万元/公里", actual="58万元/公里", weight=10, score=10),
    dict(l1=XJ_BEN, l2="经济效益指标", l3="带动脱贫人口增收", target="≥500元/人", actual="620元/人", weight=10, score=10),
    dict(l1=XJ_BEN, l2="社会效益指标", l3="受益脱贫人口数", target="≥3000人", actual="3150人", weight=10, score=10),
    dict(l1=XJ_BEN, l2="可持续影响指标", l3="项目持续发挥效益年限", target="≥5年", actual="5年", weight=10, score=10),
    dict(l1=XJ_SAT, l2="服务对象满意度指标", l3="受益脱贫人口满意度", target="≥90%", actual="92%", weight=10, score=10),
]
XJ_EXPECTED = [(r["l3"], r["weight"], r["score"]) for r in XJ_ROWS]
XJ_FUNDS = [
    ("年度资金总额", [1000, 1200, 1150, 10, Fmt(1150 / 1200, PCT), 9.58]),
    ("其中：中央财政衔接资金", [600, 800, 780, None, Fmt(780 / 800, PCT), None]),
    ("省级财政衔接资金", [300, 300, 280, None, Fmt(280 / 300, PCT), None]),
    ("市县财政衔接资金", [100, 100, 90, None, Fmt(90 / 100, PCT), None]),
]


def build_xianjie() -> R.FormSheet:
    form = R.FormSheet()
    form.title("衔接推进乡村振兴补助资金绩效目标自评表（2022年度）")
    form.identity("示例县2022年衔接推进乡村振兴补助资金（产业发展）", "示例县乡村振兴局", "示例县乡村振兴局")
    form.pair("项目负责人及电话", "李明　0737-1234567")
    form.funds("项目资金\n（万元）", R.STD_FUND_COLUMNS, XJ_FUNDS, names=("funds_header", "funds_total"))
    form.goals("支持脱贫户发展特色种养产业1200户，新建（改扩建）产业路8公里，带动脱贫人口人均增收500元以上。",
               "支持脱贫户发展特色种养产业1140户，新建（改扩建）产业路8.6公里，带动脱贫人口人均增收620元。",
               heads=("年初设定目标", "年度总体目标完成情况综述"))
    form.indicators(XJ_COLUMNS, XJ_ROWS)
    form.total(100, 99.08)
    return form


def columns_with(**headers):
    """STD_COLUMNS with some headers renamed: key → header."""
    return [(key, headers.get(key, head)) for key, head in R.STD_COLUMNS]


SPLIT_COLUMNS = [
    ("l1", "一级指标"), ("l2", "二级指标"), ("l3", "三级指标"), ("target", "年度指标值"), ("actual", "完成值"),
    ("weight", "参考分值"), ("score", "得分"), ("dev", "偏差原因及改进措施说明"),
]
SPLIT_SUBS = {"target": [("nature", "指标性质"), ("value", "指标值"), ("unit", "度量单位")]}
_SPLIT_TARGETS = {  # level3 → (指标性质, 指标值, 度量单位, 完成值)
    "新建集中供水工程": ("≥", 12, "处", 12), "改造供水管网长度": ("≥", 35, "公里", 36.5),
    "工程验收合格率": ("=", 100, "%", "100%"), "工程完工时间": ("定性", "12月底前完工", None, "11月25日完工"),
    "工程建设成本": ("≤", 1200, "万元", 1150), "受益人口": ("≥", 3.2, "万人", 3.4),
    "工程长效运行管护机制": ("定性", "建立", None, "已建立"), "受益群众满意度": ("≥", 90, "%", "88%"),
}


def split_rows():
    rows = []
    for row in std_rows():
        nature, value, unit, actual = _SPLIT_TARGETS[row["l3"]]
        rows.append({**row, "nature": nature, "value": value, "unit": unit, "actual": actual})
    return rows


def split_funds():
    return std_fund_rows()


# --- item 4: rows that are not indicators


def leftover_rows():
    std = std_rows()
    out, ben, sat = R.OUT, R.BEN, R.SAT
    return [
        std[0], std[1],
        dict(l1=out, l2="数量指标", l3="指标3"),
        std[2],
        dict(l1=out, l2="质量指标", l3="指标1"),
        dict(l1=out, l2="质量指标", l3="……"),
        std[3], std[4],
        dict(l1=out, l2="成本指标", l3="…"),
        dict(l1=ben, l2="经济效益\n指标"),
        std[5],
        dict(l1=ben, l2="生态效益\n指标", l3="指标1"),
        std[6],
        std[7],
        dict(l1=sat, l2="服务对象\n满意度指标", l3="……", target="……", actual="……"),
    ]


FOOTNOTES = (
    "注：1.一级指标分值统一设置为：产出指标50分、效益指标30分、满意度指标10分，预算执行率10分。",
    "2.三级指标得分低于分值的，须在“偏差原因分析及改进措施”栏说明原因。",
    "3.自评等级：90分（含）以上为优、80分（含）-90分为良、60分（含）-80分为中、60分以下为差。",
)


def subrow_rows():
    std = std_rows()
    out, ben = R.OUT, R.BEN
    return [
        std[0],
        std[1],
        dict(l1=out, l2="数量指标", l3="其中：主管网", target="≥20公里", actual="21公里"),
        dict(l1=out, l2="数量指标", l3="其中：支管网", target="≥15公里", actual="15.5公里"),
        {**std[2], "l3": "★工程验收合格率"},
        std[3], std[4],
        {**std[5], "weight": 10, "score": 10},
        dict(l1=ben, l2="社会效益\n指标", l3="其中：脱贫人口受益人数", target="≥5000人", actual="5200人", weight=5, score=5),
        std[6],
        {**std[7], "l3": "★受益群众满意度"},
    ]


SUBROW_EXPECTED = STD_EXPECTED[:5] + [("受益人口", 10, 10), ("脱贫人口受益人数", 5, 5)] + STD_EXPECTED[6:]

# --- item 5: values as really typed
VALUE_FUNDS = [
    ("年度资金总额", ["2,000,000.00", "2,154,576.00", "2,068,392.96", 10, "96.00%", 9.6]),
    ("其中：当年财政拨款", ["2,000,000.00", "1,939,118.40", "1,852,935.36", None, "95.56%", None]),
    ("上年结转资金", [None, "215,457.6", "215,457.6", None, "100%", None]),
    ("其他资金", [None, None, None, None, None, None]),
]


def value_rows():
    std = std_rows()
    out = R.OUT
    return [
        {**std[0], "target": ">=12处"},
        {**std[1], "target": "≧35公里"},
        dict(l1=out, l2="质量指标", l3="工程验收合格率", target="=100%", actual="100%", weight=5, score=5),
        dict(l1=out, l2="质量指标", l3="水质达标率", target="═100%", actual="98%", weight=5, score=5),
        std[3], std[4],
        {**std[5], "actual": "≥3.2万人"},  # the actual copied from the target, operator and all
        std[6],
        {**std[7], "target": ">=90%", "actual": "93%", "score": 10, "dev": None},
    ]


VALUE_EXPECTED = [
    ("新建集中供水工程", 10, 10), ("改造供水管网长度", 10, 10), ("工程验收合格率", 5, 5), ("水质达标率", 5, 5),
    ("工程完工时间", 10, 10), ("工程建设成本", 10, 10), ("受益人口", 15, 15), ("工程长效运行管护机制", 15, 15),
    ("受益群众满意度", 10, 10),
]
#: the rule score of each quantitative indicator, once its operator is read (None: qualitative)
VALUE_RULE_SCORES = [10, 10, 5, 4.9, None, 10, 15, None, 10]


def check_value_rule_scores(doc, form):
    got = [i.get("rule_score") for i in doc["form"]["indicators"]]
    assert got == VALUE_RULE_SCORES, "targets >=12处, ≧35公里, =100%, ═100%, ≥3.2万人 (actual ≥3.2万人), >=90% read as numbers"


def funds_cell(form: R.FormSheet, row_name: str, header: str) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(form.value_cols[header])}{form.rows[row_name]}"


def in_row(doc, code, row) -> bool:
    return any(f["code"] == code and f["cell"] and re.fullmatch(rf"[A-Z]+{row}", f["cell"]) for f in doc["findings"])


def check_zero_total(doc, form):
    row = form.rows["funds_total"]
    assert in_row(doc, "funds-sum-mismatch", row), "an all-zero 年度资金总额 row: funds-sum-mismatch must point at that row"
    score = [f for f in doc["findings"] if f["code"] == "budget-score-mismatch"]
    assert [(f["cell"], f["expected"], f["actual"]) for f in score] == [(funds_cell(form, "funds_total", "得分"), 9.58, 0.0)]


def check_blank_total(doc, form):
    row = form.rows["funds_total"]
    assert in_row(doc, "funds-sum-mismatch", row) or in_row(doc, "required-missing", row), (
        "a blank 年度资金总额 row: a finding must point at that row (funds-sum-mismatch or required-missing)"
    )


# --- item 7: the deviation column split in two; the 三级指标 column called otherwise


def split_deviation(dev="偏差原因", fix="改进措施", l3="三级指标"):
    """The template's columns with the last one split in two: … | 得分 | ``dev`` | ``fix``."""
    return columns_with(l3=l3)[:-1] + [("dev", dev), ("fix", fix)]


def indicators_as_printed(rows, deviations: dict[str, str | None]):
    """(三级指标, 指标值, 实际完成值, 分值, 得分, 偏差原因) of each row with a name, as a reviewer lists
    them from the printed form; ``deviations`` gives the 偏差原因 a reviewer reads for a row (by name)."""
    return [(r["l3"], r["target"], r["actual"], float(r["weight"]), float(r["score"]), deviations.get(r["l3"]))
            for r in rows if r.get("weight") is not None]


def check_indicators(expected):
    """An ``extra`` check: every indicator's name, target, actual, weight, score and deviation as printed."""
    def check(doc, form):
        got = [(level3_name(i["level3"]), i["target"], i["actual"], i["weight"], i["score"], i["deviation"])
               for i in doc["form"]["indicators"]]
        assert got == expected, f"indicators read: {got}"
    return check


def at(column: str, offset: int):
    """(form → cell) of the ``offset``-th indicator row in the column of key ``column``."""
    from openpyxl.utils import get_column_letter

    return lambda form: f"{get_column_letter(form.ind_cols[column])}{form.rows['first_indicator'] + offset}"


# 偏差原因 | 改进措施: one deduction explained in both columns, one (满意度) only by its 改进措施, leftovers
# (—, /, 无) in the full rows. 工程完工时间 scored 8 of 10: 三级 89.78 − 2 = 87.78, 总分 9.58 + 87.78 = 97.36.
DEV_LATE = "受汛期影响，主体工程停工20天。"
FIX_LATE = "下一步合理安排工期，汛前完成主体施工。"
FIX_SAT = "加强管网巡查和水源调度"
DEV_SPLIT_ROWS = std_with(**{
    "新建集中供水工程": dict(dev="—", fix="/"),
    "改造供水管网长度": dict(dev="无", fix="无"),
    "工程完工时间": dict(actual="次年1月15日完工", score=8, dev=DEV_LATE, fix=FIX_LATE),
    "受益群众满意度": dict(dev=None, fix=FIX_SAT),
})
DEV_SPLIT_EXPECTED = indicators_as_printed(DEV_SPLIT_ROWS, {
    "新建集中供水工程": "—", "改造供水管网长度": "无",
    "工程完工时间": "受汛期影响，主体工程停工20天；下一步合理安排工期，汛前完成主体施工。",
    "受益群众满意度": "加强管网巡查和水源调度",
})
DEV_SPLIT_INDICATORS = [(r[0], r[3], r[4]) for r in DEV_SPLIT_EXPECTED]

# 未完成原因 | 改进措施 with the deducted 满意度 row blank in both: deviation-missing at its 未完成原因 cell.
DEV_MISSING_ROWS = std_with(**{"受益群众满意度": dict(dev=None, fix=None), "受益人口": dict(dev="/", fix="—")})

# 原因分析 | 整改措施 under an 指标名称 header: both gaps at once.
DEV_ZHENGGAI_ROWS = std_with(**{"受益群众满意度": dict(dev="部分村组供水时段不稳定。", fix="加强管网巡查和水源调度。")})


def dev_merged_across() -> R.FormSheet:
    """偏差原因分析 | 改进措施, the 满意度 note typed once into the two cells merged (a common leftover)."""
    rows = std_with(**{"受益群众满意度": dict(dev=None)})
    form = standard_form(columns=split_deviation("偏差原因\n分析", "改进\n措施"), rows=rows, ncols=10)
    form.put(form.rows["first_indicator"] + 7, form.ind_cols["dev"], R.DEV_SAT, 1, 2, left=True)
    return form


# The 三级指标 column headed otherwise (指标名称, 具体指标, 绩效指标, 三级指标名称), or no 一级/二级 columns at all.
NO_LEVELS_COLUMNS = [("l3", "指标名称"), ("target", "年度指标值"), ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"),
                     ("dev", "偏差原因分析及改进措施")]
STD_AS_PRINTED = indicators_as_printed(std_rows(), {"受益群众满意度": R.DEV_SAT})


VARIANTS: list[Variant] = [
    # ---- item 1: titles and funds block titles
    Variant("title-2021-in-brackets", lambda: standard_form(title=("（2021年度）项目支出绩效自评表",)), year=2021),
    Variant("title-two-lines-one-cell", lambda: standard_form(title=("项目支出绩效自评表\n（2022年度）",))),
    Variant("block-yuan", lambda: standard_form(funds_label="项目资金\n（元）", fund_rows=YUAN_ROWS)),
    Variant("unit-line-above-yuan-colon-labels",
            lambda: standard_form(leading=("填报单位（盖章）：示例县水利局" + W * 8 + "金额单位：元",), funds_label="项目资金",
                                  fund_rows=YUAN_ROWS, identity_labels=("项目名称：", "主管部门：", "实施单位："))),
    Variant("block-zijinqingkuang", lambda: standard_form(funds_label="资金情况（万元）")),
    Variant("block-yusuanzhixingqingkuang", lambda: standard_form(funds_label="预算执行情况\n（万元）")),
    Variant("block-yusuanzhixingqingkuang-10fen", lambda: standard_form(funds_label="预算执行情况\n（10分）")),
    Variant("block-niandu-yusuanshu", lambda: standard_form(funds_label="年度预算数\n（万元）")),
    # ---- item 1: total row names
    Variant("total-with-colon", lambda: standard_form(fund_rows=relabel(std_fund_rows(), total="年度资金总额："))),
    Variant("total-caizheng-zijin", lambda: standard_form(fund_rows=relabel(std_fund_rows(), total="年度财政资金总额"))),
    Variant("total-zijinzonge-heji", lambda: standard_form(fund_rows=relabel(std_fund_rows(), total="资金总额合计"))),
    Variant("total-heji", lambda: standard_form(fund_rows=relabel(std_fund_rows(), total="合　计"))),
    Variant("total-fullwidth-space", lambda: standard_form(fund_rows=relabel(std_fund_rows(), total="年度资金总额" + W))),
    # ---- item 1: part rows
    Variant("parts-benian-caizheng", lambda: standard_form(fund_rows=relabel(std_fund_rows(), parts=("本年财政拨款",)))),
    Variant("parts-yiban-gonggong", lambda: standard_form(fund_rows=relabel(std_fund_rows(), parts=("其中：本年一般公共预算拨款",)))),
    Variant("parts-central-provincial-county", lambda: standard_form(fund_rows=LEVELS_ROWS)),
    Variant("parts-only-one", lambda: standard_form(fund_rows=ONE_PART_ROWS)),
    Variant("parts-other-sources-zongji-header-label", lambda: standard_form(fund_rows=OTHER_SOURCES_ROWS, funds_header_label="资金来源")),
    Variant("parts-dash", lambda: standard_form(fund_rows=dashed(std_fund_rows(), "—"))),
    Variant("parts-slash", lambda: standard_form(fund_rows=dashed(std_fund_rows(), "/"))),
    # ---- item 1: column names
    Variant("cols-nianchu-A-B", lambda: standard_form(fund_columns=["年初预算", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"])),
    Variant("cols-tiaozhenghou-fenzhiquanzhong-ziping", lambda: standard_form(fund_columns=["年初预算数", "调整后预算数", "全年执行数", "分值权重", "执行率", "自评得分"])),
    Variant("cols-tiaozheng-A-no-initial", lambda: standard_form(fund_columns=["调整预算数（A）", "执行数（B）", "权重", "预算执行率", "得分"], fund_rows=fund_rows_5(std_fund_rows()))),
    Variant("cols-yusuanshu-A", lambda: standard_form(fund_columns=["年初预算数", "预算数（A）", "执行数（B）", "分值", "执行率（B/A）", "得分"])),
    Variant("cols-20fen",
            lambda: standard_form(fund_columns=["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分（20分*执行率）"],
                                  fund_rows=std_fund_rows(weight=20, score=19.17), rows=ROWS_20, total=(100, 98.95)),
            indicators=EXPECTED_20, funds=dict(STD_FUNDS, weight=20.0, score=19.17), total_score=98.95,
            codes={"nonstandard-weights"}),
    Variant("cols-unlisted-renames", lambda: standard_form(fund_columns=["年初预算数", "本年度预算数", "全年预算执行数", "分值", "执行率", "得分"])),
    # ---- item 1: combinations
    Variant("combo-yuan-text-caizheng-yiban-tiaozheng",
            lambda: standard_form(title=("项目支出绩效自评表", "（2022年度）"), funds_label="项目资金（元）",
                                  fund_columns=["年初预算数", "调整预算数（A）", "执行数（B）", "分值", "执行率（B/A）", "自评得分"],
                                  fund_rows=ANHUI_ROWS)),
    Variant("combo-zijin-colon-levels-slash-spaced-labels",
            lambda: standard_form(title=("项目支出绩效自评表", "（2022年度）"),
                                  leading=("填报单位（盖章）：示例县水利局" + W * 6 + "填报日期：2023年3月10日",),
                                  identity_labels=("项 目 名 称", "主 管 部 门", "实 施 单 位"),
                                  funds_label="资 金 情 况\n（万元）",
                                  fund_columns=["预算数（A）", "执行数（B）", "权　重", "预算执行率", "得　分"],
                                  fund_rows=SICHUAN_ROWS, block_label="绩　效　指　标", total_label="合　计")),
    Variant("combo-formulas-without-cache", lambda: standard_form(fund_rows=FORMULA_ROWS, total=("=SUM(G12:G19)+G5", "=SUM(H12:H19)+I5"))),
    # ---- item 2: a blank or all-zero total row while the parts hold the figures
    Variant("zero-total-row", lambda: standard_form(fund_rows=ZERO_ROWS, total=(100, 89.78)),
            codes={"funds-sum-mismatch", "rate-mismatch?", "budget-score-mismatch", "total-mismatch"}, extra=check_zero_total),
    Variant("blank-total-row", lambda: standard_form(fund_rows=BLANK_TOTAL_ROWS),
            # the blank 执行率 and 得分 of that row are filled in by perfxl (derived-blank, info)
            codes={"funds-sum-mismatch|required-missing", "derived-blank"}, extra=check_blank_total),
    # ---- item 3: indicator columns in other orders and names
    Variant("xianjie-2022", build_xianjie, indicators=XJ_EXPECTED, total_score=99.08,
            project="示例县2022年衔接推进乡村振兴补助资金（产业发展）", department="示例县乡村振兴局"),
    Variant("ind-headers-A-B", lambda: standard_form(columns=columns_with(target="年度指标值（A）", actual="实际完成值（B）"))),
    Variant("ind-headers-nianchu-quanzhong-weiwancheng",
            lambda: standard_form(columns=columns_with(target="年初目标值（A）", actual="全年实际值（B）", weight="权重", score="指标得分", dev="未完成原因分析"))),
    Variant("ind-headers-zhibiaozhi-fenzhiquanzhong",
            lambda: standard_form(columns=columns_with(target="指标值", actual="指标实际完成值", weight="指标分值权重", dev="偏差大或目标未完成原因分析"))),
    Variant("ind-split-target-unlisted-deviation",
            lambda: standard_form(columns=SPLIT_COLUMNS, rows=split_rows(), sub_header=SPLIT_SUBS, ncols=11)),
    Variant("ind-wancheng-zhi-weiwancheng-gaijin",
            lambda: standard_form(columns=columns_with(target="年度指标值", actual="完成值", dev="未完成原因分析及改进措施"))),
    # ---- item 4: rows that are not indicators
    Variant("rows-template-leftovers",
            lambda: standard_form(rows=leftover_rows(), before_total=[("其他需要说明事项", "无")], total_last="优", notes=FOOTNOTES)),
    Variant("rows-subrows-and-stars", lambda: standard_form(rows=subrow_rows()), indicators=SUBROW_EXPECTED),
    # ---- item 5: values as typed
    Variant("values-yuan-text-operators",
            lambda: standard_form(funds_label="项目资金\n（元）", fund_rows=VALUE_FUNDS, rows=value_rows(), total=(100, 99.6)),
            indicators=VALUE_EXPECTED, funds=dict(budget=215.46, executed=206.84, rate=0.96, weight=10.0, score=9.6),
            total_score=99.6, codes={"full-but-incomplete"},
            cells=lambda form: [("full-but-incomplete", f"H{form.rows['first_indicator'] + 3}")],
            extra=check_value_rule_scores),
    # ---- item 7: the deviation split in two (偏差原因 | 改进措施 …): both halves read, one text at the first cell
    Variant("dev-split-yuanyin-gaijin",
            lambda: standard_form(columns=split_deviation(), rows=DEV_SPLIT_ROWS, total=(100, 97.36), ncols=10),
            indicators=DEV_SPLIT_INDICATORS, total_score=97.36, extra=check_indicators(DEV_SPLIT_EXPECTED)),
    Variant("dev-split-weiwancheng-gaijin-both-blank",
            lambda: standard_form(columns=split_deviation("未完成原因", "改进措施"), rows=DEV_MISSING_ROWS, ncols=10),
            codes={"deviation-missing"}, cells=lambda form: [("deviation-missing", at("dev", 7)(form))],
            extra=check_indicators(indicators_as_printed(DEV_MISSING_ROWS, {"受益人口": "/"}))),
    Variant("dev-split-under-one-header",
            lambda: standard_form(rows=DEV_SPLIT_ROWS, total=(100, 97.36), ncols=10,
                                  sub_header={"dev": [("dev", "偏差原因"), ("fix", "改进措施")]}),
            indicators=DEV_SPLIT_INDICATORS, total_score=97.36, extra=check_indicators(DEV_SPLIT_EXPECTED)),
    Variant("dev-split-merged-across-both", dev_merged_across, extra=check_indicators(STD_AS_PRINTED)),
    Variant("dev-split-yuanyinfenxi-zhenggai-zhibiaomingcheng",
            lambda: standard_form(columns=split_deviation("原因分析", "整改措施", l3="指标名称"), rows=DEV_ZHENGGAI_ROWS, ncols=10),
            extra=check_indicators(indicators_as_printed(DEV_ZHENGGAI_ROWS, {
                "受益群众满意度": "部分村组供水时段不稳定；加强管网巡查和水源调度。"}))),
    # ---- item 7: the 三级指标 column headed otherwise, recognised by the table's structure
    Variant("name-zhibiaomingcheng", lambda: standard_form(columns=columns_with(l3="指标名称")), extra=check_indicators(STD_AS_PRINTED)),
    Variant("name-juti-zhibiao-leftovers",
            lambda: standard_form(columns=columns_with(l3="具体指标", target="指标值", actual="完成值", weight="权重"),
                                  rows=leftover_rows(), notes=FOOTNOTES),
            extra=check_indicators(STD_AS_PRINTED)),
    Variant("name-jixiao-zhibiao-under-its-block-label",
            lambda: standard_form(columns=columns_with(l3="绩效指标"), block_label="绩效指标"), extra=check_indicators(STD_AS_PRINTED)),
    Variant("name-sanji-zhibiao-mingcheng", lambda: standard_form(columns=columns_with(l3="三级指标名称")),
            extra=check_indicators(STD_AS_PRINTED)),
    Variant("name-no-level-columns",
            lambda: standard_form(columns=NO_LEVELS_COLUMNS, rows=std_rows(), ncols=7, fund_columns=R.STD_FUND_COLUMNS[1:],
                                  fund_rows=fund_rows_5(std_fund_rows())),
            codes={"nonstandard-weights"}, extra=check_indicators(STD_AS_PRINTED)),
]

if __name__ == "__main__":  # pragma: no cover - a convenience for people, and tests/golden.py --inputs
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "real-forms")
    for variant in VARIANTS:
        print(variant.build().save(out / f"{variant.id}.xlsx"))
