"""Writing output files atomically (temporary file in the same folder, then rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .model import FormError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    On any failure the temporary file is removed and ``target`` is left as it was. OS errors
    become a FormError with a Chinese message (folder missing, read-only, file open in Excel).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".~perfxl-", suffix=target.suffix, dir=target.parent)
        os.close(handle)
        os.chmod(temp_name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    except OSError as exc:
        raise _write_error(target, exc) from None
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, target)
    except OSError as exc:
        raise _write_error(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def _write_error(target: Path, exc: OSError) -> FormError:
    if isinstance(exc, PermissionError):
        message = f"无法写入 {target.name}：文件正被其他程序打开，或没有写入权限。请先在 Excel/WPS 中关闭该文件，或换一个输出文件夹（-o）。"
    else:
        message = f"无法写入 {target}（{exc.strerror or exc}）。请检查输出文件夹是否存在、磁盘空间和写入权限。"
    return FormError("write-failed", message, target)
