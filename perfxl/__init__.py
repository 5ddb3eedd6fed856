"""perfxl: check, recalculate and fill 绩效自评表, and write the 绩效自评报告.

The command line is a thin layer over these functions; each takes paths and returns the objects the
JSON output is made from (see docs/api.md, whose examples run as tests)::

    import perfxl
    [result] = perfxl.check("自评表.xlsx")        # a CheckResult per form in the workbook
    result.ok, result.computed.total_score, [f.code for f in result.findings]
    outcome = perfxl.fill("自评表.xlsx", "结果")   # writes the filled workbook and the Word report
    frame = perfxl.results_frame(perfxl.check("自评表.xlsx"))  # one row per form (pandas)

Heavy libraries (pandas, openpyxl, python-docx) load on first use, so importing perfxl is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import pandas as pd

    from perfxl.pipeline import FileOutcome
    from perfxl.model import Form
    from perfxl.checks.rules import CheckResult

__version__ = "0.1.0"
__all__ = ["__version__", "read_forms", "read_form", "check", "check_form", "fill", "write_report", "results_frame"]


def read_forms(path: str | Path) -> list[Form]:
    """Every 自评表 of a workbook (one per sheet), as read: cells with their addresses, nothing checked.

    Raises :class:`perfxl.model.FormError` (with a Chinese ``message``) when the file cannot be
    read or holds no 自评表.
    """
    from perfxl.read.reader import read_forms as _read_forms

    return _read_forms(Path(path))


def read_form(path: str | Path) -> Form:
    """The first 自评表 of a workbook (see :func:`read_forms`)."""
    return read_forms(path)[0]


def check_form(form: Form) -> CheckResult:
    """Recalculate one form and list every inconsistency: a :class:`perfxl.checks.rules.CheckResult`."""
    from perfxl.checks.rules import check as _check

    return _check(form)


def check(path: str | Path) -> list[CheckResult]:
    """Read and check every form of a workbook: a CheckResult per form (``to_dict()`` is the JSON).

    Raises :class:`perfxl.model.FormError` when the file cannot be read, as :func:`read_forms`.
    """
    from perfxl.checks.trust import check_book

    return check_book(Path(path))


def fill(path: str | Path, output_dir: str | Path | None = None, *, report: bool = True, template: str | Path | None = None,
         strict: bool = False, force: bool = False) -> FileOutcome:
    """Check a workbook and write ``<stem>_自评结果.xlsx`` and (unless ``report=False``) its Word report.

    Never raises for a bad input or an unwritable output: the returned
    :class:`perfxl.pipeline.FileOutcome` has ``results``, ``outputs`` (the paths written), ``error``
    (a FormError or None) and ``exit_code`` (0/1/2 as on the command line). ``output_dir``: default
    beside the input; ``strict``: no report for a form with errors; ``force``: replace an existing
    file that perfxl did not write.
    """
    from perfxl.pipeline import fill_path, FillOptions

    options = FillOptions(output_dir=Path(output_dir) if output_dir else None, report=report,
                          template=Path(template) if template else None, strict=strict, force=force)
    return fill_path(Path(path), options)


def write_report(path: str | Path, output_dir: str | Path | None = None, *, template: str | Path | None = None,
                 force: bool = False) -> FileOutcome:
    """Write the Word report(s) of a workbook alone (``perfxl report``); the outcome as :func:`fill`."""
    from perfxl.pipeline import fill_path, FillOptions

    options = FillOptions(output_dir=Path(output_dir) if output_dir else None, workbook=False,
                          template=Path(template) if template else None, force=force)
    return fill_path(Path(path), options)


def results_frame(results: Iterable[CheckResult]) -> pd.DataFrame:
    """A pandas DataFrame of checked forms, one row each: the columns of 汇总.xlsx (file, sheet, kind,
    project, department, budget, executed, rate, score_stated, score_computed, grade, errors, warnings, ok)."""
    import pandas as pd

    from perfxl.batch.records import FormRow

    columns = ["file", "sheet", "kind", "project", "department", "budget", "executed", "rate",
               "score_stated", "score_computed", "grade", "errors", "warnings", "ok"]
    rows = []
    for result in results:
        row = FormRow.of(result)
        rows.append({"file": result.form.path.name, **{name: getattr(row, name) for name in columns[1:]},
                     "project": row.project or None, "department": row.department or None})
    return pd.DataFrame(rows, columns=columns)
