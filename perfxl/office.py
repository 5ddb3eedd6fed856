"""LibreOffice headless: converting .xls to .xlsx (one file, or many in one run) and stopping runs.

perfxl reads .xls with xlrd, but only LibreOffice keeps an .xls form's look when it becomes
.xlsx; :mod:`perfxl.xlswriter` writes the filled workbook on the conversion. Each run gets a
profile of its own and a process group of its own, so a timeout or Ctrl-C stops soffice.bin too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE_TIMEOUT = 180


def convert_with_office(source: Path, fmt: str, outdir: Path, timeout: int = SOFFICE_TIMEOUT) -> Path | None:
    """Convert ``source`` with LibreOffice headless (``fmt``: xlsx, pdf …); None when soffice is absent or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    outdir.mkdir(parents=True, exist_ok=True)
    if not _run_office(soffice, ["--convert-to", fmt, "--outdir", str(outdir), str(source)], timeout):
        return None
    result = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    return result if result.is_file() and result.stat().st_size > 0 else None


def convert_many_with_office(sources: list[Path], outdir: Path, timeout: int = SOFFICE_TIMEOUT) -> dict[Path, Path]:
    """Convert many .xls to .xlsx in one LibreOffice run (~0.17 s a file instead of ~1.5 s each).

    Sources must have distinct stems (they land in one folder). Returns source → converted file,
    for those that converted; an empty dict when soffice is absent or fails.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not sources:
        return {}
    outdir.mkdir(parents=True, exist_ok=True)
    if not _run_office(soffice, ["--convert-to", "xlsx", "--outdir", str(outdir), *map(str, sources)], timeout + 10 * len(sources)):
        return {}
    found = {}
    for source in sources:
        result = outdir / f"{source.stem}.xlsx"
        if result.is_file() and result.stat().st_size > 0:
            found[source] = result
    return found


#: LibreOffice runs under way, so that a stopped run can stop them too (see :func:`stop_office`).
_OFFICE_RUNS: set = set()


def _run_office(soffice: str, args: list[str], timeout: float) -> bool:
    """Run LibreOffice headless with a profile of its own; False if it could not start or timed out.

    It runs in a process group of its own, so that stopping it (timeout, Ctrl-C, SIGTERM, or
    :func:`stop_office` from another thread) also stops the soffice.bin it starts.
    """
    profile = Path(tempfile.mkdtemp(prefix="perfxl-lo-"))
    try:
        try:
            process = subprocess.Popen(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", *args],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HOME": str(profile)},
                start_new_session=(os.name == "posix"),
            )
        except (OSError, subprocess.SubprocessError):
            return False
        _OFFICE_RUNS.add(process)
        try:
            process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            _kill_office(process)
            return False
        except BaseException:
            _kill_office(process)
            raise
        finally:
            _OFFICE_RUNS.discard(process)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def stop_office() -> None:
    """Stop the LibreOffice runs under way (the run is being stopped; their waiting threads return at once)."""
    for process in list(_OFFICE_RUNS):
        _kill_office(process, wait=False)


def _kill_office(process, wait: bool = True) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, 9)
        else:
            process.kill()
    except OSError:
        pass
    if wait:
        process.wait()

