"""A checked form → the report's context: the plain values and paragraphs the template's tags take.

:func:`build_context` turns a :class:`~perfxl.checks.rules.CheckResult` into strings and runs
(highlighted 【待补充】 where the user must write, 【请核实】 where perfxl drafted), from the
report's :class:`~perfxl.report.facts.Facts`. It knows the model only; it never touches a file.
"""

from __future__ import annotations

import re

from perfxl.model import GROUP_ZH
from perfxl.numbers import format_number
from perfxl.read.labels import GRADE_PENDING
from perfxl.report.annex import print_width
from perfxl.report.engine import ANNEX_TOKEN, FONT_SLOTS, HIGHLIGHT, run_xml
from perfxl.report.facts import Facts, FundFacts, clean, collect_facts

#: 报告信息 labels (normalised, as the reader stores them) → the report field they feed. The
#: form's own narrative rows arrive as ``conclusion``/``problems``/``measures``; the 报告信息 sheet
#: wins over them because it was written for the report. First match in each tuple wins.
NARRATIVE_KEYS: dict[str, tuple[str, ...]] = {
    "overview": ("项目概况", "项目背景", "项目基本情况", "项目简介", "基本情况", "项目情况", "背景", "概况", "项目概述",
                 "部门基本情况", "部门概况", "单位基本情况", "部门（单位）基本情况", "单位概况"),
    # department reports (一、部门基本情况)
    "duties": ("部门职能", "主要职能", "部门主要职能", "职能职责", "部门职责", "主要职责", "职责", "单位职能", "部门（单位）职能"),
    "organisation": ("机构设置及人员情况", "机构设置和人员情况", "机构设置及人员编制情况", "机构和人员情况", "机构设置",
                     "人员情况", "人员编制情况", "人员编制"),
    "purpose": ("评价目的", "绩效评价目的", "自评目的", "绩效自评目的", "目的"),
    "process": ("评价过程", "绩效评价过程", "自评过程", "绩效自评过程", "工作过程", "工作开展情况", "自评工作开展情况",
                "绩效自评工作开展情况", "过程", "组织实施", "评价工作过程"),
    "conclusion": ("评价结论", "综合评价结论", "自评结论", "结论", "conclusion"),
    "funds": ("资金管理", "资金管理情况", "资金使用及管理情况", "项目资金使用及管理情况", "资金使用情况", "资金使用管理",
              "部门整体支出管理及使用情况", "资金管理及使用情况", "支出管理情况"),
    "goal": ("总体目标完成情况", "总体绩效目标完成情况", "总体绩效目标完成情况分析", "目标完成情况"),
    "indicators": ("绩效指标完成情况分析", "绩效指标完成情况", "指标完成情况分析", "指标分析", "绩效指标分析"),
    "problems": ("存在的问题", "存在问题", "问题", "主要问题", "存在的问题及原因", "存在问题及原因", "problems"),
    "measures": ("改进措施", "整改措施", "改进意见", "下一步工作", "下一步改进措施", "改进措施及建议", "改进建议",
                 "措施及建议", "measures"),
    "application": ("结果应用", "公开情况", "结果应用和公开情况", "结果应用及公开情况", "自评结果拟应用和公开情况",
                    "绩效自评结果拟应用和公开情况", "结果拟应用和公开情况", "应用和公开情况"),
}

#: Standard wording where the text does not depend on the project.
STANDARD_TEXT = {
    "purpose": "通过开展绩效自评，全面了解项目资金使用和管理情况，分析项目绩效目标的实现程度，总结经验、查找问题，"
    "进一步规范资金管理、加强项目管理，提高财政资金使用效益，为以后年度预算安排和项目管理提供参考。",
    "application": "我单位将根据本次绩效自评结果，认真分析存在的问题并及时整改，进一步加强项目管理和资金管理，"
    "将自评结果作为以后年度预算编制和项目安排的重要参考依据；按照财政部门的要求，绩效自评结果将随部门决算一并公开。",
}

#: What the user must write where the workbook does not say (shown highlighted as 【待补充：…】).
TODO_TEXT = {
    "overview": "项目背景、立项依据、主要建设内容和资金来源（可在自评表的“报告信息”工作表中填写“项目概况”）",
    "process": "绩效自评工作过程，如成立评价工作小组、收集核查资料、现场查看、形成自评结论等（可在“报告信息”工作表中填写“评价过程”）",
    "funds": "资金管理情况，如资金拨付程序、专款专用、财务制度执行、会计核算等（可在“报告信息”工作表中填写“资金管理”）",
    "goal_actual": "年度总体目标的实际完成情况（自评表“实际完成情况”未填写）",
    "problems": "项目实施中存在的问题（可在“报告信息”工作表中填写“存在的问题”）",
    "measures": "针对上述问题的改进措施（可在“报告信息”工作表中填写“改进措施”）",
    "deviation": "偏差原因分析及改进措施（自评表未填写）",
    # department reports
    "duties": "部门主要职能职责（可在自评表的“报告信息”工作表中填写“部门职能”）",
    "organisation": "内设机构、下属单位、人员编制和实有人数（可在“报告信息”工作表中填写“机构设置及人员情况”）",
    "department_funds": "部门资金管理情况，如预算管理、财务制度执行、政府采购、资产管理等（可在“报告信息”工作表中填写“资金管理”）",
    "department_problems": "部门整体支出管理中存在的问题及原因（可在“报告信息”工作表中填写“存在的问题”）",
    "department_measures": "针对上述问题的改进措施及建议（可在“报告信息”工作表中填写“改进措施”）",
}

_NUMERALS = "一二三四五六七八九十"
_LEADING_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[）)])")




class Todo(str):
    """A span the user must write or check: rendered highlighted."""


def _paragraph(*parts: str):
    """One report paragraph as docxtpl RichText; :class:`Todo` parts are highlighted; newlines → line breaks."""
    from docxtpl import RichText

    runs = [run_xml(part, FONT_SLOTS + (HIGHLIGHT if isinstance(part, Todo) else "")) for part in parts if part]
    rich = RichText()
    rich.xml = "".join(runs)
    return rich


def _todo(what: str) -> Todo:
    return Todo(f"【待补充：{what}】")


def _check(what: str) -> Todo:
    return Todo(f"【请核实：{what}】")


def _sentence(text: str) -> str:
    """End a sentence with a full stop unless it already has closing punctuation."""
    text = text.rstrip("，,、；; ")
    return text if not text or text[-1] in "。！？!?）)”" else text + "。"


def _split(text: str) -> list[str]:
    return [line.strip(" \t\u3000") for line in text.split("\n") if line.strip(" \t\u3000")]


def narrative(form) -> dict[str, str]:
    """The report fields the workbook provides (报告信息 sheet first, then the form's own rows)."""
    available = {}
    for key, value in form.narrative.items():
        label = _LEADING_NUMBER.sub("", key).strip()
        if value and value.strip():
            available.setdefault(label, value)
            available.setdefault(key, value)
    found = {}
    for name, synonyms in NARRATIVE_KEYS.items():
        for synonym in synonyms:
            if synonym in available:
                found[name] = clean(available[synonym])
                break
    return found


def _from_info(info: dict[str, str], key: str, fallback) -> list:
    """Paragraphs of a 报告信息 field, or the fallback paragraph."""
    if info.get(key):
        return [_paragraph(line) for line in _split(info[key])]
    return [fallback]


def build_context(result) -> dict:
    """Everything the template can use; docs/report.md lists the names."""
    facts = collect_facts(result)
    if facts.is_department:
        return _department_context(result, facts)
    form, computed = result.form, result.computed
    info = narrative(form)
    year = facts.year or _todo("年度")
    project = facts.project or _todo("项目名称")

    overview = _from_info(info, "overview", _paragraph(_todo(TODO_TEXT["overview"])))
    known = []
    if facts.department:
        known.append(f"本项目主管部门为{facts.department}")
    if facts.implementer:
        known.append(f"实施单位为{facts.implementer}")
    if facts.budget:
        known.append(f"{facts.year}年度全年预算数{facts.budget}万元" if facts.year else f"全年预算数{facts.budget}万元")
    if known:
        overview.append(_paragraph(_sentence("，".join(known))))

    purpose = _from_info(info, "purpose", _paragraph(STANDARD_TEXT["purpose"]))
    process = _from_info(info, "process", _paragraph(_todo(TODO_TEXT["process"])))
    conclusion = [_paragraph(line) for line in _split(info.get("conclusion", ""))]
    conclusion.append(_conclusion_paragraph(facts, computed))
    funds = [_funds_paragraph(facts, result)]
    funds += _from_info(info, "funds", _paragraph(_todo(TODO_TEXT["funds"])))
    goal = _goal_paragraphs(facts)
    goal += [_paragraph(line) for line in _split(info.get("goal", ""))]
    indicators = _indicator_paragraphs(facts)
    indicators += [_paragraph(line) for line in _split(info.get("indicators", ""))]
    problems = _problem_paragraphs(facts, result, info)
    application = _from_info(info, "application", _paragraph(STANDARD_TEXT["application"]))

    return {
        **_common_context(result, facts, info),
        "project": project,
        "title": f"{year}年度{project}绩效自评报告",
        "title_break": "\n" if print_width(f"{year}年度{project}绩效自评报告") > _TITLE_CHARS else "",
        "overview": overview, "purpose": purpose, "process": process, "conclusion": conclusion,
        "funds": funds, "goal": goal, "indicators": indicators, "problems": problems, "application": application,
    }


def _common_context(result, facts: Facts, info: dict[str, str]) -> dict:
    """The names both reports share: the numbers, the groups, the error note, the 落款."""
    form = result.form
    errors = [f for f in result.findings if f.severity == "error"]
    error_paragraphs = []
    if errors:
        error_paragraphs.append(_paragraph(Todo(
            f"perfxl 校验自评表（{form.path.name}，工作表“{form.sheet}”）时发现以下 {len(errors)} 项错误。"
            "请在自评表中修正后重新生成报告；本说明不属于报告正文，提交前请删除。")))
        for number, finding in enumerate(errors, 1):
            where = f"单元格 {finding.cell}：" if finding.cell else ""
            error_paragraphs.append(_paragraph(f"{number}. {where}{finding.message}"))
    return {
        "kind": facts.kind,
        "year": facts.year or _todo("年度"), "project": facts.project,
        "department": facts.department, "implementer": facts.implementer,
        "initial": facts.initial, "budget": facts.budget, "executed": facts.executed, "rate": facts.rate,
        "budget_weight": facts.budget_weight, "budget_score": facts.budget_score,
        "total_weight": facts.total_weight, "total_score": facts.total_score, "total_stated": facts.total_stated,
        "grade": facts.grade, "goal_expected": facts.goal_expected, "goal_actual": facts.goal_actual,
        "level1": facts.level1,
        "deducted": [vars(ind) for ind in facts.indicators if ind.deducted],
        "info": info,
        "errors": error_paragraphs, "error_count": len(errors),
        # 落款: the unit that reports (实施单位 or 部门（单位）, else 主管部门) and the date the report was drafted.
        "unit": facts.implementer or facts.department or _todo("单位名称"),
        "date": _date_line(),
        "annex_table": ANNEX_TOKEN,
        "_facts": facts,
    }


def _department_context(result, facts: Facts) -> dict:
    """The 部门整体支出绩效自评报告: 一、部门基本情况 … 五、改进措施及建议, from the same facts and builders."""
    info = narrative(result.form)
    year = facts.year or _todo("年度")
    name = facts.unit or _todo("部门名称")
    title = f"{year}年度{name}部门整体支出绩效自评报告"

    overview = [_paragraph(line) for line in _split(info.get("overview", ""))]
    duties = _from_info(info, "duties", _paragraph(_todo(TODO_TEXT["duties"])))
    organisation = _from_info(info, "organisation", _paragraph(_todo(TODO_TEXT["organisation"])))
    if facts.unit and facts.department and facts.department != facts.unit:
        organisation.append(_paragraph(f"{facts.unit}的一级预算单位为{facts.department}。"))
    funds = _department_funds_paragraphs(facts, result)
    management = _from_info(info, "funds", _paragraph(_todo(TODO_TEXT["department_funds"])))
    goal = _goal_paragraphs(facts)
    goal += [_paragraph(line) for line in _split(info.get("goal", ""))]
    indicators = _indicator_paragraphs(facts)
    indicators += [_paragraph(line) for line in _split(info.get("indicators", ""))]
    conclusion = [_paragraph(line) for line in _split(info.get("conclusion", ""))]
    conclusion.append(_conclusion_paragraph(facts, result.computed))
    return {
        **_common_context(result, facts, info),
        "unit_name": name,
        "title": title,
        "title_break": "\n" if print_width(title) > _TITLE_CHARS else "",
        "breakdowns": [
            {"name": GROUP_ZH.get(group, group),
             "parts": [{"label": _part_name(f.label), "initial": f.initial, "budget": f.budget, "executed": f.executed,
                        "rate": f.rate, "inline": f.inline} for f in rows]}
            for group, rows in facts.breakdowns()
        ],
        "overview": overview, "duties": duties, "organisation": organisation,
        "funds": funds, "management": management, "goal": goal, "indicators": indicators, "conclusion": conclusion,
        "problems": _problems(facts, result, info, TODO_TEXT["department_problems"]),
        "measures": _measures(facts, info, TODO_TEXT["department_measures"]),
        "application": _from_info(info, "application", _paragraph(STANDARD_TEXT["application"])),
    }


def _date_line(today=None) -> str:
    """成文日期 as GB/T 9704 writes it: Arabic numerals, year, month and day in full (2021年3月5日)."""
    import datetime as dt

    today = today or dt.date.today()
    return f"{today.year}年{today.month}月{today.day}日"


_TITLE_CHARS = 20  # 二号 characters on one line of the 156 mm type area


def _quoted(text: str) -> str:
    """Form text inside “…”, without the punctuation its author left at the end (no “…水平，”，)."""
    return f"“{_tidy(text).rstrip(_TRAILING)}”"


_TRAILING = "，,、；;：:。.！!？? \u3000"
_JOINS = re.compile(r"[，,、；;：:]+(?=[。，；！？])|(?<=[。；！？])[，,、；;。]+|(?<=[“‘（(])[，,、；;。]+")


def _tidy(text: str) -> str:
    """Stray punctuation at the joins of generated sentences and form text removed (“，。” → “。”)."""
    return _JOINS.sub("", text)


def _scored(facts: Facts) -> bool:
    """Whether anything on the form carries a score (else there is no sum to report)."""
    return bool(facts.budget_score) or any(ind.score for ind in facts.indicators)


def _conclusion_paragraph(facts: Facts, computed):
    if facts.is_department:
        lead = f"经自评，{facts.unit}部门整体支出" if facts.unit else "经自评，本部门整体支出"
    else:
        lead = f"经自评，{facts.project}" if facts.project else "经自评，本项目"
    parts = []
    if facts.rate:
        parts.append(f"{facts.year + '年度' if facts.year else ''}预算执行率为{facts.rate}")
    scored_groups = [g for g in facts.level1 if g["score"] not in ("", "—")]
    if scored_groups:
        parts.append("、".join(f"{g['name']}得{g['score']}分（分值{g['weight']}分）" for g in scored_groups))
    extra = []
    if computed.grade == GRADE_PENDING:
        # A sum over weights that do not total 100 (or with scores missing) is no score out of 100: no grade.
        if not parts and not _scored(facts):
            text = f"{lead}的自评表尚未填写预算执行情况和绩效指标得分，绩效评价等级暂无法确定。"
        elif computed.total_score is None:  # never a sum of what could be read, presented as the total
            text = lead + "，".join(parts) + ("，" if parts else "的") + "总分因部分数值未填写或无法识别暂无法计算。"
        else:
            text = lead + "，".join(parts) + f"，预算执行率得分与各项指标得分合计{facts.total_score}分。"
        extra.append(_check(f"{computed.grade_reason}，绩效评价等级暂无法确定，请改正后重新生成本报告"))
    else:
        text = lead + "，".join(parts) + f"，绩效自评得分{facts.total_score}分，绩效评价等级为“{facts.grade}”。"
    if facts.total_stated is not None:
        extra.append(_check(f"自评表填写的总分为{facts.total_stated}分，与预算执行率得分和各项指标得分之和{facts.total_score}分不一致，本报告采用重新计算的结果"))
    return _paragraph(_tidy(text), *extra)


def _part_name(label: str) -> str:
    """A fund row's label as a sentence names it: 其中：一般公共预算： → 一般公共预算."""
    return label.removeprefix("其中：").removeprefix("其中:").rstrip("：: \u3000")


def _funds_paragraph(facts: Facts, result):
    year = f"{facts.year}年度" if facts.year else "本年度"
    who = f"{facts.unit or '本部门'}年度资金总额" if facts.is_department else "项目"
    parts = []
    if facts.initial:
        parts.append(f"年初预算数{facts.initial}万元")
    # A department form's breakdowns are told one by one (_breakdown_paragraph), not here.
    sources = [f"{_part_name(f.label)}{f.budget}万元" for f in facts.funds[1:] if f.budget and f.budget != "0" and not f.group]
    if facts.budget:
        parts.append(f"全年预算数{facts.budget}万元" + (f"（其中{'、'.join(sources)}）" if sources else ""))
    if facts.executed:
        parts.append(f"全年执行数{facts.executed}万元")
    extra = []
    if not parts:
        text = f"自评表未填写{year}{facts.subject}资金的预算数和执行数。"
        extra.append(_check("请在自评表“年度资金总额”行填写全年预算数和全年执行数"))
    elif facts.rate:
        text = f"{year}，{who}" + "，".join(parts) + f"，预算执行率{facts.rate}，预算执行率得分{facts.budget_score}分（分值{facts.budget_weight}分）。"
    else:
        text = f"{year}，{who}" + "，".join(parts) + "。"
        extra.append(_check("全年预算数未填写或为0，无法计算预算执行率"))
    if any(f.code == "executed-exceeds-budget" for f in result.findings):
        extra.append(_check("全年执行数超过全年预算数"))
    return _paragraph(text, *extra)


def _breakdown_paragraph(group: str, rows: list[FundFacts], result, last: bool):
    """按收入性质分：一般公共预算全年预算数1850万元、全年执行数1500万元（执行率81.08%）；…"""
    heading = GROUP_ZH.get(group, group)
    items = []
    for fund in rows:
        name = _part_name(fund.label)
        if fund.budget or fund.executed:
            if fund.budget in ("", "0") and fund.executed in ("", "0"):
                continue
            amounts = [f"{what}{value}万元" for what, value in (("全年预算数", fund.budget), ("全年执行数", fund.executed)) if value]
            rate = f"（执行率{fund.rate}）" if fund.rate and fund.budget and fund.executed else ""
            items.append(f"{name}{'、'.join(amounts)}{rate}")
        elif fund.inline and fund.inline != "0":
            items.append(f"{name}{fund.inline_text}")
    if items:
        text = f"{heading}：{'；'.join(items)}。"
    else:
        text = f"{heading}：自评表未填写各项资金的金额。"
    extra = []
    if any(f.code == "funds-sum-mismatch" and heading in f.message for f in result.findings):
        extra.append(_check(f"{heading}各项合计与年度资金总额不一致"))
    if last and any(f.code == "breakdowns-disagree" for f in result.findings):
        extra.append(_check("按收入性质分与按支出性质分的合计不一致，两种分法都应等于年度资金总额"))
    return _paragraph(text, *extra)


def _department_funds_paragraphs(facts: Facts, result) -> list:
    """二、部门整体支出管理及使用情况: the 年度资金总额, then each breakdown with its amounts."""
    paragraphs = [_funds_paragraph(facts, result)]
    groups = facts.breakdowns()
    for index, (group, rows) in enumerate(groups):
        paragraphs.append(_breakdown_paragraph(group, rows, result, last=index == len(groups) - 1))
    return paragraphs


def _goal_paragraphs(facts: Facts) -> list:
    paragraphs = []
    if facts.goal_expected:
        paragraphs.append(_paragraph(_sentence(f"{facts.subject}年度总体目标：{_tidy(facts.goal_expected)}")))
    else:
        paragraphs.append(_paragraph(f"{facts.subject}年度总体目标：", _todo("年度总体目标（自评表“预期目标”未填写）")))
    if facts.goal_actual:
        paragraphs.append(_paragraph(_sentence(f"实际完成情况：{_tidy(facts.goal_actual)}")))
    else:
        paragraphs.append(_paragraph("实际完成情况：", _todo(TODO_TEXT["goal_actual"])))
    return paragraphs


def _indicator_paragraphs(facts: Facts) -> list:
    count = len(facts.indicators)
    if facts.budget_score:
        budget = f"预算执行率指标分值{facts.budget_weight}分，得分{facts.budget_score}分（预算执行率{facts.rate}）。"
    else:
        budget = f"预算执行率指标分值{facts.budget_weight}分，因预算执行率无法计算，暂未评分。"
    if not count:
        return [_paragraph("自评表尚未填写三级绩效指标。", _check("请在自评表中填写三级指标、指标值、分值和得分"), budget)]
    paragraphs = [_paragraph(f"本{facts.subject}共设置三级绩效指标{count}项。{budget}")]
    for number, group in enumerate(facts.level1, 1):
        text = f"{number}.{group['name']}：分值{group['weight']}分"
        extra = []
        if group["stated_weight"] is not None:
            extra.append(_check(f"自评表标注为{group['stated_weight']}分"))
        unscored = [ind for ind in facts.indicators if ind.level1 == group["name"] and not ind.score]
        if len(unscored) == sum(1 for ind in facts.indicators if ind.level1 == group["name"]):
            tail = "，尚未评分。"
        else:
            tail = f"，得分{group['score']}分"
            if group["level2"]:
                tail += "。其中，" + "，".join(
                    f"{sub['name']}（{sub['weight']}分）得{sub['score']}分" for sub in group["level2"] if sub["score"] not in ("", "—"))
            tail += "。"
        paragraphs.append(_paragraph(text, *extra, _tidy(tail)))
    unscored = [ind for ind in facts.indicators if not ind.score]
    deducted = [ind for ind in facts.indicators if ind.deducted]
    if unscored:
        paragraphs.append(_paragraph(
            f"有{len(unscored)}项三级指标尚未评分：{'、'.join(_quoted(ind.name or '（未命名）') for ind in unscored)}。",
            _check("请在自评表中填写这些指标的得分")))
    elif not deducted:
        paragraphs.append(_paragraph("各项三级指标均得满分。"))
    if not deducted:
        return paragraphs
    paragraphs.append(_paragraph(f"扣分指标共{len(deducted)}项，扣分原因及改进措施如下："))
    for number, ind in enumerate(deducted, 1):
        text = (f"（{number}）{_quoted(ind.name)}{ind.where}：年度指标值为{_quoted(ind.target)}，实际完成值为{_quoted(ind.actual)}，"
                f"分值{ind.weight}分，得分{ind.score}分，扣{ind.lost}分。偏差原因分析及改进措施：")
        parts = [_tidy(text), _sentence(_tidy(ind.deviation)) if ind.deviation else _todo(TODO_TEXT["deviation"])]
        if any("已完成" in hint or "完成值为" in hint for hint in ind.hints):
            parts.append(_check(f"实际完成值填写为{_quoted(ind.actual)}却未得满分，请核实完成情况或得分"))
        elif ind.hints:
            parts.append(_check("得分与评分规则不一致"))
        paragraphs.append(_paragraph(*parts))
    return paragraphs


#: A clause of a 偏差原因分析及改进措施 text that says what will be done (else it says what went wrong).
_MEASURE_START = re.compile(r"^(?:进一步|下一步|今后|将|应|需|要|加强|加快|强化|提高|提升|完善|健全|建立|继续|持续|积极|认真|严格|督促|优化|做好)")
_CLAUSES = re.compile(r"[。；;，,]")
_REVIEW = Todo("【请核实】")


def _reasons_and_measures(text: str) -> tuple[str, str]:
    """Split a form's 偏差原因分析及改进措施 into what went wrong and what will be done."""
    reasons, measures = [], []
    for clause in (c.strip(" \u3000") for c in _CLAUSES.split(text)):
        if clause:
            (measures if _MEASURE_START.match(clause) else reasons).append(clause)
    return "，".join(reasons), "，".join(measures)


def _problem_paragraphs(facts: Facts, result, info: dict[str, str]) -> list:
    """存在的问题 and 改进措施: the 报告信息 text where given, else drafted from the data and marked 【请核实】."""
    return _problems(facts, result, info) + _measures(facts, info)


def _problems(facts: Facts, result, info: dict[str, str], todo: str = TODO_TEXT["problems"]) -> list:
    """存在的问题: the 报告信息 text, else 一是、二是 … drafted from the data, each marked 【请核实】.

    One sentence per kind of problem, worded as a unit writes it; the cells and the rules' arithmetic
    stay on the separate 校验发现的问题 page. A form with nothing filled in gets the placeholder only."""
    if info.get("problems"):
        return [_paragraph(line) for line in _split(info["problems"])]
    if not facts.budget and not facts.indicators:
        return [_paragraph(_todo(todo))]
    items = _deduction_problem(facts) + _unspent_problem(facts, result) + _form_problems(facts, result)
    if not items:
        return [_paragraph(_todo(todo))]
    return [_paragraph(f"{_chinese_number(n)}是", *parts, _REVIEW) for n, parts in enumerate(items, 1)]


def _deduction_problem(facts: Facts) -> list[list[str]]:
    """部分绩效指标未完全实现：each deducted indicator, its points lost and what went wrong."""
    deducted = [ind for ind in facts.indicators if ind.deducted]
    if not deducted:
        return []
    parts: list[str] = [f"部分绩效指标未完全实现，{len(deducted)}项指标共扣{format_number(sum(float(i.lost) for i in deducted))}分："
                        if len(deducted) > 1 else "部分绩效指标未完全实现："]
    for number, ind in enumerate(deducted):
        reasons, _ = _reasons_and_measures(ind.deviation)
        parts.append(_tidy(f"{_quoted(ind.name)}{ind.where}扣{ind.lost}分" + (f"，{reasons}" if reasons else "")))
        if not reasons:
            parts.append(_todo("扣分原因"))
        parts.append("。" if number == len(deducted) - 1 else "；")
    return [parts]


def _unspent_problem(facts: Facts, result) -> list[list[str]]:
    computed = result.computed
    if not facts.rate or computed.rate is None or computed.rate >= 1 - 1e-9:
        return []
    budget, executed = computed.funds_totals.get("budget"), computed.funds_totals.get("executed")
    unspent = f"，尚有{format_number(budget - executed)}万元未支出" if budget is not None and executed is not None else ""
    return [[f"预算执行率为{facts.rate}，全年预算数{facts.budget}万元，全年执行数{facts.executed}万元{unspent}。"]]


#: What kind of problem each error is, in the order the report tells them; a code not listed is
#: told in the last, general sentence.
_PROBLEM_KIND = {
    "required-missing": "missing", "column-missing": "missing",
    "funds-sum-mismatch": "funds", "breakdowns-disagree": "funds", "amount-not-number": "funds", "budget-zero": "funds",
    "rate-mismatch": "derived", "budget-score-mismatch": "derived", "total-mismatch": "derived", "grade-mismatch": "derived",
    "level1-weight-mismatch": "weights", "total-weight-not-100": "weights", "total-weight-mismatch": "weights",
    "score-exceeds-weight": "scores", "score-not-number": "scores",
    "deviation-missing": "deviation",
}


def _form_problems(facts: Facts, result) -> list[list[str]]:
    """The errors the form still has, one sentence per kind (自评表填报不完整, 计算项填报有误 …)."""
    codes: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.severity == "error":
            codes.setdefault(_PROBLEM_KIND.get(finding.code, "other"), []).append(finding.code)
    sentences = []
    for kind in ("missing", "funds", "derived", "weights", "scores", "deviation", "other"):
        found = codes.get(kind)
        if found:
            sentences.append([_kind_sentence(kind, found, facts, result.computed)])
    return sentences


def _kind_sentence(kind: str, found: list[str], facts: Facts, computed) -> str:
    if kind == "missing":
        what = "缺少规则需要的栏目，" if "column-missing" in found else ""
        count = found.count("required-missing")
        return f"自评表填报不完整，{what}{f'有{count}项必填内容未填写' if count else '部分内容无法校验'}。"
    if kind == "funds":
        details = [text for code, text in (
            ("funds-sum-mismatch", "年度资金总额与各项资金之和不一致"),
            ("breakdowns-disagree", "按收入性质分与按支出性质分的合计不一致"),
            ("amount-not-number", "部分金额无法识别为数字"),
            ("budget-zero", "全年预算数为0，预算执行率无法计算"),
        ) if code in found]
        return f"资金数据填报有误，{'，'.join(details)}。"
    if kind == "derived":
        pending = computed.grade == GRADE_PENDING
        pairs = [(name, value) for code, name, value in (
            ("rate-mismatch", "预算执行率", facts.rate),
            ("budget-score-mismatch", "预算执行率得分", f"{facts.budget_score}分"),
            ("total-mismatch", "自评总分", None if pending else f"{facts.total_score}分"),
            ("grade-mismatch", "评价等级", None if pending else f"“{facts.grade}”"),
        ) if code in found]
        fixed = [(name, value) for name, value in pairs if value]
        clauses = []
        if len(fixed) == 1:
            clauses.append(f"{fixed[0][0]}填报有误，已按规则更正为{fixed[0][1]}")
        elif fixed:
            clauses.append(f"{'、'.join(n for n, _ in fixed)}填报有误，已按规则分别更正为{'、'.join(v for _, v in fixed)}")
        unsettled = [name for name, value in pairs if not value]
        if unsettled:
            clauses.append(f"{'、'.join(unsettled)}填报有误，按规则各项得分合计为{facts.total_score}分，等级暂无法确定")
        return "；".join(clauses) + "。"
    if kind == "weights":
        details = [f"{_quoted(group['name'])}标注{group['stated_weight']}分，其下三级指标分值合计{group['weight']}分"
                   for group in facts.level1 if group["stated_weight"] is not None]
        if "total-weight-not-100" in found:
            details.append(f"预算执行率与各项指标分值合计{facts.total_weight}分，不等于100分")
        if "total-weight-mismatch" in found:
            details.append("总分行的分值与各项分值合计不一致")
        return f"绩效指标分值设置不规范，{'；'.join(details) or '分值合计有误'}。"
    if kind == "scores":
        details = [text for code, text in (("score-exceeds-weight", "部分指标得分超出分值"), ("score-not-number", "部分分值或得分无法识别为数字"))
                   if code in found]
        return f"{'，'.join(details)}。"
    if kind == "deviation":
        return f"{len(found)}项扣分指标未填写偏差原因分析及改进措施。"
    return f"自评表另有{len(found)}处填报问题，需对照校验说明逐项改正。"


def _measures(facts: Facts, info: dict[str, str], todo: str = TODO_TEXT["measures"]) -> list:
    """改进措施: the 报告信息 text, else drafted from the deducted indicators' notes, marked 【请核实】."""
    deducted = [ind for ind in facts.indicators if ind.deducted]
    if info.get("measures"):
        measures = [_paragraph(line) for line in _split(info["measures"])]
    else:
        drafted = []
        for ind in deducted:
            _, measure = _reasons_and_measures(ind.deviation)
            if measure:
                drafted.append(_tidy(f"针对{_quoted(ind.name)}指标：{measure}。"))
        if drafted:
            measures = [_paragraph("改进措施：", drafted[0], _REVIEW)] if len(drafted) == 1 else (
                [_paragraph("改进措施：")] + [_paragraph(f"{n}.{text}", _REVIEW) for n, text in enumerate(drafted, 1)])
        else:
            measures = [_paragraph(_todo(todo))]
    return measures


def _chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (for 一是、二是 …)."""
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (_NUMERALS[ones - 1] if ones else "")
