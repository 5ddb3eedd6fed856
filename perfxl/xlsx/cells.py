"""A1 cell addresses: the one parser and printer every module uses."""

from __future__ import annotations

import re


def column_letter(col: int) -> str:
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' → 1, 'AA' → 27 (the inverse of column_letter)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index


def a1(row: int, col: int) -> str:
    """(5, 2) → 'B5'."""
    return f"{column_letter(col)}{row}"


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def split_ref(ref: str) -> tuple[int, int]:
    """'H25' → (25, 8), the inverse of :func:`a1` (``$H$25`` too); ValueError for anything else."""
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise ValueError(ref)
    return int(match.group(2)), column_index(match.group(1))
