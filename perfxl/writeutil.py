"""Writing output files atomically (temporary file in the same folder, then rename)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import traceback
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .model import FormError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    On any failure the temporary file is removed and ``target`` is left as it was, also when the
    run is interrupted (Ctrl-C, SIGTERM: see perfxl/lifecycle.py). OS errors become a FormError
    with a Chinese message (folder missing, read-only, disk full, file open in Excel).
    """
    target = Path(target)
    temp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".~perfxl-", suffix=target.suffix, dir=target.parent)
        os.close(handle)
        os.chmod(temp_name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    except BaseException as exc:  # also an interrupt right after the file was made
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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def _write_error(target: Path, exc: OSError) -> FormError:
    from .systext import os_error_text, printable

    what, todo = os_error_text(exc)
    return FormError("write-failed", f"无法写入 {printable(target.name)}：{what}。{todo}（输出文件夹：{printable(target.parent)}）。", target)
