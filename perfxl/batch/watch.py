"""Drop-folder mode (``perfxl watch DIR``): process each form that lands in DIR, once it is whole.

A file is taken only when it is *stable*: its size, modification time, inode and ctime unchanged
for ``stable_seconds`` **and** it opens (zip structure complete, or a readable .xls). The inode and
ctime catch a replacement that keeps size and modification time (``cp -p``, ``rsync -t``, unzip).
A file that cannot be read yet is announced once as waiting (``on_waiting``) and retried on later
polls, never reported as broken; one that stays so for ``give_up_seconds`` is processed anyway, so
a truly broken file does show up in 汇总.xlsx. A file that is plainly no workbook (its first bytes
say so) is reported as soon as it is stable. A file is processed again only when its content
(SHA-256) changes, or when its outputs could not be written (locked by Excel, read-only folder):
those are retried every ``retry_seconds`` and reported again only when the outcome changes. The
same for 汇总.xlsx, whose failure is reported once. Outputs and 汇总.xlsx go to ``DIR/输出/``,
which is never scanned. However the loop ends (Ctrl-C in the middle of a burst included), 汇总.xlsx
is brought up to date with every file processed so far.

Polling does the work; watchdog's file events (where the platform provides them) only wake the
loop early, so a new file is noticed at once without busy waiting.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from perfxl.batch.inputs import is_candidate
from perfxl.batch.records import FileRecord, WRITE_ERROR_CODES
from perfxl.pipeline import fill_path, FillOptions, output_paths
from perfxl.model import FormError

OUTPUT_FOLDER = "输出"
STATE_NAME = ".perfxl-watch.json"  # name → SHA-256 of what the outputs in 输出/ were made from


@dataclass
class _Seen:
    signature: tuple[int, ...]  # size, mtime_ns, inode, ctime_ns
    since: float  # when this signature was first observed
    done: bool = False  # this exact signature has been handled
    retry_at: float | None = None  # its outputs could not be written: try again from then
    hashed_at: float = 0.0  # when its content was last hashed


class Watcher:
    """The drop-folder loop; :meth:`poll` does one pass and can be driven directly in tests."""

    def __init__(
        self,
        folder: Path,
        options: FillOptions | None = None,
        *,
        stable_seconds: float = 1.0,
        give_up_seconds: float = 30.0,
        retry_seconds: float = 5.0,
        rehash_seconds: float | None = 30.0 if os.name == "nt" else None,
        on_record: Callable[[FileRecord], None] | None = None,
        on_summary: Callable[[Path | None, FormError | None], None] | None = None,
        on_waiting: Callable[[Path], None] | None = None,
        on_current: Callable[[FileRecord], None] | None = None,
    ):
        """``on_record``: a file was processed (outputs written, or why not); ``on_current``: a file whose
        outputs an earlier run already made from this very content (read for 汇总 only, nothing written);
        ``on_waiting``: a file cannot be read yet; ``on_summary``: 汇总.xlsx written, or (once per
        distinct cause) why it could not be. ``rehash_seconds``: also hash handled files this often,
        for file systems where an overwrite in place can keep size, times and file number (Windows)."""
        self.folder = Path(folder)
        self.output_dir = self.folder / OUTPUT_FOLDER
        self.options = replace(options or FillOptions(), output_dir=self.output_dir)
        self.stable_seconds = stable_seconds
        self.give_up_seconds = give_up_seconds
        self.retry_seconds = retry_seconds
        self.rehash_seconds = rehash_seconds
        self.on_record = on_record
        self.on_summary = on_summary
        self.on_waiting = on_waiting
        self.on_current = on_current
        self.records: dict[Path, FileRecord] = {}
        self.processed = 0  # how many times a file was processed and written (for tests and the closing line)
        self.current = 0  # files whose outputs were already up to date (an earlier run made them)
        self._seen: dict[Path, _Seen] = {}
        self._hashes: dict[Path, str] = {}
        self._waiting: set[Path] = set()  # announced as waiting, not yet processed
        self._summary_dirty = False
        self._summary_retry_at = 0.0
        self._summary_error: str | None = None  # the failure last reported (reported once)
        self._state_file = self.output_dir / STATE_NAME
        self._previous = _load_state(self._state_file)  # name → hash filled by an earlier run

    def candidates(self) -> list[Path]:
        try:
            children = sorted(self.folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return []
        return [p for p in children if is_candidate(p) and p.is_file()]

    def poll(self, now: float | None = None) -> list[FileRecord]:
        """One pass over the folder; returns the records of the files processed in it."""
        now = time.monotonic() if now is None else now
        present = self.candidates()
        for gone in set(self._seen) - set(present):
            del self._seen[gone]
            self._hashes.pop(gone, None)
            self._waiting.discard(gone)
            if self.records.pop(gone, None) is not None:
                self._summary_dirty = True
        done = []
        for path in present:
            record = self._consider(path, now)
            if record is not None:
                done.append(record)
        if self._summary_dirty and now >= self._summary_retry_at:
            self._write_summary(now)
        return done

    def _consider(self, path: Path, now: float) -> FileRecord | None:
        try:
            stat = path.stat()
        except OSError:  # vanished or locked between listing and stat
            return None
        signature = _signature(stat)
        seen = self._seen.get(path)
        if seen is not None and seen.done and seen.retry_at is None and self._content_changed(path, seen, now):
            seen = None  # rewritten in place with the same size and times: seen afresh
        if seen is None or seen.signature != signature:
            self._seen[path] = seen = _Seen(signature, now)
            if path not in self._waiting and _readiness(path) == "incomplete":
                self._announce_waiting(path)
            return None
        if seen.retry_at is not None:
            if now < seen.retry_at:
                return None
        elif seen.done or now - seen.since < self.stable_seconds:
            return None
        try:
            digest = _sha256(path)
        except OSError:  # still held open exclusively by the copying program (Windows)
            digest = None
        seen.hashed_at = now
        if digest is not None and self._hashes.get(path) == digest and seen.retry_at is None:
            seen.done = True
            self._waiting.discard(path)
            return None
        readiness = "incomplete" if digest is None else _readiness(path)
        if readiness == "incomplete" and now - seen.since < self.give_up_seconds:
            self._announce_waiting(path)
            return None  # probably still being written: try again on a later poll
        record = self._process(path, digest or "", retry=seen.retry_at is not None)
        seen.done = True
        seen.retry_at = now + self.retry_seconds if record.error_code in WRITE_ERROR_CODES else None
        if digest is not None and seen.retry_at is None:
            self._hashes[path] = digest
        return record

    def _content_changed(self, path: Path, seen: _Seen, now: float) -> bool:
        """Every ``rehash_seconds``: whether a handled file's content differs from what was processed."""
        if self.rehash_seconds is None or now - seen.hashed_at < self.rehash_seconds or path not in self._hashes:
            return False
        seen.hashed_at = now
        try:
            return _sha256(path) != self._hashes[path]
        except OSError:  # being rewritten right now: the next look tells
            return False

    def _announce_waiting(self, path: Path) -> None:
        if path not in self._waiting:
            self._waiting.add(path)
            if self.on_waiting is not None:
                self.on_waiting(path)

    def _process(self, path: Path, digest: str, retry: bool = False) -> FileRecord:
        self._waiting.discard(path)
        expected = _expected_outputs(path, self.options)
        current = bool(digest) and self._previous.get(path.name) == digest and all(out.exists() for out in expected)
        if current:
            # Filled by an earlier run of watch from this very content: only read it for 汇总.
            from perfxl.pipeline import check_path

            outcome = check_path(path)
            if outcome.error is None:
                outcome.outputs = expected
        else:
            outcome = fill_path(path, self.options)
            if outcome.error is None and digest:
                self._previous[path.name] = digest
                _save_state(self._state_file, self._previous)
        record = FileRecord.from_outcome(outcome, path.name)
        before = self.records.get(path)
        self.records[path] = record
        self._summary_dirty = self._summary_dirty or record != before
        if retry and before is not None and (before.error_code, before.error_message) == (record.error_code, record.error_message):
            return record  # the same failure again: said once already
        if current and outcome.error is None:
            self.current += 1
            if self.on_current is not None:
                self.on_current(record)
            return record
        if not retry:
            self.processed += 1
        if self.on_record is not None:
            self.on_record(record)
        return record

    def _write_summary(self, now: float | None = None) -> None:
        from perfxl.batch.summary import write_summary

        records = [self.records[path] for path in sorted(self.records, key=lambda p: p.name)]
        try:
            target = write_summary(records, self.output_dir, force=self.options.force)
        except FormError as error:  # e.g. 汇总.xlsx open in Excel: keep it dirty and retry a little later
            self._summary_retry_at = (time.monotonic() if now is None else now) + self.retry_seconds
            if error.message != self._summary_error:
                self._summary_error = error.message
                if self.on_summary is not None:
                    self.on_summary(None, error)
            return
        self._summary_dirty = False
        self._summary_error = None
        if self.on_summary is not None:
            self.on_summary(target, None)

    def flush(self) -> None:
        """Bring 汇总.xlsx up to date with every file processed so far (when the loop ends)."""
        if self._summary_dirty:
            self._write_summary()

    def run(self, stop: threading.Event | None = None, *, poll_interval: float = 1.0, max_seconds: float | None = None, use_events: bool = True) -> None:
        """Poll until ``stop`` is set or ``max_seconds`` have passed (Ctrl-C raises KeyboardInterrupt)."""
        stop = stop or threading.Event()
        wake = threading.Event()
        observer = _start_observer(self.folder, wake) if use_events else None
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        try:
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                self.poll()
                timeout = poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - time.monotonic()))
                if wake.wait(timeout):
                    wake.clear()
                    time.sleep(min(0.05, poll_interval))  # let a burst of events settle
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=2)
            # Stopped mid-burst (Ctrl-C): 汇总.xlsx still lists every file processed until then.
            self.flush()

def _start_observer(folder: Path, wake: threading.Event):
    """A watchdog observer that wakes the loop on any change; None where events are unavailable."""
    try:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        return None

    class Wake(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            wake.set()

    observer = Observer()
    try:
        observer.schedule(Wake(), str(folder), recursive=False)
        observer.start()
    except Exception:  # inotify limits, network shares: polling alone still works
        return None
    return observer


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    """What tells a changed file without reading it. Size and modification time alone miss a
    replacement that copies the times (``cp -p``, ``rsync -t``, unzip); the file number (a new file
    renamed over the old one) and the status-change time (any write, even one that sets the times
    back) catch those."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Refusals that a complete file gets: no point in waiting, fill says why at once.
_FINAL_REFUSALS = ("too-large", "not-a-spreadsheet", "unsupported-format", "unsupported-scheme", "encrypted", "unsafe-xml", "unsafe-package")


def _readiness(path: Path) -> str:
    """"ready" (a whole zip or an .xls xlrd can open; or plainly no workbook: report it now) or
    "incomplete" (empty, zeros so far, a zip without its directory yet, locked: wait for it)."""
    from perfxl.read.workbook import Limits, check_zip, sniff

    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        if not head.strip(b"\x00"):
            return "incomplete"  # nothing, or space reserved by the copying program and not yet written
        kind = sniff(path)
        if kind == "xls":
            import xlrd

            xlrd.open_workbook(str(path), on_demand=True).release_resources()
        else:
            check_zip(path, Limits.from_env())
    except FormError as error:
        return "ready" if error.code in _FINAL_REFUSALS else "incomplete"
    except Exception:
        return "incomplete"
    return "ready"


def _expected_outputs(path: Path, options: FillOptions) -> list[Path]:
    workbook, reports = output_paths(path, options)
    return ([workbook] if options.workbook else []) + (reports if options.report else [])


def _load_state(path: Path) -> dict[str, str]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_state(path: Path, state: dict[str, str]) -> None:
    import json

    from perfxl.atomic import write_bytes_atomic

    try:
        write_bytes_atomic(path, json.dumps(state, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8"))
    except FormError:  # only an optimisation for the next start; never stop watching over it
        pass
