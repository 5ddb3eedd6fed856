"""Writing output files atomically (temporary file in the same folder, then rename)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import traceback
import zipfile
from collections.abc import Iterator
from pathlib import Path

from perfxl.model import FormError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    On any failure the temporary file is removed and ``target`` is left as it was, also when the
    run is interrupted (Ctrl-C, SIGTERM: see perfxl/batch/lifecycle.py). OS errors become a FormError
    with a Chinese message (folder missing, read-only, disk full, file open in Excel).
    """
    target = Path(target)
    temp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # The name is chosen before the file is made (tempfile.mkstemp makes it, then returns the
        # name: an interrupt in between would leave a file nobody knows of). os.open applies the
        # umask: outputs get the usual permissions.
        for _ in range(100):
            temp_name = str(target.parent / f".~perfxl-{secrets.token_hex(5)}{target.suffix}")
            try:
                os.close(os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
                break
            except FileExistsError:
                temp_name = None  # somebody else's: not ours to remove
        else:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target.parent))
    except BaseException as exc:  # also an interrupt while the file was being made
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from None
        raise
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, target)
    except BaseException as exc:
        _release(exc)
        error = exc if isinstance(exc, OSError) else _disk_full(exc)
        if error is not None:
            raise _write_error(target, error) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def _disk_full(exc: BaseException) -> OSError | None:
    """lxml reports a full disk as ``SerialisationError: IO_ENOSPC``, not as an OSError."""
    if isinstance(exc, Exception) and "ENOSPC" in str(exc):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return None


def _release(exc: BaseException) -> None:
    """Close what the failed write left open, now rather than in the garbage collector.

    A zip being written when the disk filled up (or the run was stopped) would otherwise be
    closed later by ``ZipFile.__del__``, which tries to finish it, fails again and prints
    "Exception ignored in …"; and on Windows its open handle keeps the temporary file alive.
    """
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, zipfile.ZipFile):
                with contextlib.suppress(BaseException):  # it fails again; the first error is the one to report
                    value.close()
        tb = tb.tb_next
    traceback.clear_frames(exc.__traceback__)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def _write_error(target: Path, exc: OSError) -> FormError:
    from perfxl.systext import os_error_text, printable

    what, todo = os_error_text(exc)
    return FormError("write-failed", f"无法写入 {printable(target.name)}：{what}。{todo}（输出文件夹：{printable(target.parent)}）。", target)
