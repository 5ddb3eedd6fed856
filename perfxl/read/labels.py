"""The label vocabulary of the 自评表: every Chinese label perfxl looks for, as data.

Provinces rename columns (分值/权重, 实际完成值/完成值 …). Supporting a new variant is a change to
:data:`SYNONYMS` only. Labels are compared after :func:`normalize_label`: whitespace (incl. U+3000
and line breaks) removed, full-width folded to half-width, parenthesised parts such as ``（万元）``
or ``（B/A）`` dropped.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from perfxl.numbers import clean_text

#: field → accepted labels (already in normalised form). Order matters only for readability.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # identity block
    "project": ("项目名称", "转移支付名称"),
    "department": ("主管部门", "主管单位", "预算部门", "主管部门及代码", "地方主管部门"),
    "implementer": ("实施单位", "项目实施单位", "预算单位", "执行单位", "资金使用单位"),
    "unit": ("部门名称", "单位名称", "部门单位名称", "预算单位名称", "部门及代码", "单位名称及代码", "预算部门、单位名称", "预算部门单位名称",
             "部门、单位名称"),
    "superior": ("一级预算单位名称", "一级预算单位", "一级预算单位名称及代码", "中央主管部门"),
    "contact": ("项目负责人及电话", "项目负责人", "联系人", "联系电话", "联系人及电话"),
    # funds block (its columns are found by FUND_COLUMN_WORDS; these exact labels are kept for other lookups)
    "funds_block": ("项目资金", "项目资金情况", "资金情况", "预算执行情况", "年度预算数", "年度预算申请", "预算资金情况"),
    "initial_budget": ("年初预算数", "年初预算"),
    "budget": ("全年预算数", "调整后预算数", "全年预算", "调整预算数", "预算数"),
    "executed": ("全年执行数", "实际执行数", "执行数", "全年实际支出", "实际支出数"),
    "rate": ("执行率", "预算执行率"),
    "weight": ("分值", "权重", "分数", "标准分值"),
    "score": ("得分", "自评得分", "评分"),
    "funds_total": ("年度资金总额", "资金总额", "年度资金合计", "年度财政资金总额", "年度总金额"),
    "funds_current": ("当年财政拨款", "本年财政拨款", "财政拨款", "其中:当年财政拨款", "其中:财政拨款", "本年一般公共预算拨款", "其中财政拨款"),
    "funds_carryover": ("上年结转资金", "上年结转", "结转资金"),
    "funds_other": ("其他资金", "其他来源资金"),
    # goal block
    "goal": ("年度总体目标", "总体目标", "年度目标", "当年绩效目标", "年初绩效目标"),
    "goal_expected": ("预期目标", "年度预期目标", "年初设定目标", "年初目标"),
    "goal_actual": ("实际完成情况", "目标实际完成情况", "实际完成", "年度总体目标完成情况综述", "总体目标完成情况", "年度总体目标完成情况",
                    "全年实际完成情况"),
    # indicator table (its columns are found by INDICATOR_COLUMN_WORDS)
    "indicators_block": ("绩效指标",),
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "level3": ("三级指标",),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值", "预期指标值", "年初目标值"),
    "actual": ("实际完成值", "完成值", "实际值", "全年实际值", "指标实际完成值"),
    "deviation": (
        "偏差原因分析及改进措施", "偏差原因分析及改进", "未完成原因分析", "偏差原因分析",
        "未完成原因和改进措施", "未完成原因分析及改进措施", "偏差原因", "备注",
    ),
    "nature": ("指标性质", "指标方向"),
    "measure_unit": ("度量单位", "计量单位", "单位"),
    "total": ("总分", "合计", "总计", "综合得分", "自评总分"),
    "grade": ("等级", "评价等级", "自评等级", "绩效等级", "评级"),
    # narrative rows some provinces add
    "conclusion": ("评价结论", "自评结论", "综合评价结论"),
    "problems": ("存在问题", "存在的问题", "主要问题", "偏差大或目标未完成原因分析"),
    "measures": ("改进措施", "改进意见", "整改措施", "改进措施及结果应用方案"),
    "other_notes": ("其他需要说明事项", "其他需要说明的事项", "其他需说明事项", "需要说明的其他事项", "其他说明事项"),
}

# Headers vary endlessly ("全年预算数（A）", "调整预算数", "本年度预算数", "得分（20分*执行率）"), so inside
# the funds block and the indicator table a header is recognised by the words it contains. Each table
# is tried in order, the first field whose word the (normalised) header contains wins: "全年预算执行数"
# is the executed column because 执行数 is tried before 预算, "得分（20分*执行率）" the score because
# 得分 is tried before 执行率.
FUND_COLUMN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("score", ("得分", "评分")),
    ("rate", ("执行率", "完成率")),
    ("weight", ("分值", "权重", "分数")),
    ("executed", ("执行数", "支出数", "实际支出", "执行金额", "实际执行", "决算数")),
    ("initial_budget", ("年初",)),
    ("budget", ("预算", "批复数")),
)
INDICATOR_COLUMN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("level1", ("一级指标",)),
    ("level2", ("二级指标",)),
    ("level3", ("三级指标",)),
    ("score", ("得分", "评分")),
    ("weight", ("分值", "权重", "分数")),
    ("deviation", ("原因", "偏差", "改进", "措施", "备注")),
    ("nature", ("性质", "指标方向")),
    ("measure_unit", ("度量单位", "计量单位", "单位")),
    ("actual", ("实际", "完成值", "完成情况", "完成数")),
    ("target", ("指标值", "目标值", "目标")),
)
#: A deviation column split in two (偏差原因 | 改进措施, 未完成原因 | 改进措施, 原因分析 | 整改措施): the second
#: names the measures. A column whose header has one of these words is the measures half, unless the first
#: deviation column has them too (偏差原因分析及改进措施 | 备注 is one column and a remark).
MEASURES_COLUMN_WORDS = ("措施", "整改")
#: Between the two halves of a split deviation, joined into the one text a single 偏差原因分析及改进措施 column
#: holds (受汛期影响停工20天；下一步合理安排工期): the report, its 附件 and the JSON show it under that label.
DEVIATION_JOIN = "；"
#: The 三级指标 column of forms that call it otherwise (指标名称, 具体指标, 绩效指标): recognised by these words
#: left of the value columns, or as whatever stands right of 二级指标 (see reader._name_column).
INDICATOR_NAME_WORDS = ("指标名称", "具体指标", "绩效指标", "指标内容", "指标明细", "考核指标", "考核内容")
#: Headings of a department form's two breakdowns of its money (each sums to the total on its own).
GROUP_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("income", ("按收入性质分", "收入性质", "按资金来源分")),
    ("expenditure", ("按支出性质分", "支出性质", "按支出用途分")),
)
#: Title words of the 部门整体支出绩效自评表, and of forms perfxl does not read (named in the refusal).
DEPARTMENT_TITLE_WORDS = ("部门整体支出", "部门整体绩效", "整体支出绩效")
OTHER_FORMS: tuple[tuple[str, str], ...] = (
    ("绩效目标申报表", "《绩效目标申报表》（年初申报的绩效目标，还没有实际完成值和得分）"),
    ("绩效目标表", "《绩效目标表》（年初申报的绩效目标，还没有实际完成值和得分）"),
    ("基础数据表", "部门整体支出的《基础数据表》（人员编制、三公经费等基础数据）"),
    ("绩效监控", "《绩效运行监控表》（年中的执行监控，不是年度自评）"),
)
#: A row label of the funds block that names the total (年度资金总额：, 资金总额合计, 合计 …).
FUNDS_TOTAL_WORDS = ("总额", "合计", "总计", "小计", "总数")
#: Words of a funds block title that spans its rows (项目资金（万元）, 预算执行情况（10分）…), not a column.
FUNDS_TITLE_WORDS = ("资金", "情况", "申请")
#: Placeholders left from the template in place of an indicator name: 指标1, 指标2, ……, 略.
PLACEHOLDER = re.compile(r"^(?:(?:三级)?指标[0-9一二三四五六七八九十]*|[.…。、·]+|略|等|示例|例)[:：/／、—\-]*$")
#: Notes under (or inside) the table: 注：1.一级指标分值统一设置为…, 说明：…, 填表说明.
FOOTNOTE = re.compile(r"^(?:注|说明|备注|填表说明|填报说明)\s*[0-9一二三四五六七八九十]*\s*(?:[:：.、]|$)")
#: The numbered lines that continue a 注 under the table (2.三级指标得分低于分值的…).
FOOTNOTE_CONTINUED = re.compile(r"^[0-9]{1,2}[.、．](?![0-9])")
#: Lines above the form (填报单位（盖章）：…, 金额单位：万元, （2022年度）) and sign-off lines under it
#: (填表人：…, 单位负责人：…, 联系电话：…, 填报日期：…): read as such, never as part of a table.
PREAMBLE_WORDS = ("填报单位", "填表单位", "编制单位", "单位", "年度", "日期", "盖章", "公章", "金额", "附件", "附表", "编号")
SIGNOFF_WORDS = ("填表人", "填报人", "审核人", "复核人", "负责人", "联系人", "联系电话", "电话", "日期", "盖章", "公章", "签字", "签章", "经办人")
#: An outline heading among the 三级指标 (一、示范区建立 / （一）…) and its numbered children (1、… / （1）…).
OUTLINE_PARENT = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[)）])")
OUTLINE_CHILD = re.compile(r"^(?:[0-9]{1,2}[、．](?![0-9])|[0-9]{1,2}\.(?![0-9])|[（(][0-9]{1,2}[)）])")
#: Marks of core indicators written before or after a name (★群众满意度).
CORE_MARKS = "★☆※*＊●◆"
#: The grade while the weights do not total 100 or scores are missing (DESIGN: no grade from such a sum).
GRADE_PENDING = "待定"
#: Grade words as a form writes them (优秀, 良好 …) → the grade.
GRADE_WORDS = {"优": "优", "优秀": "优", "良": "良", "良好": "良", "中": "中", "中等": "中", "合格": "中", "及格": "中", "差": "差", "较差": "差", "不合格": "差", "待定": GRADE_PENDING}


#: Phrases of an 实际完成值 that say the target was not (fully) met. Whole phrases, not single
#: characters: "不断完善", "暂无投诉", "不影响使用", "无差评", "基本公共服务" say nothing of the kind.
FALLS_SHORT_PHRASES: tuple[str, ...] = (
    "未完成", "没有完成", "未能完成", "未全部完成", "未完全", "未达到", "没有达到", "未能达到", "未达标", "不达标",
    "未实现", "未能实现", "未达成", "未落实", "未到位", "不到位", "未按期", "未按时", "未如期", "未验收", "未完工",
    "部分完成", "部分实现", "部分达到", "部分落实", "大部分完成", "基本完成", "基本达到", "基本实现", "基本达成",
    "有待", "待完善", "待完成", "待验收", "待提高", "待加强",
    "正在推进", "正在建设", "正在实施", "正在进行", "正在开展", "正在办理", "正在完善",
    "进行中", "推进中", "建设中", "实施中", "施工中", "办理中",
    "滞后", "延期", "延迟", "推迟", "逾期", "进度缓慢", "进展缓慢",
    "存在差距", "差距较大", "不足", "欠缺", "不满足", "不符合", "较差",
    "未开工", "尚未开工", "未启动", "尚未启动", "未投入使用", "未投用",
    "尚未", "尚在", "仍在", "未能", "仅完成", "结转下年", "结转至下年",
)
#: What may follow a phrase above and turn it into good news: 尚未发生安全事故, 尚未发现问题.
NEGATING_SUFFIXES: tuple[str, ...] = ("发生", "出现", "发现", "收到")
#: What turns a phrase above into a statement that all is well: 无未完成事项, 没有未达标的.
NEGATING_PREFIXES: tuple[str, ...] = ("无", "没有", "不存在", "杜绝", "零", "未发现", "未出现", "未", "不")
#: "完成80%", "完成率为85%", "完成年度计划的85%": a share below 100 % written as words and a number.
SHARE_DONE = re.compile(r"完成[^,，;；。]{0,8}?(\d+(?:\.\d+)?)%")


def falls_short(text: str) -> bool:
    """Whether an 实际完成值 says the target was not (fully) met, judged on phrases, not characters."""
    text = clean_text(text)
    for phrase in FALLS_SHORT_PHRASES:
        start = text.find(phrase)
        while start >= 0:
            after = text[start + len(phrase):]
            if not any(text[:start].endswith(prefix) for prefix in NEGATING_PREFIXES) and not after.startswith(NEGATING_SUFFIXES):
                return True
            start = text.find(phrase, start + 1)
    return any(float(found.group(1)) < 100 for found in SHARE_DONE.finditer(text))


def classify(raw: object, words: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The field a table header names by the words it contains (see FUND_COLUMN_WORDS), or None."""
    label = normalize_label(raw)
    if not label:
        return None
    for name, keys in words:
        if any(key in label for key in keys):
            return name
    return None


def grade_word(raw: object) -> str | None:
    """优/良/中/差 for a grade as written (优秀, 良好, “等级：优”), None when the text is not one."""
    text = normalize_label(raw)
    for prefix in ("等级", "评价等级", "自评等级"):
        text = text.removeprefix(prefix).lstrip(":")
    text = text.removesuffix("等") if len(text) > 1 else text
    return GRADE_WORDS.get(text)


def strip_core_mark(text: str) -> str:
    """``★群众满意度`` → ``群众满意度``."""
    return text.strip(CORE_MARKS + " \u3000")


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
    return _normalized(raw if isinstance(raw, str) else str(raw))


@functools.lru_cache(maxsize=8192)
def _normalized(raw: str) -> str:  # a form asks for the same few hundred labels again and again
    text = unicodedata.normalize("NFKC", raw)
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


#: The rows of the 报告信息 sheet that ``perfxl template`` writes: every part the report can take from
#: it, by the label its 【待补充：…】 placeholder names, with a one-line hint (column C 填写说明; perfxl
#: reads columns A and B only). tests/test_report.py checks that each report field has its row.
REPORT_INFO_ROWS: dict[str, str] = {
    "项目概况": "项目背景、立项依据、主要建设内容和资金来源（报告“一、项目概况”）。",
    "评价目的": "可不填：不填时报告使用标准表述。",
    "评价过程": "成立评价工作小组、收集核查资料、现场查看、形成自评结论等（报告“二、（二）”）。",
    "评价结论": "对项目的总体评价，写在报告自动生成的得分和等级之前；可不填。",
    "资金管理": "资金拨付程序、专款专用、财务制度执行、会计核算等（报告“四、（一）”）。",
    "总体目标完成情况": "对总体目标完成情况的补充说明，写在自评表“实际完成情况”之后；可不填。",
    "绩效指标完成情况分析": "对各项指标完成情况的补充分析，写在自动生成的指标分析之后；可不填。",
    "存在的问题": "项目实施中存在的问题；不填时 perfxl 根据扣分、未支出资金和校验结果起草，须核实。",
    "改进措施": "针对上述问题的改进措施；不填时 perfxl 根据偏差原因分析起草，须核实。",
    "结果应用": "自评结果拟应用和公开情况；不填时报告使用标准表述。",
}
DEPARTMENT_REPORT_INFO_ROWS: dict[str, str] = {
    "部门基本情况": "部门概况，写在“一、部门基本情况”之下、（一）之前；可不填。",
    "部门职能": "部门主要职能职责（报告“一、（一）”）。",
    "机构设置及人员情况": "内设机构、下属单位、人员编制和实有人数（报告“一、（二）”）。",
    "资金管理": "预算管理、财务制度执行、政府采购、资产管理等（报告“二、（二）”）。",
    "总体目标完成情况": "对总体目标完成情况的补充说明；可不填。",
    "绩效指标完成情况分析": "对各项指标完成情况的补充分析；可不填。",
    "评价结论": "对部门整体支出的总体评价，写在自动生成的得分和等级之前；可不填。",
    "存在的问题": "部门整体支出管理中存在的问题及原因；不填时 perfxl 根据数据起草，须核实。",
    "改进措施": "针对上述问题的改进措施及建议；不填时 perfxl 根据偏差原因分析起草，须核实。",
}
