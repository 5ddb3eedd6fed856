"""Checked form → the filled, annotated workbook ``<stem>_自评结果.xlsx``: picks the writer for the input.

* .xlsx/.xlsm: :mod:`perfxl.write.patch`, the input package with surgical edits (nothing else changes);
* .xls: :mod:`perfxl.write.xlswriter`, openpyxl on a LibreOffice conversion (or a rebuilt standard form).

Both mark the same things the same way; :mod:`perfxl.mark.marks` decides what.
"""

from __future__ import annotations

from pathlib import Path


def write_filled_workbook(book, results, target: Path | str) -> list:
    """Write the filled, annotated workbook of ``book`` (checked as ``results``) to ``target``.

    ``target`` is written atomically; the input file is only read. Returns the ``roundtrip-loss``
    findings of what the output could not keep of the input (none for .xlsx/.xlsm: the package is
    patched, nothing is lost); ``results`` stay as the check gave them.
    """
    if book.kind in ("xlsx", "xlsm"):
        from perfxl.write.patch import write_patched_workbook

        write_patched_workbook(book, results, target)
        return []
    from perfxl.write.xlswriter import write_xls_workbook

    return write_xls_workbook(book, results, target)
