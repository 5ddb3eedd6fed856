"""Which files perfxl wrote: the outputs it may replace on a re-run without ``--force``.

perfxl replaces an existing output file only when the file carries perfxl's mark, so that a
file of the same name that someone else made (a department's own ``…_自评报告.docx``, an
``汇总.xlsx`` of the 财政局) is never lost to a run. The marks are part of the content, so they
survive the file being opened and saved again in Excel, WPS or Word:

* a filled workbook ``…_自评结果.xlsx``: a findings sheet (``校验结果``, or a numbered name) that
  :func:`perfxl.mark.format.findings_sheet_file_name` recognises (A1 ``校验结果``, A2 ``文件：…``, the
  header row 严重程度 / 代码 / 单元格); or a cell comment written by the author ``perfxl``;
  or a custom document property named ``perfxl``;
* the batch summary ``汇总.xlsx``: a sheet ``汇总`` whose header row starts 文件 / 类型 / 项目名称 / 主管部门 (or, from earlier versions, 文件 / 项目名称 / 主管部门);
* a Word report ``…_自评报告.docx``: the keyword ``perfxl`` in its document properties
  (:data:`perfxl.mark.format.REPORT_KEYWORD`, set by :mod:`perfxl.report.engine`).

A marked file that a user has corrected by hand is still perfxl's: ``perfxl fill 表.xlsx`` run
twice replaces the first run's outputs (the common case). What protects a corrected output is
that perfxl never writes over a file given as an input of the run, and that filling an output
writes a new, numbered name (see :func:`perfxl.pipeline.output_paths`).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from perfxl.mark.format import (CUSTOM_PROPERTY, FINDINGS_SHEET, REPORT_KEYWORD, SUMMARY_SIGNATURES, comments_by_perfxl,
                                findings_sheet_file_name)
from perfxl.model import FormError
from perfxl.xlsx.package import WORKBOOK_PART, Package, sheet_parts
from perfxl.xlsx.sharedstrings import SharedStrings
from perfxl.xlsx.sheet import cell_values

_FINDINGS_COLUMNS = re.compile(r"[ABC]\d+")  # what recognising a findings sheet looks at
_MAX_INSPECTED_BYTES = 64 * 1024 * 1024  # a bigger file is not one of ours (and is not read whole)


def written_by_perfxl(path: Path) -> bool:
    """True when ``path`` is a workbook or report that perfxl wrote (see the module's docstring)."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > _MAX_INSPECTED_BYTES:
            return False
        with Package(path) as package:
            if package.exists("word/document.xml"):
                return _report_marked(package)
            if package.exists(WORKBOOK_PART):
                return _workbook_marked(package)
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, RuntimeError, EOFError):
        return False
    except Exception:  # malformed XML and the like: not a file perfxl wrote
        return False
    return False


def refuse_foreign(target: Path, force: bool) -> None:
    """Raise a FormError when ``target`` exists and perfxl did not write it (unless ``force``)."""
    if force or not Path(target).exists() or written_by_perfxl(target):
        return
    raise foreign_file_error(Path(target))


def foreign_file_error(target: Path) -> FormError:
    message = (f"输出文件 {target.name} 已存在，且不是 perfxl 写出的文件（可能是您自己的文件），为免覆盖，未写出结果。"
               f"请将它改名或移走，或用 -o 指定另一个输出文件夹；确需覆盖时加 --force。")
    return FormError("output-exists", message, target)


# ---------------------------------------------------------------- reports


def _report_marked(package: Package) -> bool:
    if not package.exists("docProps/core.xml"):
        return False
    core = package.read("docProps/core.xml").decode("utf-8", "replace")
    found = re.search(r"<cp:keywords>(.*?)</cp:keywords>", core, re.S)
    return bool(found) and REPORT_KEYWORD in re.split(r"[\s,;，；]+", found.group(1))


# ---------------------------------------------------------------- workbooks


def _workbook_marked(package: Package) -> bool:
    if package.exists("docProps/custom.xml") and f'name="{CUSTOM_PROPERTY}"'.encode() in package.read("docProps/custom.xml"):
        return True
    for name in package.names:
        if name.startswith("xl/comments") and name.endswith(".xml") and comments_by_perfxl(package.read(name)):
            return True
    strings = SharedStrings(package)
    for sheet, part in sheet_parts(package).items():
        if sheet.startswith(FINDINGS_SHEET):
            cells = cell_values(package.xml(part), strings, _FINDINGS_COLUMNS.fullmatch)
            rows = sorted(int(ref[1:]) for ref in cells if ref[0] == "A")
            if findings_sheet_file_name(lambda row, col: cells.get(f"{'ABC'[col - 1]}{row}"), rows) is not None:
                return True
        elif sheet == "汇总":
            refs = ("A1", "B1", "C1", "D1")
            cells = cell_values(package.xml(part), strings, refs.__contains__, len(refs))
            header = tuple(cells.get(ref) for ref in refs)
            if any(header[:len(known)] == known for known in SUMMARY_SIGNATURES):
                return True
    return False
