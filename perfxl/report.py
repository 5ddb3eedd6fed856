"""The Word 绩效自评报告: a checked form → ``<stem>_自评报告.docx``, from an editable template.

Three steps, kept apart:

1. :func:`build_context` turns a :class:`~perfxl.rules.CheckResult` into plain Python values: every
   number and sentence of the report, formatted once (:class:`Facts`), so the text and the 附件
   table are built from the same strings and can never disagree.
2. The template (``templates/自评报告模板.docx`` or the user's ``--template``) is rendered with
   docxtpl (Jinja2 tags typed in Word). Template bytes and compiled Jinja templates are cached per
   process, so a batch of a thousand forms parses each template once.
3. The 附件 自评表 is written as a real Word table at the ``{{ annex_table }}`` paragraph, and every
   run gets explicit East-Asian fonts (w:eastAsia) from its paragraph style.

This module knows the model only (Form, CheckResult); it never touches openpyxl.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from .labels import GRADE_PENDING
from .model import GROUP_ZH, KIND_DEPARTMENT, KIND_PROJECT, FormError
from .numbers import close, format_number, format_percent
from .systext import read_error_text

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

ANNEX_MARKER = "{{ annex_table }}"
_ANNEX_TOKEN = "\u2063perfxl-annex-table\u2063"  # what the marker renders to; replaced by the table
_NUMERALS = "一二三四五六七八九十"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LEADING_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[）)])")
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# ---------------------------------------------------------------- facts: every value, formatted once


@dataclass
class IndicatorFacts:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: str
    score: str
    deviation: str
    deducted: bool = False
    lost: str = ""  # points deducted, formatted
    hints: list[str] = field(default_factory=list)  # warnings about this row, for the text


@dataclass
class FundFacts:
    label: str
    initial: str
    budget: str
    executed: str
    weight: str
    rate: str
    score: str
    group: str = ""  # department forms: "income" (按收入性质分) or "expenditure" (按支出性质分)
    inline: str = ""  # an amount written into the label (其中：一般公共预算：1873.66万元), in 万元, column not said


@dataclass
class Facts:
    """What the report says, as display strings (amounts in 万元)."""

    year: str
    project: str
    department: str
    implementer: str
    funds: list[FundFacts]
    goal_expected: str
    goal_actual: str
    indicators: list[IndicatorFacts]
    level1: list[dict]  # name, weight, score, stated_weight (strings), level2 [{name, weight, score}]
    initial: str
    budget: str
    executed: str
    rate: str
    budget_weight: str
    budget_score: str
    total_weight: str
    total_score: str
    total_stated: str | None  # the form's own 总分 where it differs from the recomputed one
    grade: str
    kind: str = KIND_PROJECT
    unit: str = ""  # 部门（单位）名称 of a department form

    @property
    def is_department(self) -> bool:
        return self.kind == KIND_DEPARTMENT

    @property
    def subject(self) -> str:
        """How the text names what the form is about: 项目 or 部门."""
        return "部门" if self.is_department else "项目"


def _clean(text: object) -> str:
    """Text safe for XML, outer whitespace (incl. U+3000) trimmed."""
    if text is None:
        return ""
    return _CONTROL.sub("", str(text)).replace("\r\n", "\n").strip(" \t\r\n\u3000\xa0")


def _amount(value: float | None) -> str:
    return format_number(value) if value is not None else ""


def _cell_number(cell, factor: float = 1.0) -> str:
    """A number cell as the report shows it; text that is not a number is shown as written."""
    reading = cell.reading
    if reading.is_number and reading.unit in (None, "万元", "元", "分"):
        return format_number(reading.value * factor)
    return "" if reading.is_blank else _clean(cell.text)


def _inline_amount(cell, money_factor: float) -> str:
    """An amount written into a label cell, in 万元 (its own unit when it says one)."""
    if cell.address is None:
        return ""
    reading = cell.reading
    if reading.is_number:
        factor = {"元": 1 / 10000, "万元": 1.0}.get(reading.unit or "", money_factor)
        return format_number(reading.value * factor)
    return "" if reading.is_blank else _clean(cell.text)


def collect_facts(result) -> Facts:
    """Every value the report shows, from the checked form and what perfxl recomputed."""
    form, computed = result.form, result.computed
    total_kind = "funds_total"
    funds = []
    for row in form.funds:
        is_total = row.kind == total_kind
        rate = computed.rates.get(row.row)
        funds.append(FundFacts(
            label=_clean(row.label),
            initial=_cell_number(row.initial, form.money_factor),
            budget=_cell_number(row.budget, form.money_factor),
            executed=_cell_number(row.executed, form.money_factor),
            # 分值/得分 belong to the 年度资金总额 row only (perfxl recomputes them there).
            weight=format_number(computed.budget_weight) if is_total else "",
            rate=format_percent(rate) if rate is not None else "",
            score=format_number(computed.budget_score) if is_total and computed.budget_score is not None else "",
            group=row.group, inline=_inline_amount(row.inline, form.money_factor),
        ))
    total = next((f for f in funds if f.label and form.fund(total_kind) and f.label == _clean(form.fund(total_kind).label)), None)
    if total is not None:
        totals = computed.funds_totals
        total.initial = _amount(totals.get("initial")) or total.initial
        total.budget = _amount(totals.get("budget")) or total.budget
        total.executed = _amount(totals.get("executed")) or total.executed

    hints_by_cell: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.code in ("deducted-but-complete", "full-but-incomplete", "score-rule-mismatch") and finding.cell:
            hints_by_cell.setdefault(finding.cell, []).append(finding.message)
    indicators = []
    for ind in form.indicators:
        weight, score = ind.weight.number, ind.score.number
        deducted = weight is not None and score is not None and score < weight - 0.005
        indicators.append(IndicatorFacts(
            level1=ind.level1, level2=ind.level2, name=_clean(ind.level3.text), target=_clean(ind.target.text),
            actual=_clean(ind.actual.text), weight=_cell_number(ind.weight), score=_cell_number(ind.score),
            deviation=_clean(ind.deviation.text), deducted=deducted,
            lost=format_number(weight - score) if deducted else "",
            hints=hints_by_cell.get(ind.score.address or "", []),
        ))

    level2_of: dict[str, list[dict]] = {}
    for sub in computed.level2:
        level2_of.setdefault(sub.level1, []).append(
            {"name": sub.level2, "weight": format_number(sub.weight), "score": format_number(sub.score)})
    level1 = []
    for group in computed.level1:
        stated = group.stated_weight
        mismatch = stated is not None and group.weight is not None and not close(stated, group.weight)
        level1.append({
            "name": group.name, "weight": format_number(group.weight), "score": format_number(group.score),
            "stated_weight": format_number(stated) if mismatch else None, "level2": level2_of.get(group.name, []),
        })

    stated_total = form.total_score.number
    differs = stated_total is not None and abs(stated_total - computed.total_score) > 0.005
    totals = computed.funds_totals
    return Facts(
        year=str(form.year) if form.year else "",
        project=_clean(form.project.text),
        department=_clean(form.department.text),
        implementer=_clean(form.implementer.text),
        funds=funds,
        goal_expected=_clean(form.goal_expected.text),
        goal_actual=_clean(form.goal_actual.text),
        indicators=indicators,
        level1=level1,
        initial=_amount(totals.get("initial")),
        budget=_amount(totals.get("budget")),
        executed=_amount(totals.get("executed")),
        rate=format_percent(computed.rate) if computed.rate is not None else "",
        budget_weight=format_number(computed.budget_weight),
        budget_score=format_number(computed.budget_score) if computed.budget_score is not None else "",
        total_weight=format_number(computed.total_weight),
        total_score=format_number(computed.total_score),
        total_stated=format_number(stated_total) if differs else None,
        grade=computed.grade,
        kind=form.kind,
        unit=_clean(form.unit.text),
    )


# ---------------------------------------------------------------- paragraphs (docxtpl RichText)


class Todo(str):
    """A span the user must write or check: rendered highlighted."""


def _paragraph(*parts: str):
    """One report paragraph as docxtpl RichText; :class:`Todo` parts are highlighted; newlines → line breaks."""
    from docxtpl import RichText

    runs = []
    for part in parts:
        if not part:
            continue
        props = f"<w:rPr>{_FONT_SLOTS}{_HIGHLIGHT if isinstance(part, Todo) else ''}</w:rPr>"
        lines = _CONTROL.sub("", str(part)).split("\n")
        inner = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line, quote=False)}</w:t>' for line in lines)
        runs.append(f"<w:r>{props}{inner}</w:r>")
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
                found[name] = _clean(available[synonym])
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
        "title_break": "\n" if _width(f"{year}年度{project}绩效自评报告") > _TITLE_CHARS else "",
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
        "annex_table": _ANNEX_TOKEN,
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
        "title_break": "\n" if _width(title) > _TITLE_CHARS else "",
        "breakdowns": [
            {"name": GROUP_ZH.get(group, group),
             "parts": [{"label": _part_name(f.label), "initial": f.initial, "budget": f.budget, "executed": f.executed,
                        "rate": f.rate, "inline": f.inline} for f in rows]}
            for group, rows in _breakdowns(facts)
        ],
        "overview": overview, "duties": duties, "organisation": organisation,
        "funds": funds, "management": management, "goal": goal, "indicators": indicators, "conclusion": conclusion,
        "problems": _problems(facts, result, info, TODO_TEXT["department_problems"]),
        "measures": _measures(facts, info, TODO_TEXT["department_measures"]),
    }


def _date_line(today=None) -> str:
    """成文日期 as GB/T 9704 writes it: Arabic numerals, year, month and day in full (2021年3月5日)."""
    import datetime as dt

    today = today or dt.date.today()
    return f"{today.year}年{today.month}月{today.day}日"


_TITLE_CHARS = 20  # 二号 characters on one line of the 156 mm type area


def _width(text: str) -> float:
    """Printed width in full-width characters (Latin letters and digits count half)."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


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


def _breakdowns(facts: Facts) -> list[tuple[str, list[FundFacts]]]:
    """A department form's parts by breakdown, in the form's order: [(group, rows)]."""
    groups: dict[str, list[FundFacts]] = {}
    for fund in facts.funds:
        if fund.group:
            groups.setdefault(fund.group, []).append(fund)
    return list(groups.items())


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
            items.append(f"{name}{fund.inline}万元" if _is_amount(fund.inline) else f"{name}{fund.inline}")
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


def _is_amount(text: str) -> bool:
    return bool(re.fullmatch(r"-?[0-9][0-9,]*(?:\.[0-9]+)?", text))


def _department_funds_paragraphs(facts: Facts, result) -> list:
    """二、部门整体支出管理及使用情况: the 年度资金总额, then each breakdown with its amounts."""
    paragraphs = [_funds_paragraph(facts, result)]
    groups = _breakdowns(facts)
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
        where = ind.level2 or ind.level1
        text = (f"（{number}）{_quoted(ind.name)}（{where}）：年度指标值为{_quoted(ind.target)}，实际完成值为{_quoted(ind.actual)}，"
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
    """存在的问题: the 报告信息 text, else 一是、二是 … drafted from the data, each marked 【请核实】."""
    deducted = [ind for ind in facts.indicators if ind.deducted]
    if info.get("problems"):
        problems = [_paragraph(line) for line in _split(info["problems"])]
    else:
        items = []
        for ind in deducted:
            reasons, _ = _reasons_and_measures(ind.deviation)
            text = f"{_quoted(ind.name)}指标（{ind.level2 or ind.level1}）得{ind.score}分（分值{ind.weight}分），扣{ind.lost}分"
            items.append((_tidy(text + (f"，{reasons}。" if reasons else "。")),
                          None if reasons else _todo("扣分原因")))
        if facts.rate and result.computed.rate is not None and result.computed.rate < 1 - 1e-9:
            budget, executed = result.computed.funds_totals.get("budget"), result.computed.funds_totals.get("executed")
            unspent = format_number(budget - executed) if budget is not None and executed is not None else "—"
            items.append((f"预算执行率为{facts.rate}，全年预算数{facts.budget}万元，全年执行数{facts.executed}万元，"
                          f"尚有{unspent}万元未支出。", None))
        for finding in (f for f in result.findings if f.severity == "error"):
            where = f"（单元格 {finding.cell}）" if finding.cell else ""
            items.append((_sentence(f"自评表仍有错误{where}：{finding.message}"), None))
        if items:
            # _paragraph skips the empty parts (no 【待补充：扣分原因】 where the form gives one)
            problems = [_paragraph(f"{_chinese_number(n)}是", text, todo or "", _REVIEW)
                        for n, (text, todo) in enumerate(items, 1)]
        else:
            problems = [_paragraph(_todo(todo))]
    return problems


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


# ---------------------------------------------------------------- the 附件 table


# The 9-column 自评表 fills the type area's width (8844 twips = 156 mm). Columns: 0-1 the row labels
# (一级指标, 年度总体目标), 2 二级指标 / fund source, 3-5 三级指标, 年度指标值, 实际完成值 (amounts in
# the funds block), 6 分值, 7 得分 / 执行率, 8 偏差原因分析及改进措施 (得分 in the funds block).
_TABLE_WIDTH = 8844
_CHAR = 180  # one full-width character of 小五 (9 pt) in twips
_PADDING = 57 * 2 + 70  # cell margins plus slack for the renderer's rounding
_TEXT_COLUMNS = (3, 4, 5, 8)  # these take what the labels and numbers leave, by how much they hold
_FUND_HEADS = ("年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分")
_INDICATOR_HEADS = ("一级指标", "二级指标", "三级指标", "年度\n指标值", "实际\n完成值", "分值", "得分", "偏差原因分析及改进措施")


def _needed(text: str) -> int:
    """Twips a cell needs to show ``text`` without breaking any of its lines."""
    return int(max((_width(line) for line in text.split("\n")), default=0) * _CHAR) + _PADDING


_LABEL_TAILS = ("满意度指标", "效益指标", "影响指标", "指标")


def _label(text: str, limit: float = 6) -> str:
    """A label the table may break only where a reader would: 其中：| 当年财政拨款, 服务对象满意度 | 指标."""
    if _width(text) <= limit or "\n" in text:
        return text
    for head in ("其中：", "其中:"):
        if text.startswith(head):
            return head + "\n" + text[len(head):]
    splits = [text[:-len(tail)] + "\n" + tail for tail in _LABEL_TAILS if text.endswith(tail) and len(text) > len(tail)]
    return min(splits, key=lambda label: max(_width(line) for line in label.split("\n")), default=text)


def _column_widths(facts: Facts) -> list[int]:
    """Grid widths sized to the content: labels, amounts and rates on one line, text columns share the rest."""
    need = [0] * 9
    fund_label = _fund_label if facts.is_department else _label
    unbroken = {
        2: [fund_label(f.label) for f in facts.funds] + [_label(ind.level2) for ind in facts.indicators] + ["实施单位"],
        3: [_FUND_HEADS[0], _INDICATOR_HEADS[2]] + [f.initial for f in facts.funds],
        4: [_FUND_HEADS[1], _INDICATOR_HEADS[3]] + [f.budget for f in facts.funds],
        5: [_FUND_HEADS[2], _INDICATOR_HEADS[4], "实施单位"] + [f.executed for f in facts.funds],
        6: ["分值", facts.total_weight] + [f.weight for f in facts.funds] + [ind.weight for ind in facts.indicators],
        7: ["执行率", "得分", "100.00%", facts.total_score] + [f.rate for f in facts.funds] + [ind.score for ind in facts.indicators],
        8: ["得分", "等级：待定"] + [f.score for f in facts.funds],
    }
    for column, texts in unbroken.items():
        need[column] = max(_needed(text) for text in texts if text is not None)
    labels = ["年度总体目标", "项目资金", "一级指标"] + (list(GROUP_ZH.values()) if facts.is_department else []) + [line for g in facts.level1 for line in _level1_label(g["name"], g["weight"]).split("\n")]
    need[0] = 300
    need[1] = max(_needed(text) for text in labels) - need[0]
    spare = _TABLE_WIDTH - sum(need)
    if spare < 0:  # cannot happen with sane content; shrink proportionally rather than overflow the page
        return [int(n * _TABLE_WIDTH / sum(need)) for n in need[:-1]] + [_TABLE_WIDTH - sum(int(n * _TABLE_WIDTH / sum(need)) for n in need[:-1])]
    held = {
        3: sum(_width(ind.name) for ind in facts.indicators),
        4: sum(_width(ind.target) for ind in facts.indicators),
        5: sum(_width(ind.actual) for ind in facts.indicators),
        8: sum(_width(ind.deviation) for ind in facts.indicators) + 20,
    }
    weights = {column: max(held[column], 4) ** 0.75 for column in _TEXT_COLUMNS}
    total = sum(weights.values())
    for column in _TEXT_COLUMNS[:-1]:
        need[column] += int(spare * weights[column] / total)
    need[_TEXT_COLUMNS[-1]] += _TABLE_WIDTH - sum(need)
    return need


def _fund_label(text: str) -> str:
    """A department form's fund label: no trailing colon, broken after 的 or in the middle when long
    (纳入专户管理的 | 非税收入拨款), so that the label column stays narrow."""
    text = _label(text.rstrip("：: \u3000"), 7)
    lines = []
    for line in text.split("\n"):
        if _width(line) > 7:
            at = line.find("的") + 1 if 0 < line.find("的") < len(line) - 1 else (len(line) + 1) // 2
            lines += [line[:at], line[at:]]
        else:
            lines.append(line)
    return "\n".join(lines)


def _level1_label(name: str, weight: str | None) -> str:
    return f"{name}\n（{weight}分）" if name and weight else name


def _cell_xml(text: str, width: int, *, span: int = 1, vmerge: str | None = None, heading: bool = False,
              align: str = "center") -> str:
    props = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
    if span > 1:
        props.append(f'<w:gridSpan w:val="{span}"/>')
    if vmerge == "restart":
        props.append('<w:vMerge w:val="restart"/>')
    elif vmerge == "continue":
        props.append("<w:vMerge/>")
    props.append('<w:vAlign w:val="center"/>')
    style = "TableHeading" if heading else "TableText"
    font = "黑体" if heading else "仿宋_GB2312"
    runs = ""
    if text and vmerge != "continue":
        lines = _CONTROL.sub("", text).split("\n")
        body = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line, quote=False)}</w:t>' for line in lines)
        runs = f'<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{font}" w:cs="Times New Roman"/></w:rPr>{body}</w:r>'
    return (f'<w:tc><w:tcPr>{"".join(props)}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/>'
            f'<w:jc w:val="{align}"/></w:pPr>{runs}</w:p></w:tc>')


def _table_xml(rows: list[str], widths: list[int], header_rows: int = 0, bottom: bool = True,
               keep_together: bool = False) -> str:
    """A table of ``rows``; ``keep_together`` keeps it on the page of what follows (Word: keepNext in every row)."""
    if keep_together:
        rows = [re.sub(r'(<w:pPr><w:pStyle w:val="[^"]*"/>)', r"\1<w:keepNext/>", row) for row in rows]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    border = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    borders = "".join(
        f"<w:{side} {border}/>" if bottom or side != "bottom" else '<w:bottom w:val="nil"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    body = []
    for index, row in enumerate(rows):
        header = "<w:tblHeader/>" if index < header_rows else ""
        body.append(f"<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>{row}</w:tr>")
    return (
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f"<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"
        '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(body)}</w:tbl>"
    )


def _fund_cells(fund: FundFacts, c, w) -> str:
    """The six amount columns of a fund row; an amount written inline (column not said) spans them."""
    values = (fund.initial, fund.budget, fund.executed, fund.weight, fund.rate, fund.score)
    if fund.inline and not any(values):
        amount = f"{fund.inline}万元" if _is_amount(fund.inline) else fund.inline
        return c(amount, w(3, 6), span=6, align="left")
    return "".join(c(value, w(3 + i, 1)) for i, value in enumerate(values))


def _department_top_rows(facts: Facts, c, w) -> list[str]:
    """The header block of a 部门整体支出绩效自评表: 部门（单位）, 年度资金总额, 按收入性质分, 按支出性质分."""
    if facts.department and facts.department != facts.unit:
        rows = [c("部门（单位）\n名称", w(0, 2), span=2, heading=True) + c(facts.unit, w(2, 3), span=3, align="left")
                + c("一级预算\n单位", w(5, 1), heading=True) + c(facts.department, w(6, 3), span=3, align="left")]
    else:
        rows = [c("部门（单位）\n名称", w(0, 2), span=2, heading=True) + c(facts.unit, w(2, 7), span=7, align="left")]
    rows.append(c("年度预算\n（万元）", w(0, 2), span=2, vmerge="restart", heading=True) + c("", w(2, 1))
                + "".join(c(head, w(3 + i, 1), heading=True) for i, head in enumerate(_FUND_HEADS)))
    for fund in facts.funds:
        if not fund.group:
            rows.append(c("", w(0, 2), span=2, vmerge="continue") + c(_fund_label(fund.label), w(2, 1), align="left")
                        + _fund_cells(fund, c, w))
    for group, funds in _breakdowns(facts):
        for index, fund in enumerate(funds):
            rows.append(c(GROUP_ZH.get(group, group) if index == 0 else "", w(0, 2), span=2,
                          vmerge="restart" if index == 0 else "continue", heading=True)
                        + c(_fund_label(fund.label), w(2, 1), align="left") + _fund_cells(fund, c, w))
    return rows


def annex_tables(facts: Facts) -> list[str]:
    """The 自评表 as two Word tables that print as one: header block, then the 绩效指标 block whose
    column-heading row repeats on every page."""
    widths = _column_widths(facts)
    c = _cell_xml

    def w(start: int, span: int) -> int:
        return sum(widths[start:start + span])

    if facts.is_department:
        top = _department_top_rows(facts, c, w)
    else:
        top = [
            c("项目名称", w(0, 2), span=2, heading=True) + c(facts.project, w(2, 7), span=7, align="left"),
            c("主管部门", w(0, 2), span=2, heading=True) + c(facts.department, w(2, 3), span=3, align="left")
            + c("实施单位", w(5, 1), heading=True) + c(facts.implementer, w(6, 3), span=3, align="left"),
        ]
        top.append(c("项目资金\n（万元）", w(0, 2), span=2, vmerge="restart", heading=True) + c("", w(2, 1))
                   + "".join(c(head, w(3 + i, 1), heading=True) for i, head in enumerate(_FUND_HEADS)))
        for fund in facts.funds:
            top.append(c("", w(0, 2), span=2, vmerge="continue") + c(_label(fund.label), w(2, 1), align="left") + _fund_cells(fund, c, w))
    top.append(c("年度总体目标", w(0, 2), span=2, vmerge="restart", heading=True) + c("预期目标", w(2, 3), span=3, heading=True)
               + c("实际完成情况", w(5, 4), span=4, heading=True))
    top.append(c("", w(0, 2), span=2, vmerge="continue") + c(facts.goal_expected, w(2, 3), span=3, align="both")
               + c(facts.goal_actual, w(5, 4), span=4, align="both"))

    heads = _INDICATOR_HEADS
    # The 一级指标 column spans grid columns 1-2 (a 绩效指标 cell merged down the whole block would
    # break the repeated heading row on later pages).
    rows = [c(heads[0], w(0, 2), span=2, heading=True) + "".join(c(h, w(2 + i, 1), heading=True) for i, h in enumerate(heads[1:]))]
    weights = {group["name"]: group["weight"] for group in facts.level1}
    indicators = facts.indicators
    for index, ind in enumerate(indicators):
        first1 = index == 0 or indicators[index - 1].level1 != ind.level1
        first2 = first1 or indicators[index - 1].level2 != ind.level2
        level1 = _level1_label(ind.level1, weights.get(ind.level1))
        rows.append(
            c(level1 if first1 else "", w(0, 2), span=2, vmerge="restart" if first1 else "continue")
            + c(_label(ind.level2) if first2 else "", w(2, 1), vmerge="restart" if first2 else "continue")
            + c(ind.name, w(3, 1), align="left") + c(ind.target, w(4, 1), align="left") + c(ind.actual, w(5, 1))
            + c(ind.weight, w(6, 1)) + c(ind.score, w(7, 1)) + c(ind.deviation, w(8, 1), align="left")
        )
    rows.append(c("总分", w(0, 6), span=6, heading=True) + c(facts.total_weight, w(6, 1)) + c(facts.total_score, w(7, 1))
                + c(f"等级：{facts.grade}" + ("【请核实】" if facts.grade == GRADE_PENDING else ""), w(8, 1)))
    # Word repeats only a table's first rows on each page, so the 绩效指标 block is a table of its
    # own, joined to the first by a 1-point paragraph (two tables with nothing between would merge).
    joint = ('<w:p><w:pPr><w:pStyle w:val="TableText"/><w:keepNext/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
             '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>')
    return [_table_xml(top, widths, bottom=False, keep_together=True), joint, _table_xml(rows, widths, header_rows=1)]


# ---------------------------------------------------------------- rendering
#
# docxtpl's own DocxTemplate.render() re-opens and re-saves the whole package with python-docx for
# every report (≈70 ms). We use docxtpl's tag handling (patch_xml, render_xml_part, fix_tables: the
# same code its render() runs) on the parts that hold tags, and copy every other part of the
# template unchanged. Each template is read, patched and compiled once per process.

_TAGS = re.compile(r"\{[\{%#]")
_BODY = re.compile(r"<w:body\b[^>]*>.*</w:body>", re.S)


class CompiledTemplate:
    """One report template, ready to render many times."""

    def __init__(self, data: bytes, name: str):
        import zipfile

        from docxtpl import DocxTemplate
        from lxml import etree

        self.name = name
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
        parts = dict(self.entries)
        self.main = _main_part(parts)
        self.docxtpl = DocxTemplate(None)  # used only for its string/tree helpers, never opened
        environment = _CACHE.jinja()
        document = parts[self.main].decode("utf-8")
        body = _BODY.search(document)
        if body is None:
            raise ValueError("no w:body")
        # docxtpl works on the body serialised on its own (with its namespace declarations).
        root = etree.fromstring(parts[self.main])
        body_xml = etree.tostring(root.find(f"{{{W_NS}}}body"), encoding="unicode")
        self.head, self.tail = document[: body.start()], document[body.end():]
        self.body = self._compile(body_xml, environment)
        self.parts: dict[str, object] = {}  # other parts with tags (headers, footers, footnotes)
        for filename, blob in self.entries:
            if filename != self.main and filename.startswith("word/") and filename.endswith(".xml") and _TAGS.search(blob.decode("utf-8", "ignore")):
                self.parts[filename] = self._compile(blob.decode("utf-8"), environment)
        self.fonts = _style_fonts(parts.get("word/styles.xml"))
        self.environment = environment
        self.core = parts.get("docProps/core.xml")
        # Every part that does not change, zipped once; each report appends its own parts to a copy.
        changing = {self.main, "docProps/core.xml", *self.parts}
        base = io.BytesIO()
        with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename, blob in self.entries:
                if filename not in changing:
                    archive.writestr(filename, blob)
        self.base = base.getvalue()

    def _compile(self, xml: str, environment):
        source = self.docxtpl.patch_xml(xml)
        environment.from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", source))  # compile now: errors surface here
        return source

    def render(self, context: dict, facts: Facts, title: str) -> bytes:
        """The finished .docx as bytes."""
        import zipfile

        xml = self.docxtpl.render_xml_part(self.body, None, context, self.environment)
        xml = _highlight_marks(_fill_run_fonts(xml.replace(_EMPTY_RUN, ""), self.fonts))
        has_tables = "<w:tbl>" in xml or "<w:tbl " in xml
        xml = _insert_annex(xml, facts)
        if has_tables or _RUN_WITHOUT_EAST_ASIA.search(xml):
            # docxtpl's table repair (as its render() does) and fonts for runs the template left bare.
            from lxml import etree

            body = self.docxtpl.fix_tables(xml)
            _apply_fonts(body, self.fonts)
            xml = etree.tostring(body, encoding="unicode")
        rendered = {self.main: (self.head + xml + self.tail).encode("utf-8")}
        for filename, source in self.parts.items():
            rendered[filename] = _highlight_marks(self.docxtpl.render_xml_part(source, None, context, self.environment)).encode("utf-8")
        if self.core is not None:
            rendered["docProps/core.xml"] = _with_title(self.core, title)
        out = io.BytesIO(self.base)
        out.seek(0, io.SEEK_END)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
            for filename, blob in rendered.items():
                archive.writestr(filename, blob)
        return out.getvalue()


def _main_part(parts: dict[str, bytes]) -> str:
    rels = parts.get("_rels/.rels", b"").decode("utf-8", "ignore")
    match = re.search(r'Target="/?([^"]+)"[^>]*Type="[^"]*/officeDocument"|Type="[^"]*/officeDocument"[^>]*Target="/?([^"]+)"', rels)
    name = (match.group(1) or match.group(2)) if match else "word/document.xml"
    if name not in parts:
        raise ValueError("no main document part")
    return name


def _with_title(core: bytes, title: str) -> bytes:
    text = core.decode("utf-8")
    safe = escape(title, quote=False)
    if re.search(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", text, re.S):
        text = re.sub(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", lambda _: f"<dc:title>{safe}</dc:title>", text, count=1, flags=re.S)
    elif "</cp:coreProperties>" in text and "xmlns:dc=" in text:
        text = text.replace("</cp:coreProperties>", f"<dc:title>{safe}</dc:title></cp:coreProperties>")
    return _with_keyword(text).encode("utf-8")


def _with_keyword(core: str) -> str:
    """Add perfxl's mark to the keywords (a re-run may replace a report that carries it: perfxl/provenance.py)."""
    from .provenance import REPORT_KEYWORD

    found = re.search(r"<cp:keywords\s*/>|<cp:keywords>(.*?)</cp:keywords>", core, re.S)
    if found:
        words = (found.group(1) or "").strip()
        if REPORT_KEYWORD in re.split(r"[\s,;，；]+", words):
            return core
        merged = f"{words} {REPORT_KEYWORD}".strip()
        return core[: found.start()] + f"<cp:keywords>{merged}</cp:keywords>" + core[found.end():]
    if "</cp:coreProperties>" in core:
        return core.replace("</cp:coreProperties>", f"<cp:keywords>{REPORT_KEYWORD}</cp:keywords></cp:coreProperties>")
    return core


class _TemplateCache:
    """Compiled templates by (path, mtime, size), one Jinja environment: everything parsed once per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.templates: dict[tuple, CompiledTemplate] = {}
        self.environment = None

    def get(self, path: Path) -> CompiledTemplate:
        try:
            stat = path.stat()
        except OSError:
            raise FormError("template-missing", f"找不到报告模板：{path}。请检查路径，或去掉 --template 使用内置模板。", path) from None
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        compiled = self.templates.get(key)
        if compiled is None:
            compiled = _compile_template(path)
            with self.lock:
                if len(self.templates) > 16:
                    self.templates.clear()
                self.templates[key] = compiled
        return compiled

    def jinja(self):
        if self.environment is None:
            self.environment = _make_environment()
        return self.environment


def _compile_template(path: Path) -> CompiledTemplate:
    import jinja2

    try:
        return CompiledTemplate(path.read_bytes(), path.name)
    except jinja2.TemplateError as exc:
        detail = f"（{exc.message}）" if getattr(exc, "message", None) else ""
        raise FormError("template-error", f"报告模板 {path.name} 中的占位符有误{detail}：请检查 {{{{ }}}} 与 {{%p %}} 是否成对、拼写是否正确，或去掉 --template 使用内置模板。", path) from None
    except OSError as exc:
        raise FormError("template-unreadable", f"无法读取报告模板 {path.name}：{read_error_text(exc)}。", path) from None
    except Exception as exc:  # not a zip, no document part, broken XML …
        raise FormError("template-unreadable", f"无法读取报告模板 {path.name}（{exc.__class__.__name__}）：请确认它是用 Word/WPS 保存的 .docx 文件。", path) from None


def _make_environment():
    import jinja2

    class VisibleUndefined(jinja2.Undefined):
        """A misspelt placeholder shows up in the report instead of vanishing silently."""

        def __str__(self):
            return f"【模板占位符“{self._undefined_name}”不存在】"

        def __iter__(self):
            return iter(())

        def __bool__(self):
            return False

    class MemoEnvironment(jinja2.Environment):
        """docxtpl compiles the template source on every render; compile each source once instead."""

        def __init__(self, **options):
            super().__init__(**options)
            self.memo: dict[str, jinja2.Template] = {}

        def from_string(self, source, globals=None, template_class=None):
            if globals is not None or template_class is not None:
                return super().from_string(source, globals, template_class)
            template = self.memo.get(source)
            if template is None:
                template = super().from_string(source)
                if len(self.memo) > 64:
                    self.memo.clear()
                self.memo[source] = template
            return template

    return MemoEnvironment(autoescape=True, undefined=VisibleUndefined)


_CACHE = _TemplateCache()


def default_template(kind: str = KIND_PROJECT) -> Path:
    """The built-in template for a kind of form (the department one for a 部门整体支出绩效自评表)."""
    from .templates import DEPARTMENT_REPORT_TEMPLATE, REPORT_TEMPLATE, resource_path

    return resource_path(DEPARTMENT_REPORT_TEMPLATE if kind == KIND_DEPARTMENT else REPORT_TEMPLATE)


def load_template(template: Path | None = None) -> CompiledTemplate:
    """The report template (``None``: the built-in one), compiled once per process."""
    return _CACHE.get(Path(template) if template is not None else default_template())


def render_report(result, template: Path | None = None) -> bytes:
    """The report of one checked form as .docx bytes."""
    import jinja2

    path = Path(template) if template is not None else default_template(result.form.kind)
    compiled = load_template(path)
    context = build_context(result)
    title = context["title"]
    try:
        return compiled.render(context, context["_facts"], title)
    except jinja2.TemplateError as exc:
        detail = f"（{exc.message}）" if getattr(exc, "message", None) else ""
        raise FormError("template-error", f"报告模板 {path.name} 无法生成报告{detail}：请检查模板中的占位符，或去掉 --template 使用内置模板。", path) from None


def write_report(result, target: Path, template: Path | None = None) -> None:
    """Write the Word 绩效自评报告 of one checked form to ``target`` (atomically)."""
    from .writeutil import write_bytes_atomic

    write_bytes_atomic(Path(target), render_report(result, template))


def _insert_annex(xml: str, facts: Facts) -> str:
    """Put the 自评表 tables where the template's ``{{ annex_table }}`` paragraph was."""
    at = xml.find(_ANNEX_TOKEN)
    if at < 0:
        return xml
    start = max(xml.rfind("<w:p>", 0, at), xml.rfind("<w:p ", 0, at))
    end = xml.find("</w:p>", at)
    if start < 0 or end < 0:
        return xml
    end += len("</w:p>")
    tables = "".join(annex_tables(facts))
    if xml.startswith("</w:tc>", end):
        tables += "<w:p/>"  # a table cell must end with a paragraph
    return xml[:start] + tables + xml[end:]


_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.S)
_PSTYLE = re.compile(r'<w:pStyle w:val="([^"]*)"')
_RUN_WITHOUT_EAST_ASIA = re.compile(r"<w:r(?: [^>]*)?>(?!<w:rPr>(?:(?!</w:rPr>).)*?w:eastAsia=)", re.S)
_EMPTY_RUN = '<w:r><w:t xml:space="preserve"></w:t></w:r>'  # docxtpl leaves one after each {{r …}}
_HIGHLIGHT = '<w:highlight w:val="yellow"/>'
# Runs the report writes carry these slots; _fill_run_fonts puts in the fonts of the paragraph's style.
_FONT_SLOTS = '<w:rFonts w:ascii="\ue000L" w:hAnsi="\ue000L" w:eastAsia="\ue000E" w:cs="\ue000L"/>'


_MARK = re.compile(r"(【(?:待补充|请核实)[^】]*】)")
_MARKED_RUN = re.compile(r"<w:r>(?:<w:rPr>((?:(?!</w:rPr>).)*)</w:rPr>)?((?:<w:t(?: [^>]*)?>[^<]*</w:t>|<w:br/>)+)</w:r>", re.S)
_RUN_PIECE = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:br/>")
# CT_RPr children that come after w:highlight in the schema's sequence.
_AFTER_HIGHLIGHT = ("u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")


def _with_highlight(rpr: str) -> str:
    """Run properties with yellow highlighting added in its schema place."""
    if "<w:highlight " in rpr:
        return rpr
    match = re.search(r"<w:(?:%s)\b" % "|".join(_AFTER_HIGHLIGHT), rpr)
    at = match.start() if match else len(rpr)
    return rpr[:at] + _HIGHLIGHT + rpr[at:]


def _highlight_marks(xml: str) -> str:
    """【待补充：…】 and 【请核实…】 that reached the document through plain ``{{ … }}`` tags (the title,
    a user's template) are highlighted like the ones the report writes itself."""
    if "【待补充" not in xml and "【请核实" not in xml:
        return xml

    def run(match: re.Match) -> str:
        rpr, content = match.group(1) or "", match.group(2)
        if "<w:highlight " in rpr or not _MARK.search(content):
            return match.group(0)
        runs = []
        for piece in _RUN_PIECE.finditer(content):
            if piece.group(1) is None:
                runs.append(f"<w:r><w:rPr>{rpr}</w:rPr><w:br/></w:r>")
                continue
            for part in _MARK.split(piece.group(1)):
                if part:
                    props = _with_highlight(rpr) if _MARK.fullmatch(part) else rpr
                    runs.append(f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{part}</w:t></w:r>')
        return "".join(runs)

    return _MARKED_RUN.sub(run, xml)


def _fill_run_fonts(xml: str, fonts: dict) -> str:
    """Fonts of the report's own runs (written with empty slots) from the style of their paragraph."""
    if "\ue000E" not in xml:
        return xml

    def paragraph(match: re.Match) -> str:
        text = match.group(0)
        if "\ue000E" not in text:
            return text
        style = _PSTYLE.search(text)
        latin, east_asia = fonts.get(style.group(1) if style else None, fonts[None])
        return text.replace("\ue000L", escape(latin)).replace("\ue000E", escape(east_asia))

    latin, east_asia = fonts[None]  # slots outside any paragraph (should not happen)
    return _PARAGRAPH.sub(paragraph, xml).replace("\ue000L", escape(latin)).replace("\ue000E", escape(east_asia))


def _apply_fonts(body, fonts: dict) -> None:
    """Give every run lacking them explicit fonts (w:eastAsia included), from its paragraph's style."""
    from lxml import etree

    w = f"{{{W_NS}}}"
    default = fonts[None]
    missing = body.xpath(".//w:r[not(w:rPr/w:rFonts/@w:eastAsia) or w:rPr/w:rFonts/@w:eastAsiaTheme]", namespaces={"w": W_NS})
    for run in missing:
        paragraph = next(run.iterancestors(f"{w}p"), None)
        style = paragraph.find(f"{w}pPr/{w}pStyle") if paragraph is not None else None
        latin, east_asia = fonts.get(style.get(f"{w}val") if style is not None else None, default)
        rpr = run.find(f"{w}rPr")
        if rpr is None:
            rpr = etree.Element(f"{w}rPr")
            run.insert(0, rpr)
        rfonts = rpr.find(f"{w}rFonts")
        if rfonts is None:
            rfonts = etree.Element(f"{w}rFonts")
            rpr.insert(1 if rpr.find(f"{w}rStyle") is not None else 0, rfonts)
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            rfonts.attrib.pop(f"{w}{attr}", None)
        rfonts.set(f"{w}ascii", rfonts.get(f"{w}ascii") or latin)
        rfonts.set(f"{w}hAnsi", rfonts.get(f"{w}hAnsi") or latin)
        rfonts.set(f"{w}eastAsia", east_asia)


def _style_fonts(styles_xml: bytes | None) -> dict:
    """Paragraph style id → (latin, eastAsia), following w:basedOn; key None = the default style."""
    from lxml import etree

    w = f"{{{W_NS}}}"
    fallback = ("Times New Roman", "仿宋_GB2312")
    if not styles_xml:
        return {None: fallback}
    root = etree.fromstring(styles_xml)
    styles = {s.get(f"{w}styleId"): s for s in root.findall(f"{w}style")}
    defaults = root.find(f"{w}docDefaults/{w}rPrDefault/{w}rPr/{w}rFonts")
    base = (
        (defaults.get(f"{w}ascii") if defaults is not None else None) or fallback[0],
        (defaults.get(f"{w}eastAsia") if defaults is not None else None) or fallback[1],
    )

    def resolve(style_id, depth=0):
        style = styles.get(style_id)
        if style is None or depth > 20:
            return base
        based = style.find(f"{w}basedOn")
        inherited = resolve(based.get(f"{w}val"), depth + 1) if based is not None else base
        rfonts = style.find(f"{w}rPr/{w}rFonts")
        if rfonts is None:
            return inherited
        return (rfonts.get(f"{w}ascii") or inherited[0], rfonts.get(f"{w}eastAsia") or inherited[1])

    fonts = {style_id: resolve(style_id) for style_id in styles}
    default_id = next((sid for sid, s in styles.items() if s.get(f"{w}type") == "paragraph" and s.get(f"{w}default") in ("1", "true")), None)
    fonts[None] = fonts.get(default_id, base)
    return fonts
