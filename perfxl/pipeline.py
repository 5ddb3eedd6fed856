"""The one-file pipeline: read → check → write the filled workbook → write the report.

:func:`check_path` and :func:`fill_path` are what ``perfxl check`` and ``perfxl fill`` do to one
file; a batch (:mod:`perfxl.batch`), the web page (:mod:`perfxl.web`) and the library
(:func:`perfxl.fill`) all go through them. Neither raises for a bad input or an unwritable
output: a :class:`FileOutcome` carries the results, the outputs written and the error.

The outputs' names are decided here too (:func:`output_paths`, :func:`output_generation`), since
the folder scan must recognise them again.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import FormError

OUTPUT_MARKERS = ("_自评结果", "_自评报告")
SUMMARY_NAME = "汇总.xlsx"
#: ``X_自评结果``, ``X_自评结果(2)`` (also with a space or full-width brackets, as copies get named).
_OUTPUT_STEM = re.compile(r"^(?P<base>.+)_(?P<kind>自评结果|自评报告)(?:\s*[(（](?P<number>\d{1,4})[)）])?$")


def output_generation(stem: str, kind: str = "自评结果") -> tuple[str, int]:
    """(the form's own stem, how many fills it has been through) of a file stem.

    ``表`` → (``表``, 0); ``表_自评结果`` → (``表``, 1); ``表_自评结果(3)`` → (``表``, 3).
    ``kind``: 自评结果 (a filled workbook) or 自评报告 (a report).
    """
    found = _OUTPUT_STEM.match(stem)
    if found is None or found.group("kind") != kind:
        return stem, 0
    return found.group("base"), int(found.group("number") or 1)


@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: Path
    results: list = field(default_factory=list)  # CheckResult per form
    error: FormError | None = None
    outputs: list[Path] = field(default_factory=list)
    losses: list = field(default_factory=list)  # roundtrip-loss findings: what the filled workbook could not keep

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        return 0 if all(result.ok for result in self.results) else 1


def internal_error_message(name: str, exc: Exception) -> str:
    """What the user reads when a bug (not their file) stopped one file."""
    return f"处理 {name} 时发生内部错误（{exc.__class__.__name__}: {exc}）。请将该文件反馈给 perfxl 维护者。"


def internal_error(path: Path, exc: Exception, name: str | None = None) -> FormError:
    """The FormError of a bug met while handling ``path`` (shown as ``name``), with its traceback for --debug.

    Not for a stopped run: Ctrl-C or SIGTERM arriving while a C function runs (``isinstance`` in a
    library) surfaces as a SystemError whose cause is the KeyboardInterrupt; that is raised again
    here, so the run stops as it was asked to instead of reporting a bug and going on.
    """
    import traceback

    cause, seen = exc, set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            raise cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__

    message = internal_error_message(name or path.name, exc)
    return FormError("internal-error", message, path, "".join(traceback.format_exception(exc)))


def check_path(path: Path) -> FileOutcome:
    """Read and check every form of one file; never raises for bad input."""
    from perfxl.checks.trust import check_book

    try:
        return FileOutcome(path, check_book(path))
    except FormError as error:
        return FileOutcome(path, error=error)
    except Exception as exc:  # a reader bug must not stop the batch; say so plainly
        return FileOutcome(path, error=internal_error(path, exc))


@dataclass(frozen=True)
class FillOptions:
    """What ``perfxl fill`` should write, and where."""

    output_dir: Path | None = None  # None: beside the input
    workbook: bool = True
    report: bool = True
    template: Path | None = None  # custom Word report template
    strict: bool = False  # refuse to write a report for a form with errors
    force: bool = False  # replace existing output files perfxl did not write (see perfxl/mark/provenance.py)


def output_paths(path: Path, options: FillOptions, sheets: list[str] | None = None) -> tuple[Path, list[Path]]:
    """Where the filled workbook and the report(s) of ``path`` go.

    ``表.xlsx`` → ``表_自评结果.xlsx`` and ``表_自评报告.docx``. Filling an output numbers the next
    generation instead of growing the name, and never names the file being read:
    ``表_自评结果.xlsx`` → ``表_自评结果(2).xlsx`` and ``表_自评报告(2).docx``; ``表_自评结果(2).xlsx`` →
    ``表_自评结果(3).xlsx``. The same input always gets the same names, so a re-run replaces its
    own previous outputs. .xlsm stays .xlsm; .xls becomes .xlsx. A workbook with several forms
    gets one report per form.
    """
    folder = options.output_dir or path.parent
    suffix = ".xlsm" if path.suffix.lower() == ".xlsm" else ".xlsx"
    base, generation = output_generation(path.stem)
    number = f"({generation + 1})" if generation else ""
    workbook = folder / f"{base}_自评结果{number}{suffix}"
    if not sheets or len(sheets) == 1:
        reports = [folder / f"{base}_自评报告{number}.docx"]
    else:
        reports = [folder / f"{base}_{safe_name(sheet)}_自评报告{number}.docx" for sheet in sheets]
    return workbook, reports


def file_key(path: Path):
    """What identifies a file on disk (so that two spellings of one file compare equal)."""
    try:
        stat = os.stat(path)
        return (stat.st_dev, stat.st_ino)
    except OSError:
        return os.path.normcase(os.path.abspath(path))


def guard_outputs(path: Path, targets: list[Path], force: bool) -> None:
    """Refuse (FormError) to write over the input itself, or over a file perfxl did not write without ``force``."""
    from perfxl.mark.provenance import refuse_foreign

    for target in targets:
        if target.exists() and file_key(target) == file_key(path):
            raise FormError("output-is-input", f"输出文件 {target.name} 就是正在读取的输入文件，为免覆盖，未写出结果。请用 -o 指定另一个输出文件夹。", path)
    for target in targets:
        refuse_foreign(target, force)


def safe_name(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def fill_path(path: Path, options: FillOptions, converted=None) -> FileOutcome:
    """Read, check and write the outputs of one file; never raises for bad input or unwritable output.

    ``converted``: for an .xls input, an .xlsx conversion already made or under way (see :func:`perfxl.batch.plan.preconvert_xls`).
    """
    from perfxl.checks.trust import check_book
    from perfxl.read.workbook import open_book

    book = outcome = None
    try:
        book = open_book(path, styles=False)  # the workbook is written by patching the input (perfxl.write.patch), not from openpyxl
        book.converted = converted
        results = check_book(path, book)
        outcome = FileOutcome(path, results)
        workbook_path, report_paths = output_paths(path, options, [r.form.sheet for r in results])
        reports = [(index, report_path) for index, (result, report_path) in enumerate(zip(results, report_paths))
                   if result.ok or not options.strict] if options.report else []
        guard_outputs(path, ([workbook_path] if options.workbook else []) + [target for _, target in reports], options.force)
        book.ensure_unchanged()  # the writer reads the input again: it must still be the file that was checked
        if options.workbook:
            from perfxl.write.writer import write_filled_workbook

            outcome.losses = write_filled_workbook(book, results, workbook_path)
            outcome.outputs.append(workbook_path)
        if options.report:
            from perfxl.report.document import write_report

            for index, report_path in reports:
                write_report(results[index], report_path, template=options.template)
                outcome.outputs.append(report_path)
        return outcome
    except FormError as error:
        if outcome is not None and outcome.outputs:  # some outputs are complete (the disk filled up after them): keep saying so
            outcome.error = error
            return outcome
        return FileOutcome(path, error=error)
    except Exception as exc:  # a bug must not stop the batch; say so plainly
        if book is not None and book.changed:  # not a bug: the input was deleted or rewritten meanwhile
            from perfxl.read.workbook import changed_error

            return FileOutcome(path, error=changed_error(path))
        return FileOutcome(path, error=internal_error(path, exc))


def warm_fill() -> None:
    """What a worker process that fills imports before its first file: every stage of :func:`fill_path`.

    Plain imports, so that a renamed module fails here (tests/test_batch.py calls every warm-up),
    not silently in a slow batch.
    """
    import perfxl.checks.rules  # noqa: F401  (with it: pandas)
    import perfxl.checks.trust  # noqa: F401
    import perfxl.read.reader  # noqa: F401
    import perfxl.report.document  # noqa: F401  (python-docx's parts, the template engine)
    import perfxl.write.patch  # noqa: F401
    import perfxl.write.writer  # noqa: F401


def worst_exit_code(outcomes: list) -> int:
    """The batch's exit code: the worst of its files (FileOutcome or FileRecord)."""
    return max((outcome.exit_code for outcome in outcomes), default=0)
