"""What perfxl trusts in a submitted file: the verdict comes from what its cells show; perfxl's own records only explain history.

A filled workbook carries, in the comment of each derived cell perfxl rewrote, a record of what the
form stated (``原填写：92；按规则重新计算：102``). Checking that output again should give the findings
of the form as submitted, and filling it again the same workbook, so the reading may use the record.
But anyone can type such a comment (its author too), so a record is honoured only where it cannot
change a verdict for the better:

* only on a cell the rules derive (执行率, 预算执行率得分, 总分, 等级, a blank subtotal): a record on
  any other cell (a 三级 得分, a 分值) is ignored;
* only while that cell shows the rules' value, recomputed from the cells now — what perfxl writes
  there — and the record says that is the value perfxl wrote. A cell showing anything else is read
  as it shows (a wrong value is an error whatever its comment says);
* what the record says the form stated is read back as a value (a number, or text), never as a
  formula: a formula in a record is words in a comment, and stays there;
* and the check with the records honoured must keep every error of the check of the cells as they
  show, with the same recalculated values; otherwise the records are ignored.

So a record can add the history of a value perfxl corrected (the errors the submitted form had),
never take an error away. :func:`check_book` is the one reading-and-checking that ``check``,
``fill`` and ``report`` share; the records it honoured are left in ``book.honoured`` for the
writer, which restores exactly those cells before re-marking them.
"""

from __future__ import annotations

from pathlib import Path

from perfxl.read.workbook import Book, open_book


def check_book(path: Path | str, book: Book | None = None) -> list:
    """Read and check every form of a workbook (a :class:`perfxl.checks.rules.CheckResult` each), with
    perfxl's records honoured by the rules above. Raises FormError as :func:`perfxl.read.reader.read_forms`."""
    from perfxl.read.reader import read_forms
    from perfxl.checks.rules import check

    path = Path(path)
    book = book if book is not None else open_book(path, styles=False)
    results = [check(form) for form in read_forms(path, book)]
    honoured = honoured_records(book, results)
    if not honoured:
        return results
    grids = {grid.name: grid for grid in book.sheets}
    shown = {}
    for sheet, cells in honoured.items():
        for key, record in cells.items():
            shown[(sheet, key)] = grids[sheet].values.get(key)
            _put(grids[sheet], key, _stated(record.original))
    again = [check(form) for form in read_forms(path, book)]
    if _no_better(results, again):
        book.honoured = honoured
        return again
    for (sheet, key), value in shown.items():  # the records would have changed the verdict: ignored
        _put(grids[sheet], key, value)
    return results


def honoured_records(book: Book, results: list) -> dict:
    """Sheet → cell → the record honoured there: a derived cell showing the rules' value, whose
    record says perfxl wrote that value."""
    from perfxl.mark.format import record_matches
    from perfxl.xlsx.cells import split_ref
    from perfxl.checks.rules import stated_differs

    honoured: dict = {}
    for result in results:
        records = book.records.get(result.form.sheet) if book.records else None
        if not records:
            continue
        for address, (stated, value, kind, differs) in _derivable(result).items():
            try:
                key = split_ref(stated.address or address)
            except ValueError:
                continue
            record = records.get(key)
            if record is None or value is None:
                continue
            if kind == "amount:blank":  # perfxl only ever writes a subtotal the form left blank
                kind = "amount" if record.original == "" else None
                differs = kind is None or stated_differs(stated, value, kind)
            if kind and not differs and record_matches(record, stated.raw, stated.number_format):
                honoured.setdefault(result.form.sheet, {})[key] = record
    return honoured


def _derivable(result) -> dict:
    """address → (cell, value, kind, differs) of the cells the check derives (``result.derived``), and
    of the subtotals of 年度资金总额 that perfxl fills in where the form left them blank (in an output
    they show the sum perfxl wrote; ``differs`` None: compared once the record is known)."""
    from perfxl.checks.derived import total_sums

    cells = {address: (d.stated, d.value, d.kind, d.differs) for address, d in result.derived.items()}
    for cell, value in total_sums(result.form, result.computed):
        if cell.address not in cells:
            cells[cell.address] = (cell, value, "amount:blank", None)
    return cells


def _stated(original: str):
    """A record's stated value as the reading would have met it: a number or text, never a formula."""
    from perfxl.read.workbook import Text, typed_value

    value = typed_value(original)
    if isinstance(value, str) and not isinstance(value, Text) and value.startswith("="):
        value = Text(value)
    return value


def _put(grid, key, value) -> None:
    if value is None or value == "":
        grid.values.pop(key, None)
    else:
        grid.values[key] = value
    grid._extent_cache = None


def _no_better(shown: list, honoured: list) -> bool:
    """The honoured reading keeps every error of the shown one and recalculates the same values."""
    if [r.form.sheet for r in shown] != [r.form.sheet for r in honoured]:
        return False
    for before, after in zip(shown, honoured):
        errors = {(f.code, f.sheet, f.cell) for f in after.findings if f.severity == "error"}
        if any((f.code, f.sheet, f.cell) not in errors for f in before.findings if f.severity == "error"):
            return False
        if _recalculated(before.computed) != _recalculated(after.computed):
            return False
    return True


def _recalculated(computed) -> tuple:
    return (computed.rates, computed.funds_totals, computed.budget_score, computed.total_weight, computed.total_score, computed.grade, computed.rate)
