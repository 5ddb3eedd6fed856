"""The label vocabulary of the 自评表: every Chinese label perfxl looks for, as data.

Provinces rename columns (分值/权重, 实际完成值/完成值 …). Supporting a new variant is a change to
:data:`SYNONYMS` only. Labels are compared after :func:`normalize_label`: whitespace (incl. U+3000
and line breaks) removed, full-width folded to half-width, parenthesised parts such as ``（万元）``
or ``（B/A）`` dropped.
"""

from __future__ import annotations

import re
import unicodedata

#: field → accepted labels (already in normalised form). Order matters only for readability.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # identity block
    "project": ("项目名称",),
    "department": ("主管部门", "主管单位", "预算部门", "主管部门及代码"),
    "implementer": ("实施单位", "项目实施单位", "预算单位", "执行单位"),
    # funds block
    "funds_block": ("项目资金", "项目资金情况", "资金情况", "预算执行情况"),
    "initial_budget": ("年初预算数", "年初预算"),
    "budget": ("全年预算数", "调整后预算数", "全年预算", "调整预算数", "预算数"),
    "executed": ("全年执行数", "实际执行数", "执行数", "全年实际支出", "实际支出数"),
    "rate": ("执行率", "预算执行率"),
    "weight": ("分值", "权重", "分数", "标准分值"),
    "score": ("得分", "自评得分", "评分"),
    "funds_total": ("年度资金总额", "资金总额", "年度资金合计"),
    "funds_current": ("当年财政拨款", "本年财政拨款", "财政拨款", "其中:当年财政拨款", "其中:财政拨款"),
    "funds_carryover": ("上年结转资金", "上年结转", "结转资金"),
    "funds_other": ("其他资金", "其他来源资金"),
    # goal block
    "goal": ("年度总体目标", "总体目标", "年度目标"),
    "goal_expected": ("预期目标", "年度预期目标"),
    "goal_actual": ("实际完成情况", "目标实际完成情况", "实际完成"),
    # indicator table
    "indicators_block": ("绩效指标",),
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "level3": ("三级指标",),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值", "预期指标值"),
    "actual": ("实际完成值", "完成值", "实际值", "全年实际值"),
    "deviation": (
        "偏差原因分析及改进措施", "偏差原因分析及改进", "未完成原因分析", "偏差原因分析",
        "未完成原因和改进措施", "未完成原因分析及改进措施", "偏差原因", "备注",
    ),
    "nature": ("指标性质", "指标方向"),
    "measure_unit": ("度量单位", "计量单位", "单位"),
    "total": ("总分", "合计", "总计", "综合得分"),
    "grade": ("等级", "评价等级", "自评等级", "绩效等级", "评级"),
    # narrative rows some provinces add
    "conclusion": ("评价结论", "自评结论", "综合评价结论"),
    "problems": ("存在问题", "存在的问题", "主要问题"),
    "measures": ("改进措施", "改进意见", "整改措施"),
}

#: Standard 一级指标 names and the 二级 that belong to each (used when an 一级 cell is empty).
LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"
LEVEL1_COST = "成本指标"
LEVEL2_TO_LEVEL1: dict[str, str] = {
    "数量指标": LEVEL1_OUTPUT,
    "质量指标": LEVEL1_OUTPUT,
    "时效指标": LEVEL1_OUTPUT,
    "成本指标": LEVEL1_OUTPUT,
    "经济效益指标": LEVEL1_BENEFIT,
    "社会效益指标": LEVEL1_BENEFIT,
    "生态效益指标": LEVEL1_BENEFIT,
    "可持续影响指标": LEVEL1_BENEFIT,
    "服务对象满意度指标": LEVEL1_SATISFACTION,
    "满意度指标": LEVEL1_SATISFACTION,
}
#: Default weights of DESIGN.md: budget 10 + 产出 50 + 效益 30 + 满意度 10.
DEFAULT_BUDGET_WEIGHT = 10.0
DEFAULT_LEVEL1_WEIGHTS: dict[str, float] = {LEVEL1_OUTPUT: 50.0, LEVEL1_BENEFIT: 30.0, LEVEL1_SATISFACTION: 10.0}

#: The 报告信息 sheet (two columns 项目 / 内容) that feeds the Word report.
REPORT_INFO_SHEET = "报告信息"
#: Sheet perfxl adds to its own output; ignored when reading.
FINDINGS_SHEET = "校验结果"
#: perfxl's very hidden sheet: the fill each highlighted cell had before (see writer._record_original_fills).
ORIGINAL_FILLS_SHEET = "perfxl原底色"

_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_WEIGHT_IN_LABEL = re.compile(r"(\d+(?:\.\d+)?)\s*分")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")

_LOOKUP: dict[str, str] = {}
for _field, _labels in SYNONYMS.items():
    for _label in _labels:
        _LOOKUP.setdefault(_label, _field)


def normalize_label(raw: object) -> str:
    """Fold a label to its comparable form: NFKC, no whitespace, no parenthesised parts."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(text.split())
    previous = None
    while previous != text:  # nested brackets
        previous, text = text, _PARENS.sub("", text)
    return text.rstrip(":：")


def field_of(raw: object) -> str | None:
    """Which field a label names, or None. ``其中：`` prefixes are tolerated."""
    label = normalize_label(raw)
    if not label:
        return None
    found = _LOOKUP.get(label)
    if found is None and label.startswith("其中:"):
        found = _LOOKUP.get(label[3:])
    return found


def matches(raw: object, field: str) -> bool:
    return field_of(raw) == field


def stated_weight(raw: object) -> float | None:
    """The ``（50分）`` stated inside an 一级指标 label, or None."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw))
    found = _WEIGHT_IN_LABEL.search(text)
    return float(found.group(1)) if found else None


def unit_in_label(raw: object) -> str | None:
    """The money unit a label declares: ``项目资金（万元）`` → 万元, ``（元）`` → 元."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(text.split())
    if "(万元)" in text or "单位:万元" in text:
        return "万元"
    if "(元)" in text or "单位:元" in text:
        return "元"
    return None


def year_in(raw: object) -> int | None:
    if raw is None:
        return None
    found = _YEAR.search(unicodedata.normalize("NFKC", str(raw)))
    return int(found.group(1)) if found else None


def indicator_name(raw: object) -> str:
    """An 一级/二级 name without its stated weight or line breaks: ``产出指标\\n(50分)`` → 产出指标."""
    return normalize_label(raw)
