"""perfxl: check, recalculate and fill 项目支出绩效自评表, and write the 绩效自评报告.

Public API (heavy libraries load on first use)::

    from perfxl import read_form, check
    result = check(read_form("自评表.xlsx"))
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "read_form", "read_forms", "check", "check_file"]


def read_form(path):
    from .reader import read_form as _read_form

    return _read_form(path)


def read_forms(path):
    from .reader import read_forms as _read_forms

    return _read_forms(path)


def check(form):
    from .rules import check as _check

    return _check(form)


def check_file(path):
    """Every form of a workbook, checked: a list of CheckResult."""
    from .rules import check as _check

    return [_check(form) for form in read_forms(path)]
