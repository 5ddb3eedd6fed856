"""perfxl's own file format: every mark by which a file says perfxl wrote it, or marked it, in one place.

A filled workbook carries comments by the author :data:`PERFXL_AUTHOR` (a thread reply by the person
:data:`PERFXL_PERSON_ID` in Excel 365), beginning either with a finding (``【错误】…``) or with a
``原填写`` record of a cell perfxl rewrote (:func:`original_comment`, read back by
:func:`parse_record`); a user's own comment on such a cell is kept after :data:`USER_COMMENT_MARKER`.
It has a :data:`FINDINGS_SHEET` (A1 its name, A2 ``文件：…``, the :data:`FINDINGS_HEADERS` row) and a
very hidden :data:`ORIGINAL_FILLS_SHEET` with the fills perfxl replaced. A report carries
:data:`REPORT_KEYWORD` in its keywords; 汇总.xlsx begins with :data:`SUMMARY_SIGNATURE`.

Everything here is a definition: the readers (:mod:`perfxl.read`, :mod:`perfxl.checks.trust`),
the writers (:mod:`perfxl.write`, :mod:`perfxl.report`, :mod:`perfxl.batch.summary`) and
:mod:`perfxl.mark.provenance` (which files perfxl may replace) all take these words from here, so
they cannot drift apart. What a record says decides no verdict (see :mod:`perfxl.checks.trust`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from perfxl.model import SEVERITY_ZH
from perfxl.numbers import Reading, close, read_value

#: The 校验结果 sheet perfxl adds to a filled workbook (its name is also its A1 title).
FINDINGS_SHEET = "校验结果"
#: The very hidden sheet where perfxl keeps the fill each highlighted cell had.
ORIGINAL_FILLS_SHEET = "perfxl原底色"
FINDINGS_HEADERS = ("严重程度", "代码", "单元格", "说明")
FILE_PREFIX = "文件："
#: A report perfxl wrote has this word among its document keywords.
REPORT_KEYWORD = "perfxl"
#: A workbook's custom document property that marks it as perfxl's (older outputs).
CUSTOM_PROPERTY = "perfxl"
#: The first columns of 汇总.xlsx: how perfxl recognises its own summary (the older one had no 类型).
SUMMARY_SIGNATURE = ("文件", "类型", "项目名称", "主管部门")
SUMMARY_SIGNATURES = (SUMMARY_SIGNATURE, ("文件", "项目名称", "主管部门"))
#: Separates perfxl's comment text from a comment the user had already put on the cell.
USER_COMMENT_MARKER = "\n\n【原批注"
#: The person of perfxl's thread replies (Excel 365 threaded comments).
PERFXL_PERSON_ID = "{5E5F9F0A-6A1C-4D4E-9B1F-70657266786C}"


#: Author of every comment perfxl writes; lets a re-run recognise (and replace) its own comments.
PERFXL_AUTHOR = "perfxl"
ORIGINAL_PREFIX = "原填写："
_BLANK_ORIGINAL = "（空）"


_RECOMPUTED_PREFIX = "；按规则重新计算："
_FORMULA_PREFIX = "（公式："
_FORMULA_RECORD = re.compile(r"(.*?)（公式：(=.*)）", re.S)
#: What perfxl writes after the stated value: a number, a percent, a grade word; then the line ends.
_RECOMPUTED = re.compile(r"；按规则重新计算：([^\n；：，。“”'\"]{1,24})(?=\n|$)")


def original_comment(original: str, recomputed: str) -> str:
    """Comment text for a derived cell whose stated value perfxl replaced (see :func:`original_record`)."""
    return f"{ORIGINAL_PREFIX}{original or _BLANK_ORIGINAL}{_RECOMPUTED_PREFIX}{recomputed}"


def original_record(shown: str, formula: str | None = None, is_text: bool = False) -> str:
    """What a 原填写 record says, keeping the type of what it records.

    A formula is recorded with the value it showed (``100（公式：=SUM(G5:G24)）``), so that reading
    the record back gives that value; text that looks like a formula (or like such a record) gets
    Excel's text mark (``'=HYPERLINK(…)``), so that it is read back as that text, never as a formula.
    """
    if formula:
        return f"{shown}{_FORMULA_PREFIX}{formula}）"
    if is_text and (shown.startswith(("=", "'")) or _FORMULA_PREFIX in shown):
        return "'" + shown  # text, verbatim: never read back as a formula or a formula's record
    return shown


@dataclass(frozen=True)
class Record:
    """A 原填写 record read from a comment: what it says the form stated and what perfxl wrote.

    Anyone can type such a comment, so a record decides nothing by itself: the reading honours it
    only where the cell still shows what perfxl writes there by the rules (see
    :func:`perfxl.checks.trust.honoured_records`), and its formula part is never more than words.
    """

    original: str  # the stated value as text ('' when blank; for a formula, the value it showed)
    recomputed: str  # the value the record says perfxl wrote
    written: str  # the record's own words after 原填写： (kept verbatim in the next comment)


def parse_record(text: str | None) -> Record | None:
    """The 原填写 record at the start of a comment, or None when the comment has none."""
    if not text or not text.startswith(ORIGINAL_PREFIX):
        return None
    body = text[len(ORIGINAL_PREFIX):]
    # The record ends at the first "；按规则重新计算：<a value perfxl writes>" closing its line: the
    # stated text before it may itself hold that phrase (followed by more), the findings after it quote it.
    found = _RECOMPUTED.search(body)
    if found is None:
        return None
    written, rest = body[:found.start()], found.group(1)
    original = written
    formula = None if written.startswith("'") else _FORMULA_RECORD.fullmatch(written)
    if formula:  # "100（公式：=SUM(…)）": the value the formula showed (the formula itself is only words)
        original = formula.group(1)
    return Record("" if original == _BLANK_ORIGINAL else original, rest, written)


def record_matches(record: Record, current: object, number_format: str | None = None) -> bool:
    """True when a cell showing ``current`` shows what ``record`` says perfxl wrote."""
    return bool(record.recomputed) and _same(read_value(record.recomputed), read_value(current, number_format))


def _same(written: Reading, current: Reading) -> bool:
    if written.is_number and current.is_number:
        return (written.unit == "%") == (current.unit == "%") and close(written.value, current.value)
    return written.text == current.text


def findings_sheet_file_name(value: Callable[[int, int], object], rows: Iterable[int]) -> str | None:
    """The input file name a 校验结果 sheet written by perfxl names; None when the sheet is not perfxl's.

    ``value(row, column)`` gives a cell's text (1-based); ``rows``: the rows to look at for the
    header. perfxl's sheet has 校验结果 in A1, ``文件：…`` in A2, and the header row
    严重程度 / 代码 / 单元格 below (a user's own sheet of that name is left alone).
    """
    head, second = value(1, 1), value(2, 1)
    if head != FINDINGS_SHEET or not isinstance(second, str) or not second.startswith(FILE_PREFIX):
        return None
    if any(tuple(value(row, col) for col in (1, 2, 3)) == FINDINGS_HEADERS[:3] for row in rows):
        return second[len(FILE_PREFIX):]
    return None


_PERFXL_AUTHOR = re.compile(rf"<(?:\w+:)?author>{re.escape(PERFXL_AUTHOR)}</(?:\w+:)?author>".encode())


#: How every comment perfxl writes begins: a record of a derived cell, or a finding.
PERFXL_COMMENT_STARTS = (ORIGINAL_PREFIX, *(f"【{word}】" for word in SEVERITY_ZH.values()))


def is_perfxl_comment(author: str, text: str) -> bool:
    """A comment an earlier run wrote, as far as the words tell: by the author ``perfxl`` or by no
    one (LibreOffice re-saves every author as " "), beginning as perfxl's comments begin. It is
    removed and rewritten by a re-fill; its words decide no verdict (see perfxl.checks.trust)."""
    return (author == PERFXL_AUTHOR or not author.strip()) and text.startswith(PERFXL_COMMENT_STARTS)


def comments_by_perfxl(comments_xml: bytes) -> bool:
    """True when a comments part (``xl/commentsN.xml``) holds comments perfxl wrote (its author is listed)."""
    return _PERFXL_AUTHOR.search(comments_xml) is not None

