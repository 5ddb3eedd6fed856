"""The 附件 of the Word report: the 自评表 as Word tables (WordprocessingML written as text).

Built from the report's :class:`~perfxl.report.facts.Facts`, the same strings the report's text uses, so
table and text can never disagree. :mod:`perfxl.report.engine` puts the tables where the template's
``{{ annex_table }}`` paragraph was.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from perfxl.read.labels import GRADE_PENDING
from perfxl.model import GROUP_ZH
from perfxl.report.engine import W_NS, run_xml

if TYPE_CHECKING:
    from perfxl.report.facts import Facts, FundFacts


def print_width(text: str) -> float:
    """Printed width in full-width characters (Latin letters and digits count half)."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


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
    return int(max((print_width(line) for line in text.split("\n")), default=0) * _CHAR) + _PADDING


_LABEL_TAILS = ("满意度指标", "效益指标", "影响指标", "指标")


def _label(text: str, limit: float = 6) -> str:
    """A label the table may break only where a reader would: 其中：| 当年财政拨款, 服务对象满意度 | 指标."""
    if print_width(text) <= limit or "\n" in text:
        return text
    for head in ("其中：", "其中:"):
        if text.startswith(head):
            return head + "\n" + text[len(head):]
    splits = [text[:-len(tail)] + "\n" + tail for tail in _LABEL_TAILS if text.endswith(tail) and len(text) > len(tail)]
    return min(splits, key=lambda label: max(print_width(line) for line in label.split("\n")), default=text)


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
        3: sum(print_width(ind.name) for ind in facts.indicators),
        4: sum(print_width(ind.target) for ind in facts.indicators),
        5: sum(print_width(ind.actual) for ind in facts.indicators),
        8: sum(print_width(ind.deviation) for ind in facts.indicators) + 20,
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
        if print_width(line) > 7:
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
        runs = run_xml(text, f'<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{font}" w:cs="Times New Roman"/>')
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
        return c(fund.inline_text, w(3, 6), span=6, align="left")
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
    for group, funds in facts.breakdowns():
        for index, fund in enumerate(funds):
            rows.append(c(GROUP_ZH.get(group, group) if index == 0 else "", w(0, 2), span=2,
                          vmerge="restart" if index == 0 else "continue", heading=True)
                        + c(_fund_label(fund.label), w(2, 1), align="left") + _fund_cells(fund, c, w))
    return rows


def _joined(indicators: list, index: int, field: str) -> str | None:
    """The vertical merge of a 分值/得分 cell shared by a scored group, as the form merged it."""
    if getattr(indicators[index], field):
        return "continue"
    if index + 1 < len(indicators) and getattr(indicators[index + 1], field):
        return "restart"
    return None


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
            + c(ind.weight if not ind.weight_joined else "", w(6, 1), vmerge=_joined(indicators, index, "weight_joined"))
            + c(ind.score if not ind.score_joined else "", w(7, 1), vmerge=_joined(indicators, index, "score_joined"))
            + c(ind.deviation, w(8, 1), align="left")
        )
    rows.append(c("总分", w(0, 6), span=6, heading=True) + c(facts.total_weight, w(6, 1)) + c(facts.total_score, w(7, 1))
                + c(f"等级：{facts.grade}" + ("【请核实】" if facts.grade == GRADE_PENDING else ""), w(8, 1)))
    # Word repeats only a table's first rows on each page, so the 绩效指标 block is a table of its
    # own, joined to the first by a 1-point paragraph (two tables with nothing between would merge).
    joint = ('<w:p><w:pPr><w:pStyle w:val="TableText"/><w:keepNext/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
             '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>')
    return [_table_xml(top, widths, bottom=False, keep_together=True), joint, _table_xml(rows, widths, header_rows=1)]

