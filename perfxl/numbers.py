"""Reading the messy values people type into a 自评表.

A cell may hold ``918``, ``"918.00"``, ``"９１８"``, ``"918万元"``, ``"1,835"``, ``"100%"``,
``"≥95%"``, ``"不超过30天"``, ``"5个"``, ``"—"``, ``"/"`` or nothing. :func:`read_value` turns any of
them into a :class:`Reading` that says what number (if any) was written, with which comparator
and unit. Nothing here raises on odd input: what cannot be read comes back as ``kind="text"``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: Values that mean "nothing here" on a published form.
BLANK_MARKERS = frozenset({"", "-", "--", "—", "——", "―", "─", "/", "\\", "无", "N/A", "NA", "n/a", "…", "...", "0/0"})

#: Comparator words, longest first so that 大于等于 wins over 大于.
_COMPARATORS: tuple[tuple[str, str], ...] = (
    ("大于或等于", ">="), ("大于等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="),
    ("至少", ">="), (">=", ">="), ("≥", ">="), ("≧", ">="), ("⩾", ">="),
    ("小于或等于", "<="), ("小于等于", "<="), ("不超过", "<="), ("不高于", "<="), ("不多于", "<="),
    ("不大于", "<="), ("最多", "<="), ("<=", "<="), ("≤", "<="), ("≦", "<="), ("⩽", "<="),
    ("大于", ">"), ("超过", ">"), ("高于", ">"), (">", ">"),
    ("小于", "<"), ("少于", "<"), ("低于", "<"), ("<", "<"),
    ("等于", "="), ("==", "="), ("=", "="), ("═", "="),
)
_SUFFIX_COMPARATORS: tuple[tuple[str, str], ...] = (
    ("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="), ("以内", "<="),
)
_COMPARATOR_SYMBOL = dict(_COMPARATORS)
# One alternation, longest words first, so that 大于等于 wins over 大于.
_COMPARATOR_PREFIX = re.compile("|".join(re.escape(word) for word in sorted(_COMPARATOR_SYMBOL, key=len, reverse=True)))
_NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)(.*)$")
# A unit is a short run of letters, CJK characters or %/‰, with no digits in it.
_UNIT = re.compile(r"^[%‰A-Za-z\u4e00-\u9fff·/²³]{0,8}$")


@dataclass(frozen=True)
class Reading:
    """What one cell says, as far as numbers go.

    ``value`` is the number as written: ``"95%"`` gives ``value=95, unit="%"``; a cell holding
    0.95 with a percent number format gives the same. ``kind`` is ``"number"``, ``"blank"`` or
    ``"text"`` (anything else, including dates).
    """

    raw: object
    kind: str
    value: float | None = None
    comparator: str | None = None
    unit: str | None = None
    text: str = ""

    @property
    def is_number(self) -> bool:
        return self.kind == "number"

    @property
    def is_blank(self) -> bool:
        return self.kind == "blank"

    @property
    def fraction(self) -> float | None:
        """The value as a fraction when it is a percentage (95% → 0.95), else the value."""
        if self.value is None:
            return None
        if self.unit == "%":
            return self.value / 100
        if self.unit == "‰":
            return self.value / 1000
        return self.value


def clean_text(raw: object) -> str:
    """Text of a cell with full-width characters folded and all whitespace (incl. U+3000) removed."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split())


def display_text(raw: object) -> str:
    """Text of a cell for people: outer whitespace (incl. U+3000) trimmed, inner line breaks kept."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    text = str(raw).replace("\r\n", "\n")
    return text.strip(" \t\r\n\u3000\xa0")


def text_width(text: object, wide: str = "WF") -> int:
    """Columns a text takes: characters of the East-Asian width classes in ``wide`` (W, F: Chinese,
    full-width) count two. Spreadsheet column widths use the default; a terminal may add A."""
    return sum(2 if unicodedata.east_asian_width(ch) in wide else 1 for ch in str(text))


def read_value(raw: object, number_format: str | None = None) -> Reading:
    """Read one cell value; never raises."""
    if raw is None:
        return Reading(raw, "blank")
    if isinstance(raw, bool):
        return Reading(raw, "text", text="是" if raw else "否")
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value) or math.isinf(value):
            return Reading(raw, "blank")
        if number_format and "%" in number_format:
            return Reading(raw, "number", value=value * 100, unit="%", text=f"{_plain(value * 100)}%")
        return Reading(raw, "number", value=value, text=_plain(value))
    if isinstance(raw, (datetime, date, time)):
        return Reading(raw, "text", text=raw.isoformat())
    text = clean_text(raw)
    if text in BLANK_MARKERS:
        return Reading(raw, "blank", text=text)
    return _read_text(raw, text)


def _read_text(raw: object, text: str) -> Reading:
    comparator = None
    body = text
    found = _COMPARATOR_PREFIX.match(body)
    if found:
        comparator, body = _COMPARATOR_SYMBOL[found.group(0)], body[found.end():]
    match = _NUMBER.match(body)
    if not match:
        return Reading(raw, "text", text=text)
    number, rest = match.group(1), match.group(2)
    for word, symbol in _SUFFIX_COMPARATORS:
        if rest.endswith(word):
            comparator = comparator or symbol
            rest = rest[: -len(word)]
            break
    if not _UNIT.match(rest):
        return Reading(raw, "text", text=text)
    try:
        value = float(number.replace(",", ""))
    except ValueError:  # pragma: no cover - the pattern only lets floats through
        return Reading(raw, "text", text=text)
    return Reading(raw, "number", value=value, comparator=comparator, unit=rest or None, text=text)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def round_half_up(value: float, places: int = 2) -> float:
    """Round as Excel's ROUND does (half away from zero), immune to float noise like 2.675.

    The value is first taken to 15 significant digits, as Excel does: 9 / 400 × 10 is stored as
    0.22499999999999998 but is 0.225 to an accountant, so it rounds to 0.23.
    """
    try:
        quantum = Decimal(1).scaleb(-places)
        return float(Decimal(format(value, ".15g")).quantize(quantum, rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return value


def close(a: float | None, b: float | None, tolerance: float = 0.005) -> bool:
    """Accountants' equality: both present and within ``tolerance``."""
    return a is not None and b is not None and abs(a - b) <= tolerance + 1e-12


def format_number(value: float | None, places: int = 2) -> str:
    """A number as a person writes it: 102, 92.5, 917.5 (no trailing zeros), '—' when absent."""
    if value is None:
        return "—"
    rounded = round_half_up(value, places)
    text = f"{rounded:.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def format_percent(fraction: float | None, places: int = 2) -> str:
    """0.9999 → '99.99%', 1.0 → '100%'."""
    if fraction is None:
        return "—"
    return f"{format_number(fraction * 100, places)}%"
