"""Finding the forms to process and running perfxl over them, one file at a time or many.

Inputs may be files, folders or glob patterns (cmd.exe and PowerShell do not expand ``*.xlsx``,
so we do). Excel/WPS lock files (``~$…``), hidden files and perfxl's own outputs are skipped.
One bad file never stops a batch: it becomes a :class:`FileOutcome` with its error.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

from .model import FormError
from .workbook import SPREADSHEET_SUFFIXES

OUTPUT_MARKERS = ("_自评结果", "_自评报告")
SUMMARY_NAME = "汇总.xlsx"


def is_candidate(path: Path) -> bool:
    """A file a folder scan should pick up as a form."""
    name = path.name
    if name.startswith(("~$", ".", "~")):
        return False
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return False
    if name == SUMMARY_NAME or any(path.stem.endswith(marker) for marker in OUTPUT_MARKERS):
        return False
    return True


def expand_inputs(inputs: list[str | Path], recursive: bool = False) -> list[Path]:
    """Files named directly are kept as given (so a wrong one is reported); folders and globs are scanned."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve() if path.exists() else path
        if key not in seen:
            seen.add(key)
            found.append(path)

    for item in inputs:
        path = Path(item)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            for child in sorted(path.glob(pattern), key=lambda p: str(p)):
                if child.is_file() and is_candidate(child) and not _under_output_dir(child, path):
                    add(child)
        elif not path.exists() and any(ch in str(item) for ch in "*?["):
            for match in sorted(glob.glob(str(item), recursive=recursive)):
                candidate = Path(match)
                if candidate.is_file() and is_candidate(candidate):
                    add(candidate)
        else:
            add(path)
    return found


def _under_output_dir(child: Path, root: Path) -> bool:
    return any(part == "输出" for part in child.relative_to(root).parts[:-1])


@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: Path
    results: list = field(default_factory=list)  # CheckResult per form
    error: FormError | None = None
    outputs: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        return 0 if all(result.ok for result in self.results) else 1


def check_path(path: Path) -> FileOutcome:
    """Read and check every form of one file; never raises for bad input."""
    from .reader import read_forms
    from .rules import check

    try:
        forms = read_forms(path)
        return FileOutcome(path, [check(form) for form in forms])
    except FormError as error:
        return FileOutcome(path, error=error)
    except Exception as exc:  # a reader bug must not stop the batch; say so plainly
        return FileOutcome(path, error=FormError("internal-error", f"处理 {path.name} 时发生内部错误（{exc.__class__.__name__}: {exc}）。请将该文件反馈给 perfxl 维护者。", path))


@dataclass(frozen=True)
class FillOptions:
    """What ``perfxl fill`` should write, and where."""

    output_dir: Path | None = None  # None: beside the input
    workbook: bool = True
    report: bool = True
    template: Path | None = None  # custom Word report template
    strict: bool = False  # refuse to write a report for a form with errors


def output_paths(path: Path, options: FillOptions, sheets: list[str] | None = None) -> tuple[Path, list[Path]]:
    """Where the filled workbook and the report(s) of ``path`` go.

    .xlsm stays .xlsm; .xls becomes .xlsx. A workbook with several forms gets one report per form.
    """
    folder = options.output_dir or path.parent
    suffix = ".xlsm" if path.suffix.lower() == ".xlsm" else ".xlsx"
    workbook = folder / f"{path.stem}_自评结果{suffix}"
    if not sheets or len(sheets) == 1:
        reports = [folder / f"{path.stem}_自评报告.docx"]
    else:
        reports = [folder / f"{path.stem}_{_safe(sheet)}_自评报告.docx" for sheet in sheets]
    return workbook, reports


def _safe(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def fill_path(path: Path, options: FillOptions) -> FileOutcome:
    """Read, check and write the outputs of one file; never raises for bad input or unwritable output."""
    from .reader import read_forms
    from .rules import check
    from .workbook import open_book

    try:
        book = open_book(path, styles=options.workbook)
        results = [check(form) for form in read_forms(path, book)]
        outcome = FileOutcome(path, results)
        workbook_path, report_paths = output_paths(path, options, [r.form.sheet for r in results])
        if options.workbook:
            from .writer import write_filled_workbook

            write_filled_workbook(book, results, workbook_path)
            outcome.outputs.append(workbook_path)
        if options.report:
            from .report import write_report

            for result, report_path in zip(results, report_paths):
                if options.strict and not result.ok:
                    continue
                write_report(result, report_path, template=options.template)
                outcome.outputs.append(report_path)
        return outcome
    except FormError as error:
        return FileOutcome(path, error=error)
    except Exception as exc:  # a bug must not stop the batch; say so plainly
        return FileOutcome(path, error=FormError("internal-error", f"处理 {path.name} 时发生内部错误（{exc.__class__.__name__}: {exc}）。请将该文件反馈给 perfxl 维护者。", path))


def worst_exit_code(outcomes: list[FileOutcome]) -> int:
    return max((outcome.exit_code for outcome in outcomes), default=0)
