"""Scoring schemes as data: which scheme a form is on, recognised by what the form itself says.

perfxl checks forms on the 财政部 2020 scheme (预算执行率 10 分 on the 年度资金总额 row, every 三级指标
with its own 分值). Provinces publish forms on other schemes; a form on a scheme perfxl does not
check is refused by name (``unsupported-scheme``), never read as if it were on ours: a 20-point
budget part read as 10, block titles read as columns, a printed 总分 read as a 分值.

Each :class:`Scheme` names the labels that identify it (:attr:`Scheme.signs`: every pattern must match
some cell of the sheet, compared after :func:`perfxl.numbers.clean_text`), and, where the labels alone
could be shared with our own forms, the column its indicator table lacks. Adding a province whose
form is one of these families with other labels is a change to :data:`SCHEMES` only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from perfxl.numbers import clean_text


@dataclass(frozen=True)
class Scheme:
    code: str
    name: str  # as a reviewer calls it (Chinese)
    how: str  # how it scores, in one Chinese sentence
    supported: bool
    signs: tuple[str, ...] = ()  # regular expressions; all must match a cell for the form to be on this scheme
    lacks: str | None = None  # an indicator-table column such a form does not have (weight: no per-row 分值)

    def matches(self, lines: str, columns: set[str]) -> bool:
        """``lines``: the sheet's cell texts, one a line."""
        if not self.signs or (self.lacks is not None and self.lacks in columns):
            return False
        return all(_compiled(sign).search(lines) for sign in self.signs)


@functools.lru_cache(maxsize=None)
def _compiled(sign: str) -> re.Pattern:
    return re.compile(sign, re.MULTILINE)  # ^ and $ at each cell's text


#: An 一级 label as these forms write it: the name, 指标 or not, and its weight or not (决策（10分）).
_LEVEL1 = r"^{}(?:指标)?(?:[(（]\d+(?:\.\d+)?分[)）])?$"

#: The scheme perfxl checks; every form that is on none of the others is read as this one.
MOF_2020 = Scheme(
    "mof-2020", "财政部 2020 年项目支出绩效自评表", "预算执行率 10 分（表上另有写明的从其规定）在年度资金总额行计分，各三级指标自设分值，总分 100 分",
    supported=True,
)

SCHEMES: tuple[Scheme, ...] = (
    MOF_2020,
    Scheme("hubei-20-80", "湖北 20/80 评分的自评表",
           "预算执行 20 分（20 分 × 执行率），年度绩效目标 80 分，三级指标不设分值、一个得分可跨几行",
           supported=False, signs=(r"^年度绩效目标\d*[(（]\d+(?:\.\d+)?分[)）]$",), lacks="weight"),
    Scheme("chongqing-department", "重庆部门整体支出绩效自评表",
           "执行率得分 = 执行率 × 执行率权重，指标得分 = 得分系数 × 指标权重，没有一级、二级指标",
           supported=False, signs=(r"执行率权重", r"得分系数|指标权重")),
    Scheme("whole-process", "全过程（决策、过程、产出、效益）评价表",
           "决策、过程（管理）、产出、效益四类一级指标，预算执行率是“过程”下的一项三级指标，不单独计分",
           supported=False, signs=(_LEVEL1.format("决策"), _LEVEL1.format("(?:过程|管理)"))),
    Scheme("hebei-weight-share", "河北权重占比折算表",
           "单项指标得分 × 权重占比 = 折算得分",
           supported=False, signs=(r"权重占比", r"折算得分")),
    Scheme("input-output-outcome", "投入、产出、结果三类一级指标的评价表",
           "投入、产出、结果三类一级指标",
           supported=False, signs=(_LEVEL1.format("投入"), _LEVEL1.format("结果"))),
)
BY_CODE = {scheme.code: scheme for scheme in SCHEMES}


def recognise(values, columns: set[str]) -> list[Scheme]:
    """The schemes other than ours whose signs the sheet carries (``values``: its cell values;
    ``columns``: the indicator-table fields its header has). Empty: the form is on our scheme.
    More than one: labels of several schemes, which no real form mixes — refused, never guessed."""
    lines = "\n".join(text for value in values if isinstance(value, str) and (text := clean_text(value)))
    return [scheme for scheme in SCHEMES if not scheme.supported and scheme.matches(lines, columns)]


def refusal(name: str, sheet: str, found: list[Scheme]) -> str:
    """The message of an ``unsupported-scheme`` refusal: what the form is, what perfxl checks."""
    ours = f"perfxl 目前只校验{MOF_2020.name}（{MOF_2020.how}）"
    if len(found) > 1:
        named = "、".join(f"“{scheme.name}”" for scheme in found)
        return (f"{name}（工作表“{sheet}”）同时带有{named}的标签，不是任何一种已知的自评表：{ours}，"
                "不会猜测这张表按哪种方式评分。请核对表格是否由几张表拼成，按本地区的正式表样重新填写。")
    scheme = found[0]
    return (f"{name}（工作表“{sheet}”）是{scheme.name}（{scheme.how}）：{ours}，还不能按这种评分方式核对，"
            "为免给出错误的结论，不读取这张表。请按本地区的评分办法人工核对，或改用财政部 2020 年格式的自评表（perfxl template）。")
