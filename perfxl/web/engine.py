"""The work behind the page: the same ``fill_path`` and worker setup as ``perfxl fill``.

One pool of spawned worker processes for the whole server (a batch of the CLI gets a fresh pool;
a server keeps one warm and replaces it after ``WORKER_TASKS`` files per worker, as the CLI does,
so memory stays flat). A worker that dies (killed, out of memory, a crash in a library) breaks
only that pool: the server replaces it and tries the files it held once more; a file whose worker
dies twice is reported as not processed. The server itself stays up.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.batch.plan import Job, job_refusal
from perfxl.batch.pool import WORKER_TASKS, safely, stop_workers, warm_worker
from perfxl.batch.records import FileRecord
from perfxl.pipeline import fill_path, warm_fill


def warm_web() -> None:
    """What a worker imports once, before its first file: fill's modules and the page's rendering."""
    warm_fill()
    import perfxl.web.engine  # noqa: F401


@dataclass
class WebRecord:
    """One processed upload: the batch record (as ``perfxl fill`` prints it) and, per form, what the
    page shows besides: the head lines of ``perfxl check`` and the findings. Picklable."""

    record: FileRecord
    forms: list[dict] = field(default_factory=list)


def web_record(job: Job) -> WebRecord:
    """Fill one uploaded file exactly as ``perfxl fill`` does (runs in a worker process)."""
    refused = job_refusal(job)
    if refused is not None:
        return WebRecord(refused)
    from perfxl.show.render import result_head

    from perfxl.write.losses import with_findings

    outcome = fill_path(job.path, job.options, job.converted)
    shown = with_findings(outcome.results, outcome.losses)  # as the filled workbook's 校验结果 lists them
    forms = [{"sheet": result.form.sheet, "kind": result.form.kind, "head": result_head(result),
              "findings": [finding_row(finding) for finding in result.findings]} for result in shown]
    return WebRecord(FileRecord.from_outcome(outcome, job.label), forms)


def finding_row(finding) -> dict:
    """A finding as a row of the page's table: the message split into the problem and what to do."""
    from perfxl.checks.catalogue import SEVERITY_ZH

    problem, fix = split_fix(finding.message)
    return {"severity": finding.severity, "severity_zh": SEVERITY_ZH.get(finding.severity, finding.severity),
            "sheet": finding.sheet, "cell": finding.cell or "全表", "code": finding.code,
            "message": finding.message, "problem": problem, "fix": fix}


def split_fix(message: str) -> tuple[str, str]:
    """``“效益指标”…合计 40 分：请调整指标分值或标注。`` → (the problem, ``请调整指标分值或标注。``).

    perfxl's messages say what is wrong, then after a full-width colon what to do: the split is at
    the last such colon outside brackets and quotes (``（等级待定：…）`` stays whole). A message
    without one is all problem.
    """
    depth, cut = 0, -1
    for position, ch in enumerate(message):
        if ch in "（(“【":
            depth += 1
        elif ch in "）)”】":
            depth = max(0, depth - 1)
        elif ch == "：" and depth == 0:
            cut = position
    if cut < 0 or cut == len(message) - 1:
        return message, ""
    return message[:cut], message[cut + 1:]


def as_web_record(result) -> WebRecord:
    """What a worker sent back: a WebRecord, or the FileRecord of a crash ``safely`` caught."""
    return result if isinstance(result, WebRecord) else WebRecord(result)


def worker_died(job: Job) -> WebRecord:
    message = (f"处理 {job.label} 时工作进程意外退出（可能是文件过大或已损坏），未写出结果。"
               "请在 Excel/WPS 中打开该文件确认无误、另存后重新上传；如仍如此，请反馈给 perfxl 维护者。")
    return WebRecord(FileRecord(job.path, job.label, error_code="internal-error", error_message=message))


class Engine:
    """The server's worker pool (spawned processes, warmed like ``perfxl fill``'s).

    After ``WORKER_TASKS`` files per worker the pool is drained and replaced, as a CLI batch does
    chunk by chunk: new work waits the few seconds until the old workers have finished theirs, so
    there are never two pools' workers in memory at once.
    """

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._cond = threading.Condition()
        self._pool = None
        self._draining = None  # the pool being replaced, until its last file is done
        self._submitted = 0
        self._stopped = False

    def _current_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with self._cond:
            while self._draining is not None and not self._stopped:
                self._cond.wait()
            if self._stopped:
                raise RuntimeError("engine stopped")
            if self._pool is not None and self._submitted >= WORKER_TASKS * self.workers:
                self._draining, self._pool = self._pool, None
                threading.Thread(target=self._drain, args=(self._draining,), daemon=True).start()
                while self._draining is not None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    raise RuntimeError("engine stopped")
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=warm_worker, initargs=(warm_web,))
                self._submitted = 0
            self._submitted += 1
            return self._pool

    def _drain(self, pool) -> None:
        pool.shutdown(wait=True)
        with self._cond:
            if self._draining is pool:
                self._draining = None
            self._cond.notify_all()

    def submit(self, function, *args):
        """Work for a worker (writing 汇总.xlsx): the future of its result."""
        from perfxl.batch.lifecycle import run_in_worker

        return self._current_pool().submit(run_in_worker, function, *args)

    def replace_broken(self, pool) -> None:
        """After a worker of ``pool`` died: the next submission starts a fresh pool (once, however
        many of its jobs noticed)."""
        with self._cond:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False)

    def run(self, job: Job) -> WebRecord:
        """Process one job and wait for it; a broken pool is replaced and the job tried once more."""
        from concurrent.futures.process import BrokenProcessPool

        from perfxl.batch.lifecycle import run_in_worker

        for _ in range(2):
            pool = self._current_pool()
            try:
                return as_web_record(pool.submit(run_in_worker, safely, web_record, job).result())
            except BrokenProcessPool:
                if self._stopped:
                    raise
                self.replace_broken(pool)
        return worker_died(job)

    def warm(self) -> None:
        """Start the workers now (each imports perfxl's modules), so the first upload does not wait."""
        with contextlib.suppress(Exception):
            pool = self._current_pool()
            for future in [pool.submit(_ready) for _ in range(self.workers)]:
                future.result()

    def stop(self) -> None:
        """Stop every worker now (server shutdown): queued work is dropped, busy workers stop
        through their own cleanup (perfxl/batch/lifecycle.py) and are waited for."""
        with self._cond:
            self._stopped = True
            pools = [pool for pool in (self._pool, self._draining) if pool is not None]
            self._pool = self._draining = None
            self._cond.notify_all()
        for pool in pools:
            stop_workers(pool)


def _ready() -> bool:
    return True


def write_summary_file(records: list[FileRecord], folder: Path) -> Path:
    """汇总.xlsx of a batch (in a worker: the server process never loads openpyxl)."""
    from perfxl.batch.summary import write_summary

    return write_summary(records, folder)
