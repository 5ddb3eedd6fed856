"""Batches of uploads: each in its own temporary folder, under limits, deleted when done with.

A batch (``Batch``) is created with the number of files the browser will send, then receives them
one by one (streamed to disk under a name perfxl makes safe, never a path the client chose), then
runs. Its id is a random 192-bit token: the only handle on it, checked on every request; the
folder's name is another random name, so neither can be derived from the other. A batch is
deleted when its results are downloaded as one .zip, when it expires (``ttl`` seconds after its
last use), when its upload breaks off, and when the server stops.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.systext import printable

log = logging.getLogger("perfxl.serve")

#: Characters Windows does not allow in file names (the folder may be copied there).
_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class ServeLimits:
    """What one server accepts (the command's options)."""

    max_file_bytes: int = 50 * 1024 * 1024  # the CLI's own limit (perfxl.read.workbook.Limits)
    max_files: int = 200  # files per batch
    max_batch_bytes: int = 500 * 1024 * 1024
    max_jobs: int = 8  # batches uploading or running at once
    ttl: float = 3600.0  # seconds a batch is kept after its last use
    upload_idle: float = 600.0  # a batch whose upload stalls this long is dropped

    def as_json(self) -> dict:
        return {"max_file_bytes": self.max_file_bytes, "max_files": self.max_files, "max_batch_bytes": self.max_batch_bytes,
                "max_jobs": self.max_jobs, "ttl": self.ttl}


class LimitError(Exception):
    """A request over a limit, or out of order: ``status`` and a Chinese ``message`` for the page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def too_large_message(name: str, limit: int) -> str:
    """What perfxl says of a file over the size limit (the CLI's sentence)."""
    return f"{name} 超过 {megabytes(limit)}，不像一份自评表，已拒绝处理。"


def batch_too_large_message(limits: ServeLimits) -> str:
    return f"这批文件合计超过 {megabytes(limits.max_batch_bytes)}。请分批上传。"


def safe_name(raw: str, index: int) -> str:
    """A file name from what the browser sent, safe to create in the batch's folder.

    Only the last path component is kept (``../../x.xlsx`` → ``x.xlsx``); control and format
    characters are dropped, characters Windows forbids become ``_``, leading dots go (no hidden
    files), reserved device names are prefixed, and the length is bounded. The suffix is kept, so
    perfxl reads the file as it would on disk. Nothing is left → ``文件<index>.xlsx``.
    """
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp"))
    name = "".join("_" if ch in _FORBIDDEN else ch for ch in name).strip().lstrip(".").rstrip(". ")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix[:10]
    stem = stem[:MAX_NAME_CHARS].rstrip(". ")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    if not stem:
        stem = f"文件{index + 1}"
        suffix = suffix or "xlsx"
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class Upload:
    index: int
    name: str  # the name as received (shown escaped), before it was made safe
    path: Path
    size: int


@dataclass
class Batch:
    """One user's batch: its uploads, and as they finish, their records."""

    id: str
    client: str
    folder: Path
    expected: int
    created: float = field(default_factory=time.monotonic)
    touched: float = field(default_factory=time.monotonic)
    state: str = "uploading"  # uploading → running → done
    uploads: dict[int, Upload] = field(default_factory=dict)
    reserved: dict[int, Path] = field(default_factory=dict)  # uploads under way
    received: int = 0  # bytes
    records: dict[int, object] = field(default_factory=dict)  # index → WebRecord
    processing: set[int] = field(default_factory=set)  # indexes handed to a worker, not finished yet
    labels: dict[int, str] = field(default_factory=dict)  # index → label (the file's name in the batch)
    tally: str = ""
    summary: Path | None = None
    summary_error: str = ""
    started: float = 0.0
    finished: float = 0.0
    deleted: str = ""  # why, once deleted

    @property
    def inputs(self) -> Path:
        return self.folder / "上传"

    @property
    def outputs(self) -> Path:
        return self.folder / "结果"

    def names_taken(self) -> set[str]:
        return {upload.path.name.casefold() for upload in self.uploads.values()} | {path.name.casefold() for path in self.reserved.values()}


class BatchStore:
    """Every batch of the server, under one root temporary folder (0700) deleted on shutdown."""

    def __init__(self, limits: ServeLimits, root: Path | None = None):
        self.limits = limits
        self.root = Path(tempfile.mkdtemp(prefix="perfxl-serve-", dir=root))
        self._batches: dict[str, Batch] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle of a batch

    def create(self, expected: int, client: str) -> Batch:
        limits = self.limits
        if expected < 1:
            raise LimitError(400, "请至少选择一个文件。")
        if expected > limits.max_files:
            raise LimitError(413, f"一次最多处理 {limits.max_files} 个文件，本次选择了 {expected} 个。请分批上传。")
        with self._lock:
            busy = sum(1 for batch in self._batches.values() if batch.state != "done")
            if busy >= limits.max_jobs:
                raise LimitError(503, f"服务器正忙：正在处理 {busy} 批文件（最多同时处理 {limits.max_jobs} 批）。请稍等一两分钟再试。")
            batch_id = secrets.token_urlsafe(24)
            folder = Path(tempfile.mkdtemp(prefix="batch-", dir=self.root))
            batch = Batch(batch_id, client, folder, expected)
            batch.inputs.mkdir()
            batch.outputs.mkdir()
            self._batches[batch_id] = batch
        log.info("%s 新建批次 %s（%d 个文件）", client, short(batch_id), expected)
        return batch

    def get(self, batch_id: str) -> Batch:
        """The batch of this id, or LimitError 404 (the same answer for a wrong id and a deleted one)."""
        with self._lock:
            batch = self._batches.get(batch_id) if isinstance(batch_id, str) else None
        if batch is None:
            raise LimitError(404, "找不到这批文件：结果已下载并删除，或已超过保留时间自动删除。请重新上传。")
        batch.touched = time.monotonic()
        return batch

    def add_upload(self, batch: Batch, index: int, raw_name: str, declared: int | None):
        """Reserve the place of upload ``index``: its safe path. Raises LimitError when it cannot be taken."""
        limits = self.limits
        if batch.state != "uploading":
            raise LimitError(409, "这批文件已经开始处理，不能再添加文件。请新建一批。")
        if not 0 <= index < batch.expected or index in batch.uploads or index in batch.reserved:
            raise LimitError(409, f"文件序号 {index} 无效或已上传。")
        shown = printable(raw_name.replace("\\", "/").rsplit("/", 1)[-1]) or f"文件{index + 1}"
        if declared is not None and declared > limits.max_file_bytes:
            raise LimitError(413, too_large_message(shown, limits.max_file_bytes))
        if declared is not None and batch.received + declared > limits.max_batch_bytes:
            raise LimitError(413, batch_too_large_message(limits))
        name = safe_name(raw_name, index)
        stem, dot, suffix = name.rpartition(".")
        number = 2
        while name.casefold() in batch.names_taken():  # the same name twice in one batch: 表 (2).xlsx
            name = f"{stem} ({number}){dot}{suffix}" if dot else f"{suffix} ({number})"
            number += 1
        batch.reserved[index] = batch.inputs / name
        return shown, batch.inputs / name

    def release(self, batch: Batch, index: int) -> None:
        """An upload that failed: its place is free again (its partial file is gone)."""
        path = batch.reserved.pop(index, None)
        if path is not None:
            path.unlink(missing_ok=True)

    def finish_upload(self, batch: Batch, index: int, shown: str, path: Path, size: int) -> Upload:
        upload = Upload(index, shown, path, size)
        batch.reserved.pop(index, None)
        batch.uploads[index] = upload
        batch.received += size
        log.info("%s 上传 %s（%s）到批次 %s", batch.client, printable(path.name), megabytes(size) if size >= 1024 else f"{size} 字节", short(batch.id))
        return upload

    def forget(self, batch: Batch) -> None:
        """From now on the batch's id finds nothing (its files go with :meth:`delete`)."""
        with self._lock:
            self._batches.pop(batch.id, None)

    def delete(self, batch: Batch, why: str) -> None:
        self.forget(batch)
        if not batch.deleted:
            batch.deleted = why
            shutil.rmtree(batch.folder, ignore_errors=True)
            log.info("批次 %s 已删除（%s）", short(batch.id), why)

    def expire(self, now: float | None = None) -> int:
        """Delete batches unused for ``ttl`` seconds (and uploads stalled for ``upload_idle``); how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            batches = list(self._batches.values())
        stale = [batch for batch in batches
                 if (batch.state == "done" and now - batch.touched >= self.limits.ttl)
                 or (batch.state == "uploading" and now - batch.touched >= min(self.limits.upload_idle, self.limits.ttl))]
        for batch in stale:
            self.delete(batch, "超过保留时间")
        return len(stale)

    def close(self) -> None:
        """Delete every batch and the root folder (server shutdown)."""
        with self._lock:
            batches, self._batches = list(self._batches.values()), {}
        for batch in batches:
            batch.deleted = batch.deleted or "服务停止"
        shutil.rmtree(self.root, ignore_errors=True)
        if batches:
            log.info("服务停止：已删除 %d 批文件", len(batches))

    def __len__(self) -> int:
        with self._lock:
            return len(self._batches)


def short(batch_id: str) -> str:
    """The first characters of an id, for logs (the whole id is a secret: whoever has it has the files)."""
    return batch_id[:6] + "…"


def run(batch: Batch, engine) -> None:
    """Process a batch's uploads as ``perfxl fill 文件... -o 结果`` does (run in a thread of its own).

    The same plan (output names, conflicts), the same per-file work in the same kind of worker,
    the same 汇总.xlsx for two files or more, and the same closing line.
    """
    from concurrent.futures import ThreadPoolExecutor

    from perfxl.batch.plan import plan_batch, preconvert_xls
    from perfxl.pipeline import FillOptions
    from perfxl.show.verdict import tally_line
    from .engine import write_summary_file

    batch.state, batch.started = "running", time.monotonic()
    uploads = sorted(batch.uploads.values(), key=lambda upload: upload.index)
    index_of = {upload.path: upload.index for upload in uploads}
    log.info("批次 %s 开始处理 %d 个文件", short(batch.id), len(uploads))
    try:
        plan = plan_batch([upload.path for upload in uploads], FillOptions(output_dir=batch.outputs))
        # As many files of the batch under way as there are workers (the rest show as queued).
        with preconvert_xls(plan.jobs) as jobs, ThreadPoolExecutor(engine.workers, thread_name_prefix="perfxl-batch") as threads:
            for future in [threads.submit(_run_one, engine, batch, job, index_of[job.path]) for job in jobs]:
                future.result()
        records = [batch.records[index].record for index in sorted(batch.records)]
        if plan.summary_dir is not None and not batch.deleted:
            try:
                batch.summary = engine.submit(write_summary_file, records, batch.outputs).result()
            except Exception as error:  # FormError (disk full …) or a broken worker: the page says so
                batch.summary_error = getattr(error, "message", "") or f"汇总表未写出（{error.__class__.__name__}）。"
        batch.tally = tally_line([record.status for record in records], time.monotonic() - batch.started)
        log.info("批次 %s 完成：%s", short(batch.id), batch.tally)
    except Exception as error:  # the server is stopping (the pool is gone) or a bug: never a crash of the server
        if not batch.deleted:
            log.warning("批次 %s 处理中断（%s）", short(batch.id), error.__class__.__name__)
            batch.tally = "处理中断：服务正在停止或发生内部错误。请重新上传。"
    finally:
        batch.finished = batch.touched = time.monotonic()
        batch.state = "done"


def _run_one(engine, batch: Batch, job, index: int):
    if batch.deleted:  # deleted meanwhile (expired, or the server stops): skip the rest
        return None
    batch.processing.add(index)
    try:
        batch.records[index] = engine.run(job)  # stored before it leaves `processing`: never seen as neither
    finally:
        batch.processing.discard(index)
