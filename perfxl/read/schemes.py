"""Scoring schemes as data: which scheme a form is on, recognised by what the form itself says, and how
that scheme scores (what the reader and the rules read instead of assuming 10 + 90).

perfxl checks forms on the 财政部 2020 scheme (预算执行率 10 分 on the 年度资金总额 row, every 三级指标
with its own 分值) and on the families below that provinces publish. A form on a scheme perfxl does not
check is refused by name (``unsupported-scheme``), never read as if it were on ours: a 20-point
budget part read as 10, block titles read as columns, a printed 总分 read as a 分值.

Each :class:`Scheme` names the labels that identify it (:attr:`Scheme.signs`: every pattern must match
some cell of the sheet, compared after :func:`perfxl.numbers.clean_text`), where the labels alone
could be shared with our own forms the column its indicator table lacks, and how it scores
(:class:`Scoring`). Adding a province whose form is one of these families with other labels is a
change to :data:`SCHEMES` only (its signs, and column words where its headers are worded otherwise).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from perfxl.numbers import clean_text

#: How a 三级指标 row's score is formed (:attr:`Scoring.row_score`).
ROW_OWN_WEIGHT = "own-weight"  # each row has its own 分值 (权重, 参考分值) and 得分 ≤ 分值
ROW_BLOCK = "block"  # no per-row 分值: weights stated on the 一级 labels (（N分）) and on the blocks; 得分 only
ROW_COEFFICIENT = "coefficient"  # 指标得分 = 得分系数 × 指标权重
ROW_UNSCORED = "unscored"  # no 分值, no 得分: the indicators are reported, not scored (中央转移支付 绩效目标自评表)

#: Where the budget-execution part is scored (:attr:`Scoring.budget`).
BUDGET_ROW = "funds-row"  # on a row of the funds block (年度资金总额, or one of Scoring.budget_rows)
BUDGET_INDICATOR = "indicator"  # a 三级指标 (预算执行率 under 过程/管理): no separate budget score
BUDGET_NONE = "none"  # nothing is scored: the money is checked, there is no score to check


@dataclass(frozen=True)
class Scoring:
    """How a scheme scores a form: the data the reader and :mod:`perfxl.checks.rules` read."""

    budget: str = BUDGET_ROW
    budget_weight: float = 10.0  # the budget part's points where the form does not state them
    budget_rows: tuple[str, ...] = ("funds_total",)  # funds rows the budget score may sit on, in order of preference
    budget_places: tuple[int, ...] = (2,)  # decimals a stated budget score may be rounded to
    execution_indicator: str | None = None  # regex of the 三级指标 that scores execution (BUDGET_INDICATOR)
    row_score: str = ROW_OWN_WEIGHT
    block_title: str | None = None  # regex of a block title (年度绩效目标（80分）) in the first cell of a header row
    total_in_header: str | None = None  # regex of a total label printed above the indicator table (自评总分)
    #: Fields an indicator table of this scheme must have (the others are optional).
    needed_columns: tuple[str, ...] = ("target", "actual", "weight", "score", "deviation")
    #: Header words tried before labels.INDICATOR_COLUMN_WORDS / FUND_COLUMN_WORDS (field, words).
    column_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fund_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Words of an indicator name that make it lower-is-better without a ≤ sign (结转结余率).
    lower_better: tuple[str, ...] = ()
    standard_level1: bool = True  # 产出 50 / 效益 30 / 满意度 10 (+ budget 10) is the standard split
    parts_complete: bool = True  # the funds rows under the total sum to it (False: 其中 lines, a part of it only)
    #: Tables of other columns one after another (全过程: 决策/过程 with 分值 | 评价标准 | 自评分, then 产出/效益
    #: with targets): the form has every column some table has, and the 总分 row is read by the last one's.
    part_tables: bool = False


#: Codes of the catalogue that do not apply to a scheme, by what it lacks (listed per scheme by
#: ``perfxl check --list-rules``; the rules never give them on such a form).
_PER_ROW_WEIGHT_RULES = ("level1-weight-mismatch", "deviation-missing", "deducted-but-complete", "full-but-incomplete",
                         "score-rule-mismatch", "nonstandard-weights", "total-weight-mismatch")


@dataclass(frozen=True)
class Scheme:
    code: str
    name: str  # as a reviewer calls it (Chinese)
    how: str  # how it scores, in one Chinese sentence
    supported: bool
    signs: tuple[str, ...] = ()  # regular expressions; all must match a cell for the form to be on this scheme
    lacks: tuple[str, ...] = ()  # indicator-table columns such a form does not have (weight: no per-row 分值)
    scoring: Scoring = field(default_factory=Scoring)
    short: str = ""  # a short name for tables (汇总, the rule list)
    own_rules: tuple[str, ...] = ()  # catalogue codes only this scheme's forms get
    skipped_rules: tuple[str, ...] = ()  # general catalogue codes that do not apply to it

    def matches(self, lines: str, columns: set[str]) -> bool:
        """``lines``: the sheet's cell texts, one a line."""
        if not self.signs or any(column in columns for column in self.lacks):
            return False
        return all(_compiled(sign).search(lines) for sign in self.signs)

    def applies(self, code: str) -> bool:
        """Whether the rule ``code`` of the catalogue is checked on this scheme's forms."""
        if code in self.skipped_rules:
            return False
        if self.scoring.row_score == ROW_UNSCORED:
            return code in self.own_rules or code in _MONEY_RULES
        return code in self.own_rules or code not in SCHEME_RULES


@functools.lru_cache(maxsize=None)
def _compiled(sign: str) -> re.Pattern:
    return re.compile(sign, re.MULTILINE)  # ^ and $ at each cell's text


#: An 一级 label as these forms write it: the name, 指标 or not, and its weight or not (决策（10分）).
_LEVEL1 = r"^{}(?:指标)?(?:[(（]\d+(?:\.\d+)?分[)）])?$"
#: A 湖北 block title: 年度绩效目标（80分）, 年度绩效目标1（40分）.
HUBEI_BLOCK = r"^年度绩效目标\d*[(（]\d+(?:\.\d+)?分[)）]$"

#: The scheme perfxl checks; every form that is on none of the others is read as this one.
MOF_2020 = Scheme(
    "mof-2020", "财政部 2020 年项目支出绩效自评表", "预算执行率 10 分（表上另有写明的从其规定）在年度资金总额行计分，各三级指标自设分值，总分 100 分",
    supported=True, short="财政部2020",
)

HUBEI_20_80 = Scheme(
    "hubei-20-80", "湖北 20/80 评分的自评表",
    "预算执行 20 分（20 分 × 执行率），年度绩效目标 80 分，三级指标不设分值、一个得分可跨几行",
    supported=True, signs=(HUBEI_BLOCK,), lacks=("weight",), short="湖北20/80",
    scoring=Scoring(budget_weight=20.0, budget_places=(2, 1), row_score=ROW_BLOCK, block_title=HUBEI_BLOCK,
                    needed_columns=("target", "actual", "score"), standard_level1=False),
    own_rules=("block-weight-mismatch", "level1-score-exceeds"),
    skipped_rules=_PER_ROW_WEIGHT_RULES,
)

CHONGQING_DEPARTMENT = Scheme(
    "chongqing-department", "重庆部门整体支出绩效自评表",
    "执行率得分 = 执行率 × 执行率权重，指标得分 = 得分系数 × 指标权重，没有一级、二级指标，自评总分 = 执行率得分 + 各指标得分",
    supported=True, signs=(r"执行率权重",), short="重庆部门整体",
    scoring=Scoring(budget_weight=10.0, budget_rows=("funds_total", "funds_current"), row_score=ROW_COEFFICIENT,
                    total_in_header=r"^(?:自评总分|自评得分|总分)[:：]?$",
                    needed_columns=("target", "actual", "weight", "score"),
                    column_words=(("coefficient", ("得分系数", "完成系数")), ("adjusted_target", ("调整指标值", "调整后指标值", "调整目标值")),
                                  ("core", ("是否核心",)), ("weight", ("指标权重",)), ("score", ("指标得分",)),
                                  ("deviation", ("说明",))),
                    fund_words=(("weight", ("执行率权重",)), ("score", ("执行率得分",))),
                    parts_complete=False,
                    lower_better=("变动率", "调整率", "结转结余率", "结余率", "受害率", "成灾率", "发生率", "投诉率", "差错率", "事故"),
                    standard_level1=False),
    own_rules=("coefficient-score-mismatch",),
    skipped_rules=("level1-weight-mismatch", "nonstandard-weights", "deviation-missing"),
)

WHOLE_PROCESS = Scheme(
    "whole-process", "全过程（决策、过程、产出、效益）评价表",
    "决策、过程（管理）、产出、效益四类一级指标，预算执行率是“过程”下的一项三级指标（分值 × 执行率），不单独计分，总分为各指标得分之和",
    supported=True, signs=(_LEVEL1.format("决策"), _LEVEL1.format("(?:过程|管理)")), short="全过程",
    scoring=Scoring(budget=BUDGET_INDICATOR, budget_weight=0.0, execution_indicator=r"^(?:预算|资金)?执行率$|^预算执行率",
                    row_score=ROW_OWN_WEIGHT, needed_columns=("target", "actual", "weight", "score"),
                    total_in_header=r"^(?:自评总分|自评得分)[:：]?$",
                    column_words=(("reviewer", ("复核分", "复核", "审核评分", "财政审核", "评审分")),
                                  ("standard", ("评价标准", "评分标准", "评分细则"))), standard_level1=False,
                    part_tables=True),
    own_rules=("execution-indicator-mismatch", "level2-weight-mismatch"),
    skipped_rules=("budget-score-mismatch", "subrow-scored", "nonstandard-weights"),
)

#: The rules that have something to check on a form without scores: its money, its cells, its text.
_MONEY_RULES = ("funds-sum-mismatch", "rate-mismatch", "budget-zero", "executed-exceeds-budget", "amount-not-number",
                "required-missing", "template-text-left", "column-missing", "derived-blank", "row-unread", "cell-unread",
                "roundtrip-loss", "indicator-misfiled", "percent-unclear")

CENTRAL_UNSCORED = Scheme(
    "central-transfer-unscored", "中央对地方转移支付《绩效目标自评表》（不计分）",
    "只填写资金和各项指标的完成情况，不设分值、不打分",
    supported=True, signs=(r"绩效目标自评表",), lacks=("weight", "score"), short="转移支付不计分",
    scoring=Scoring(budget=BUDGET_NONE, budget_weight=0.0, row_score=ROW_UNSCORED, needed_columns=("target", "actual"),
                    standard_level1=False, fund_words=(("arrived", ("到位",)),)),
    own_rules=("no-score-to-check", "executed-exceeds-arrived"),
    skipped_rules=(),
)

SCHEMES: tuple[Scheme, ...] = (
    MOF_2020,
    HUBEI_20_80,
    CHONGQING_DEPARTMENT,
    WHOLE_PROCESS,
    CENTRAL_UNSCORED,
    Scheme("hebei-weight-share", "河北权重占比折算表",
           "单项指标得分 × 权重占比 = 折算得分",
           supported=False, signs=(r"权重占比", r"折算得分")),
    Scheme("input-output-outcome", "投入、产出、结果三类一级指标的评价表",
           "投入、产出、结果三类一级指标",
           supported=False, signs=(_LEVEL1.format("投入"), _LEVEL1.format("结果"))),
)
BY_CODE = {scheme.code: scheme for scheme in SCHEMES}
#: Catalogue codes that belong to one scheme or another (given only where a scheme lists them as its own).
SCHEME_RULES = frozenset(code for scheme in SCHEMES for code in scheme.own_rules)


def recognise(values, columns: set[str]) -> list[Scheme]:
    """The schemes other than ours whose signs the sheet carries (``values``: its cell values;
    ``columns``: the indicator-table fields its header has). Empty: the form is on our scheme.
    More than one: labels of several schemes, which no real form mixes — refused, never guessed."""
    lines = "\n".join(text for value in values if isinstance(value, str) and (text := clean_text(value)))
    return [scheme for scheme in SCHEMES if scheme is not MOF_2020 and scheme.matches(lines, columns)]


def of(code: str) -> Scheme:
    """The scheme a form was read on (``form.scheme``)."""
    return BY_CODE[code]


def note(code: str) -> str:
    """``；评分方式：湖北 20/80 评分的自评表`` after a form's kind (text output, 校验结果); '' on the 财政部 2020 scheme."""
    return "" if code == MOF_2020.code else f"；评分方式：{of(code).name}"


def rules_by_scheme(codes) -> dict[str, list[str]]:
    """scheme code → the catalogue ``codes`` checked on its forms (supported schemes only)."""
    return {scheme.code: [code for code in codes if scheme.applies(code)] for scheme in SCHEMES if scheme.supported}


def refusal(name: str, sheet: str, found: list[Scheme]) -> str:
    """The message of an ``unsupported-scheme`` refusal: what the form is, what perfxl checks."""
    known = "、".join(f"{scheme.name}" for scheme in SCHEMES if scheme.supported)
    ours = f"perfxl 校验{known}"
    if len(found) > 1:
        named = "、".join(f"“{scheme.name}”" for scheme in found)
        return (f"{name}（工作表“{sheet}”）同时带有{named}的标签，不是任何一种已知的自评表：{ours}，"
                "不会猜测这张表按哪种方式评分。请核对表格是否由几张表拼成，按本地区的正式表样重新填写。")
    scheme = found[0]
    return (f"{name}（工作表“{sheet}”）是{scheme.name}（{scheme.how}）：{ours}，还不能按这种评分方式核对，"
            "为免给出错误的结论，不读取这张表。请按本地区的评分办法人工核对，或改用财政部 2020 年格式的自评表（perfxl template）。")
