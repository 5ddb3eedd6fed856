"""Finding the forms to process: files, folders and glob patterns.

cmd.exe and PowerShell do not expand ``*.xlsx``, so we do. Excel/WPS lock files (``~$…``), hidden
files and perfxl's own outputs (``…_自评结果``, ``…_自评报告``, 汇总.xlsx) are passed over.
"""

from __future__ import annotations

import glob
from pathlib import Path

from perfxl.pipeline import SUMMARY_NAME, output_generation
from perfxl.read.workbook import SPREADSHEET_SUFFIXES


def is_candidate(path: Path) -> bool:
    """A file a folder scan should pick up as a form."""
    name = path.name
    if name.startswith(("~$", ".", "~")):
        return False
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return False
    if name == SUMMARY_NAME or any(output_generation(path.stem, kind)[1] for kind in ("自评结果", "自评报告")):
        return False
    return True


#: What perfxl writes, by kind, as its lines name them.
OWN_FILE_KINDS = {"result": "自评结果", "report": "自评报告", "summary": "汇总表"}


def own_file_kind(path: Path) -> str | None:
    """Which of perfxl's outputs a file's name says it is (``result``, ``report``, ``summary``), or None."""
    if path.name == SUMMARY_NAME:
        return "summary"
    for kind in ("result", "report"):
        if output_generation(path.stem, OWN_FILE_KINDS[kind])[1]:
            return kind
    return None


def expand_inputs(inputs: list[str | Path], recursive: bool = False) -> list[Path]:
    """Files named directly are kept as given (so a wrong one is reported); folders and globs are scanned."""
    return scan_inputs(inputs, recursive)[0]


def scan_inputs(inputs: list[str | Path], recursive: bool = False) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(the files to process, perfxl's own files passed over with their kind).

    A folder scan or a glob passes over perfxl's outputs (``…_自评结果``, ``…_自评报告``, 汇总.xlsx),
    except a glob that asks for them by name (``*_自评结果.xlsx``). A file named directly is
    processed (a corrected ``表_自评结果.xlsx`` is checked again) unless it is a 汇总.xlsx or a report
    that perfxl wrote: those are no forms, and a shell's ``*`` hands them over with the forms.
    """
    from perfxl.mark.provenance import written_by_perfxl

    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(path: Path, into: list, *extra) -> None:
        key = path.resolve() if path.exists() else path
        if key not in seen:
            seen.add(key)
            into.append((path, *extra) if extra else path)

    for item in inputs:
        path = Path(item)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            for child in sorted(path.glob(pattern), key=lambda p: str(p)):
                if not child.is_file() or _under_output_dir(child, path):
                    continue
                if is_candidate(child):
                    add(child, found)
                elif (kind := own_file_kind(child)) is not None and not child.name.startswith(("~$", ".")):
                    add(child, skipped, kind)
        elif not path.exists() and any(ch in str(item) for ch in "*?["):
            asks_for_results = OWN_FILE_KINDS["result"] in Path(item).name
            for match in sorted(glob.glob(str(item), recursive=recursive)):
                candidate = Path(match)
                if not candidate.is_file() or candidate.name.startswith(("~$", ".")):
                    continue
                kind = own_file_kind(candidate)
                if is_candidate(candidate) or (kind == "result" and asks_for_results and candidate.suffix.lower() in SPREADSHEET_SUFFIXES):
                    add(candidate, found)
                elif kind is not None:
                    add(candidate, skipped, kind)
        elif own_file_kind(path) in ("summary", "report") and written_by_perfxl(path):
            add(path, skipped, own_file_kind(path))
        else:
            add(path, found)
    return found, skipped


def skipped_line(skipped: list[tuple[Path, str]], command: str) -> str:
    """The one line that says which of perfxl's own files a run passed over, and how to check a corrected output."""
    from perfxl.systext import printable

    counts = [f"{OWN_FILE_KINDS[kind]} {sum(1 for _, k in skipped if k == kind)} 份"
              for kind in OWN_FILE_KINDS if any(k == kind for _, k in skipped)]
    line = f"已跳过 perfxl 写出的 {len(skipped)} 个文件（{'，'.join(counts)}），它们不是收到的自评表。"
    result = next((path for path, kind in skipped if kind == "result"), None)
    if result is not None:
        line += f"要重新校验改正过的自评结果，请直接指定该文件，例如：perfxl {command} \"{printable(result)}\""
        line += f"（或 \"{printable(result.parent / ('*_' + OWN_FILE_KINDS['result'] + '*'))}\"）。"
    return line


def _under_output_dir(child: Path, root: Path) -> bool:
    return any(part == "输出" for part in child.relative_to(root).parts[:-1])

