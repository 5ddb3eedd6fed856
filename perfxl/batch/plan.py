"""A batch planned: its jobs in a stable order, where each writes, and which it may not write.

Also the batch's .xls inputs converted in one LibreOffice run (:func:`preconvert_xls`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfxl.batch.inputs import scan_inputs
from perfxl.batch.records import FileRecord
from perfxl.pipeline import FillOptions, file_key, fill_path, output_paths


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
