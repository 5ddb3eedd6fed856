"""The findings catalogue: every code perfxl can report, with its severity and a one-line title.

Kept apart from :mod:`perfxl.checks.rules` so that listing it (``perfxl check --list-rules``) needs no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfxl.model import SEVERITY_ORDER, SEVERITY_ZH  # noqa: F401  (the catalogue's words for its severities)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str  # one line, Chinese


_RULES = [
    Rule("funds-sum-mismatch", "error", "年度资金总额不等于当年财政拨款、上年结转资金、其他资金之和"),
    Rule("breakdowns-disagree", "error", "部门整体支出表：按收入性质分与按支出性质分的合计不相等（两种分法都应等于年度资金总额）"),
    Rule("rate-mismatch", "error", "填写的执行率不等于全年执行数 ÷ 全年预算数"),
    Rule("budget-score-mismatch", "error", "预算执行率得分不等于 min(执行率, 1) × 分值"),
    Rule("budget-zero", "error", "全年预算数为 0，执行率无法计算"),
    Rule("executed-exceeds-budget", "warning", "全年执行数大于全年预算数"),
    Rule("subrow-scored", "warning", "“其中”等分项资金行填写了分值或得分（会重复计分）"),
    Rule("level1-weight-mismatch", "error", "一级指标下三级指标分值之和不等于其标注的分值（如“产出指标（50分）”）"),
    Rule("total-weight-not-100", "error", "预算执行率分值与全部三级指标分值之和不等于 100"),
    Rule("total-weight-mismatch", "error", "总分行填写的分值不等于各项分值之和"),
    Rule("nonstandard-weights", "info", "一级指标权重不是标准的 产出50/效益30/满意度10（另预算执行率10）"),
    Rule("score-exceeds-weight", "error", "得分大于分值，或为负数"),
    Rule("score-not-number", "error", "分值或得分无法识别为数字"),
    Rule("amount-not-number", "error", "预算数、执行数或执行率无法识别为数字"),
    Rule("deviation-missing", "error", "得分低于分值，但未填写偏差原因分析及改进措施"),
    Rule("deducted-but-complete", "warning", "实际完成值写明已完成，却被扣分"),
    Rule("full-but-incomplete", "warning", "实际完成值未达到指标值（或写明未完成），却得满分"),
    Rule("score-rule-mismatch", "warning", "得分与评分规则（定量按完成比例、定性按达成档次）计算的结果不一致"),
    Rule("percent-unclear", "warning", "指标值是百分数，实际完成值却写成不带“%”的小数（如 0.88），无法判断是 88% 还是 0.88%"),
    Rule("total-mismatch", "error", "总分行填写的得分不等于预算执行率得分与各三级指标得分之和"),
    Rule("grade-mismatch", "error", "填写的评价等级与总分对应的等级不一致"),
    Rule("required-missing", "error", "必填项为空（项目名称、主管部门、预算数、指标值、实际完成值、分值、得分等）"),
    Rule("template-text-left", "warning", "表中保留了模板的填写说明文字"),
    Rule("column-missing", "error", "规则需要的列或行在表中没有找到（如全年执行数列、得分列、年度资金总额行、总分行），说明找了什么"),
    Rule("derived-blank", "info", "执行率、预算执行率得分或总分未填写：perfxl 按规则算出并在自评结果中填入"),
    Rule("outline-sum-mismatch", "error", "大纲标题行（如“一、示范区建立”）的分值或得分不等于其下各项（1、2、3…）之和"),
    Rule("score-grouped", "info", "几个三级指标共用一个合并的分值或得分：按一组计分，只计一次"),
    Rule("cannot-verify", "warning", "重算所需的数值无法读取（空白或无法识别）：相关结果无法核对，perfxl 不按未知的数给出“应为”的值"),
    Rule("row-unread", "warning", "表中有一行内容没有被读取：既不是指标行，也不是已知的表头、说明、脚注或签署行"),
    Rule("cell-unread", "warning", "已读取的行中有单元格的内容没有被读取（不在任何已知的列中）"),
    Rule("roundtrip-loss", "warning", "输出工作簿无法保留输入中的部分内容（跨表下拉列表、图形、控件等）"),
    Rule("indicator-misfiled", "info", "指标归类可疑：时效指标没有时间表述，或成本指标没有金额/成本表述"),
    Rule("block-weight-mismatch", "error", "湖北 20/80：一级指标标注的分值之和不等于所在“年度绩效目标（N分）”块的分值"),
    Rule("level1-score-exceeds", "error", "湖北 20/80：一级指标（或指标块）下各项得分合计超过其标注的分值"),
    Rule("coefficient-score-mismatch", "error", "重庆部门整体：指标得分不等于 得分系数 × 指标权重"),
    Rule("no-score-to-check", "info", "不计分的《绩效目标自评表》：核对了资金，表中没有分值和得分可核对"),
    Rule("executed-exceeds-arrived", "warning", "全年执行数（支出）大于到位资金"),
    Rule("level2-weight-mismatch", "error", "全过程：二级指标下三级指标分值之和不等于其标注的分值（如“项目立项（5分）”）"),
    Rule("execution-indicator-mismatch", "error", "全过程：“预算执行率”指标的全年实际值不等于资金表的执行率，或其得分不等于 分值 × min(执行率, 1)"),
]
#: code → Rule, in the order they are documented.
CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def catalogue_text() -> str:
    """The catalogue as aligned lines: code, severity (Chinese), title; then, per scoring scheme, the
    codes checked on its forms."""
    from perfxl.read.schemes import BY_CODE, rules_by_scheme

    width = max(len(code) for code in CATALOGUE)
    lines = [f"{rule.code.ljust(width)}  {SEVERITY_ZH[rule.severity]}  {rule.title}" for rule in CATALOGUE.values()]
    lines.append("")
    lines.append("各评分方式适用的规则（perfxl check 的 JSON 中 form.scheme 写明一张表按哪种方式读取）：")
    for code, codes in rules_by_scheme(CATALOGUE).items():
        skipped = [c for c in CATALOGUE if c not in codes]
        lines.append(f"  {code}（{BY_CODE[code].name}）：{len(codes)} 条" + (f"，不适用：{'、'.join(skipped)}" if skipped else ""))
    return "\n".join(lines)


def catalogue_document() -> list[dict]:
    """The catalogue for ``perfxl check --list-rules --format json``: each rule with the schemes it applies to."""
    from perfxl.read.schemes import rules_by_scheme

    applies = rules_by_scheme(CATALOGUE)
    return [{"code": rule.code, "severity": rule.severity, "title": rule.title,
             "schemes": [scheme for scheme, codes in applies.items() if rule.code in codes]} for rule in CATALOGUE.values()]
