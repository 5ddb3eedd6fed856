"""perfxl: check, recalculate and fill 项目支出绩效自评表, and write the 绩效自评报告.

Public API (heavy libraries load on first use)::

    from perfxl import read_form, check, fill
    result = check(read_form("自评表.xlsx"))
    outcome = fill("自评表.xlsx", output_dir="结果")  # writes the filled workbook and the report
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "read_form", "read_forms", "check", "check_file", "fill"]


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


def fill(path, output_dir=None, report: bool = True, template=None):
    """Check a form and write its filled workbook (and report): a FileOutcome, never raises for bad input."""
    from pathlib import Path

    from .batch import FillOptions, fill_path

    options = FillOptions(output_dir=Path(output_dir) if output_dir else None, report=report, template=Path(template) if template else None)
    return fill_path(Path(path), options)
