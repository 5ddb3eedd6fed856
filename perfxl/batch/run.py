"""Finding the forms to process and running perfxl over them, one file at a time or many.

Inputs may be files, folders or glob patterns (cmd.exe and PowerShell do not expand ``*.xlsx``,
so we do). Excel/WPS lock files (``~$…``), hidden files and perfxl's own outputs are skipped.
One bad file never stops a batch: it becomes a :class:`FileOutcome` with its error.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfxl.model import FormError
from perfxl.read.workbook import SPREADSHEET_SUFFIXES

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


def internal_error_message(name: str, exc: Exception) -> str:
    """What the user reads when a bug (not their file) stopped one file."""
    return f"处理 {name} 时发生内部错误（{exc.__class__.__name__}: {exc}）。请将该文件反馈给 perfxl 维护者。"


def internal_error(path: Path, exc: Exception, name: str | None = None) -> FormError:
    """The FormError of a bug met while handling ``path`` (shown as ``name``), with its traceback for --debug."""
    import traceback

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
        reports = [folder / f"{base}_{_safe(sheet)}_自评报告{number}.docx" for sheet in sheets]
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


def _safe(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def fill_path(path: Path, options: FillOptions, converted: Path | PendingConversion | None = None) -> FileOutcome:
    """Read, check and write the outputs of one file; never raises for bad input or unwritable output.

    ``converted``: for an .xls input, an .xlsx conversion already made or under way (see :func:`preconvert_xls`).
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

            write_filled_workbook(book, results, workbook_path)
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


def worst_exit_code(outcomes: list) -> int:
    """The batch's exit code: the worst of its files (FileOutcome or FileRecord)."""
    return max((outcome.exit_code for outcome in outcomes), default=0)


# --- Batches: planning, per-file records, parallel runs -------------------------------------


@dataclass(frozen=True)
class FormRow:
    """The 汇总 line of one form: small and picklable, so workers send this instead of the Form."""

    sheet: str
    project: str
    department: str
    budget: float | None
    executed: float | None
    rate: float | None
    score_stated: float | None
    score_computed: float | None
    grade: str
    errors: int
    warnings: int
    ok: bool
    report: Path | None = None  # this form's Word report, when one was written
    kind: str = "project"  # project | department (model.KIND_*)
    scheme: str = "mof-2020"  # the scoring scheme it was read on (perfxl.read.schemes)


#: Errors of the output side: the form was read, its results could not be written (or not safely).
WRITE_ERROR_CODES = frozenset({"write-failed", "output-conflict", "output-exists", "output-is-input"})
#: The statuses of a batch's files, in the order the closing tally counts them.
STATUSES = ("通过", "有错误", "无法读取", "无法写入")


@dataclass
class FileRecord:
    """What happened to one input of a batch, in a form cheap to send between processes."""

    path: Path
    label: str = ""  # the name shown to users and in 汇总 (relative to the folder given)
    forms: list[FormRow] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    error_detail: str = ""  # an internal error's traceback, for --debug

    def __post_init__(self) -> None:
        self.label = self.label or self.path.name

    @property
    def exit_code(self) -> int:
        if self.error_code is not None:
            return 2
        return 0 if all(form.ok for form in self.forms) else 1

    @property
    def status(self) -> str:
        """通过 / 有错误 / 无法读取 / 无法写入 (the reason is in ``error_message``)."""
        if self.error_code in WRITE_ERROR_CODES:
            return "无法写入"
        return ("通过", "有错误", "无法读取")[self.exit_code]

    @property
    def workbook(self) -> Path | None:
        return next((out for out in self.outputs if out.suffix.lower() in (".xlsx", ".xlsm")), None)

    @classmethod
    def from_outcome(cls, outcome: FileOutcome, label: str = "") -> FileRecord:
        record = cls(outcome.path, label, outputs=list(outcome.outputs))
        if outcome.error is not None:  # with results too when the form was read and some outputs were written
            record.error_code, record.error_message, record.error_detail = outcome.error.code, outcome.error.message, outcome.error.detail
        reports = [out for out in outcome.outputs if out.suffix.lower() == ".docx"]
        for result in outcome.results:
            form, computed = result.form, result.computed
            if len(outcome.results) == 1:
                report = reports[0] if reports else None
            else:
                marker = f"_{_safe(form.sheet)}"
                report = next((out for out in reports if output_generation(out.stem, "自评报告")[0].endswith(marker)), None)
            record.forms.append(FormRow(
                sheet=form.sheet,
                kind=form.kind,
                scheme=form.scheme,
                project=form.project.text or form.unit.text,
                department=form.department.text,
                budget=computed.funds_totals.get("budget"),
                executed=computed.funds_totals.get("executed"),
                rate=computed.rate,
                score_stated=form.total_score.number,
                score_computed=computed.total_score,
                grade=computed.grade,
                errors=result.count("error"),
                warnings=result.count("warning"),
                ok=result.ok,
                report=report,
            ))
        return record


@dataclass(frozen=True)
class Job:
    """One input of a batch with the options it is processed with."""

    path: Path
    options: FillOptions
    label: str
    conflict: str | None = None  # another input already writes the same output file
    clash: str | None = None  # the input of this run that this job's output would overwrite
    converted: Path | PendingConversion | None = None  # .xls: its LibreOffice conversion, made for the whole batch at once


@dataclass
class BatchPlan:
    jobs: list[Job]
    summary_dir: Path | None  # where 汇总.xlsx goes; None for a single file named on its own
    inputs: dict = field(default_factory=dict)  # file_key → label of every input, never written over
    skipped: list = field(default_factory=list)  # (path, kind) of perfxl's own files passed over (scan_inputs)

    def clash(self, target: Path) -> str | None:
        """The label of the input ``target`` is (None if it is no input of this run)."""
        return self.inputs.get(file_key(target)) if target.exists() else None


def plan_batch(inputs: list[str | Path], options: FillOptions, recursive: bool = False) -> BatchPlan:
    """Expand the inputs into jobs, in a stable order.

    With ``-o`` and ``--recursive`` the sub-folder structure is mirrored in the output folder, so
    two ``表.xlsx`` in different sub-folders do not overwrite each other's results. A batch (a
    folder, a glob, or several files) also gets a 汇总.xlsx.
    """
    planned: list[tuple[Path, FillOptions, str]] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    claimed: dict[Path, str] = {}
    batch = len(inputs) > 1
    for item in inputs:
        root = Path(item)
        is_folder = root.is_dir()
        batch = batch or is_folder or (not root.exists() and any(ch in str(item) for ch in "*?["))
        found, passed_over = scan_inputs([item], recursive=recursive)
        skipped += passed_over
        for path in found:
            key = path.resolve() if path.exists() else path.absolute()
            if key in seen:
                continue
            seen.add(key)
            relative = path.relative_to(root) if is_folder else Path(path.name)
            job_options = options
            if options.output_dir is not None and len(relative.parts) > 1:
                job_options = replace(options, output_dir=options.output_dir.joinpath(*relative.parts[:-1]))
            planned.append((path, job_options, relative.as_posix()))
    # No output may overwrite an input of the run (a corrected 表_自评结果.xlsx given beside 表.xlsx),
    # neither before nor after it is read: such a job is refused, with the way out in its message.
    inputs = {file_key(path): label for path, _, label in planned if path.exists()}
    jobs: list[Job] = []
    for path, job_options, label in planned:
        workbook, _ = output_paths(path, job_options)
        target = workbook.absolute()
        conflict = claimed.get(target)
        claimed.setdefault(target, label)
        clash = inputs.get(file_key(workbook)) if job_options.workbook and workbook.exists() else None
        jobs.append(Job(path, job_options, label, conflict, clash))
    batch = batch or len(jobs) > 1
    return BatchPlan(jobs, _summary_dir(jobs, options) if batch and jobs else None, inputs, skipped)


def _summary_dir(jobs: list[Job], options: FillOptions) -> Path:
    if options.output_dir is not None:
        return options.output_dir
    parents = {str(job.path.parent.absolute()) for job in jobs}
    try:
        return Path(os.path.commonpath(sorted(parents)))
    except ValueError:  # different drives on Windows
        return Path.cwd()


def fill_record(job: Job) -> FileRecord:
    """Process one job into its record (the unit of work of a batch; runs in a worker process)."""
    refused = job_refusal(job)
    if refused is not None:
        return refused
    return FileRecord.from_outcome(fill_path(job.path, job.options, job.converted), job.label)


def job_refusal(job: Job) -> FileRecord | None:
    """The record of a job the plan refused (its output would overwrite another's, or an input); None to run it."""
    if job.conflict is not None:
        workbook, _ = output_paths(job.path, job.options)
        message = f"{job.label} 的输出文件 {workbook.name} 与 {job.conflict} 的同名，已跳过以免互相覆盖。请给其中一个文件改名后重试。"
        return FileRecord(job.path, job.label, error_code="output-conflict", error_message=message)
    if job.clash is not None:
        workbook, _ = output_paths(job.path, job.options)
        message = (f"{job.label} 的输出文件 {workbook.name} 也是本次要处理的输入文件（可能是改过的自评结果），为免覆盖，"
                   f"未处理 {job.label}。请用 -o 指定另一个输出文件夹，或分开处理这两个文件。")
        return FileRecord(job.path, job.label, error_code="output-is-input", error_message=message)
    return None


#: Runs in this process of at most this many files convert their .xls in the background (see
#: :func:`preconvert_xls`). A long run converts first instead: LibreOffice (~200 MB) working beside
#: a busy perfxl would lift the batch's peak memory over 300 MB.
BACKGROUND_XLS_JOBS = 15


@contextlib.contextmanager
def preconvert_xls(jobs: list[Job], background: bool = False) -> Iterator[list[Job]]:
    """Convert the batch's .xls inputs to .xlsx in one LibreOffice run, for the duration of the batch.

    Starting LibreOffice costs about 1.5 s and 200 MB; once for all .xls files instead of once
    each. Inputs whose stems repeat (they would collide in one folder) and failed conversions are
    left to the per-file conversion.

    ``background`` (a run in this process): LibreOffice starts now, even for one .xls, and the
    jobs carry a :class:`PendingConversion` that the workbook writer waits for, so the
    conversion overlaps reading and checking instead of coming after them.
    """
    xls = [job for job in jobs if job.path.suffix.lower() == ".xls" and job.options.workbook and job.conflict is None and job.clash is None]
    stems = [job.path.stem for job in xls]
    unique = [job.path for job in xls if stems.count(job.path.stem) == 1]
    if len(unique) < (1 if background else 2):
        yield jobs
        return
    from perfxl.read.office import convert_many_with_office

    with tempfile.TemporaryDirectory(prefix="perfxl-xls-") as folder:
        if not background:
            converted = convert_many_with_office(unique, Path(folder))
            yield [replace(job, converted=converted.get(job.path)) if job.path in converted else job for job in jobs]
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="perfxl-xls") as pool:  # waits for LibreOffice before the folder goes
            future = pool.submit(convert_many_with_office, unique, Path(folder))
            try:
                yield [replace(job, converted=PendingConversion(future, job.path)) if job.path in unique else job for job in jobs]
            except BaseException:  # the run is stopped (Ctrl-C, SIGTERM): so is LibreOffice, at once
                from perfxl.read.office import stop_office

                stop_office()
                raise


class PendingConversion:
    """The .xlsx LibreOffice is making of one .xls in the background (see :func:`preconvert_xls`)."""

    def __init__(self, future, source: Path):
        self.future, self.source = future, source

    def result(self) -> Path | None:
        """The converted file once LibreOffice is done; None if it could not convert this one."""
        try:
            return self.future.result().get(self.source)
        except Exception:
            return None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


#: Files each worker handles before the pool is replaced, so that a long batch's memory stays
#: flat. Done with a fresh pool per chunk: ProcessPoolExecutor(max_tasks_per_child=...) hangs
#: on Python 3.11–3.14 once the first workers retire (CPython gh-115634).
WORKER_TASKS = 200


FILL_MODULES = ("perfxl.read.reader", "perfxl.checks.rules", "perfxl.write.writer", "perfxl.write.patch", "perfxl.mark.marks", "perfxl.report.document")


def run_batch(jobs: list[Job], workers: int = 1, on_record=None, process=fill_record, keep: bool = True,
              worker_tasks: int | None = None, warm: tuple[str, ...] = FILL_MODULES) -> list:
    """Run ``process`` over the jobs; records come back in job order whatever the completion order.

    ``workers`` > 1 uses pools of spawned processes (the same on Windows and Linux); each worker
    imports ``warm`` once and keeps its caches across files, and is replaced after about
    ``worker_tasks`` files (default WORKER_TASKS; 0 = never, for light work such as checking).
    ``on_record(index, record)`` is called in this process as each file finishes (in completion
    order). One failing file never stops the batch.
    """
    records: list = [None] * len(jobs)

    def finish(index: int, record) -> None:
        # keep=False: the caller consumes each record in on_record; only exit codes are kept.
        records[index] = record if keep else record.exit_code
        if on_record is not None:
            on_record(index, record)

    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for index, job in enumerate(jobs):
            finish(index, _safely(process, job))
        return records
    tasks = WORKER_TASKS if worker_tasks is None else worker_tasks
    chunk = tasks * workers if tasks else len(jobs)
    indexed = list(enumerate(jobs))
    for start in range(0, len(jobs), chunk):
        _run_pool(indexed[start:start + chunk], workers, process, finish, warm)
    return records


def _run_pool(indexed_jobs: list[tuple[int, Job]], workers: int, process, finish, warm: tuple[str, ...]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    broken: list[tuple[int, Job]] = []
    workers = min(workers, len(indexed_jobs))
    from perfxl.batch.lifecycle import run_in_worker

    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_warm_worker, initargs=(warm,)) as pool:
        futures = {pool.submit(run_in_worker, _safely, process, job): (index, job) for index, job in indexed_jobs}
        try:
            for future in as_completed(futures):
                index, job = futures[future]
                try:
                    record = future.result()
                except Exception:  # the pool broke (a worker was killed, or could not start)
                    broken.append((index, job))
                    continue
                finish(index, record)
        except KeyboardInterrupt:
            # Stop the workers through their own cleanup (SIGTERM: perfxl/batch/lifecycle.py) and wait for
            # it, so that no worker is still writing when this process removes its temporary folder.
            processes = list((pool._processes or {}).values())
            manager = pool._executor_manager_thread
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in processes:
                with contextlib.suppress(Exception):
                    worker.terminate()
            for worker in processes + ([manager] if manager is not None else []):
                with contextlib.suppress(Exception):
                    worker.join(10)
            raise
    for index, job in sorted(broken, key=lambda item: item[0]):  # finish those here rather than lose them
        finish(index, _safely(process, job))


def _safely(process, job: Job) -> FileRecord:
    try:
        return process(job)
    except Exception as exc:  # a bug must not stop the batch
        error = internal_error(job.path, exc, job.label)
        return FileRecord(job.path, job.label, error_code=error.code, error_message=error.message, error_detail=error.detail)


def _warm_worker(modules: tuple[str, ...] = FILL_MODULES) -> None:
    """Import the heavy modules once per worker, so every file after the first starts fast."""
    import importlib

    from perfxl.batch.lifecycle import install_worker_handlers

    install_worker_handlers()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional part shows up per file, with its message
            pass
