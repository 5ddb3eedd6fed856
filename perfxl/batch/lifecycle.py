"""Ending a run cleanly: SIGTERM and Ctrl-C, and a private temporary folder.

A service stop or ``timeout`` sends SIGTERM; a user presses Ctrl-C (SIGINT). Either way the run
must leave no temporary file behind and say so in one Chinese line. SIGTERM is turned into
:class:`Terminated`, a ``KeyboardInterrupt``, so it takes the very paths Ctrl-C takes: every
``finally`` and context manager runs (``atomic_path`` removes its ``.~perfxl-*`` file, temporary
folders are deleted, LibreOffice is stopped).

What libraries leave in the temporary folder when interrupted (openpyxl's ``openpyxl.*``
worksheet files have no cleanup on error) goes into one folder of this run, ``perfxl-run-*``,
which :func:`remove_private_tempdir` deletes on every way out. Worker processes and LibreOffice
inherit it through ``TMPDIR``/``TEMP``/``TMP``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile

#: Exit codes of a run stopped by a signal (as shells report them: 128 + the signal's number).
EXIT_INTERRUPTED = 130  # SIGINT, Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised like Ctrl-C, so that the same cleanup runs."""


_terminated = False  # SIGTERM arrived (typer turns every KeyboardInterrupt into exit code 130 and forgets which)


def _raise_terminated(signum, frame) -> None:
    global _terminated
    _terminated = True
    raise Terminated()


def install_handlers() -> None:
    """In the command's process: SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError, AttributeError):  # not the main thread, or no SIGTERM here
        pass


def exit_code(interrupt: KeyboardInterrupt | None = None) -> int:
    """143 after SIGTERM, 130 after Ctrl-C."""
    return EXIT_TERMINATED if _terminated or isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def message(interrupt: KeyboardInterrupt | None = None) -> str:
    """The one line a stopped run prints."""
    return "已终止。" if exit_code(interrupt) == EXIT_TERMINATED else "已中断。"


# ---------------------------------------------------------------- the run's temporary folder

_private: str | None = None
_TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")
_saved: tuple = ()  # tempfile.tempdir and the variables as they were


def use_private_tempdir() -> str | None:
    """Send this process's (and its children's) temporary files into a folder of their own."""
    global _private, _saved
    if _private is not None:
        return _private
    try:
        _private = tempfile.mkdtemp(prefix="perfxl-run-")
    except OSError:  # no usable temporary folder: leave things as they are
        return None
    _saved = (tempfile.tempdir, {name: os.environ.get(name) for name in _TEMP_VARIABLES})
    tempfile.tempdir = _private
    for name in _TEMP_VARIABLES:
        os.environ[name] = _private
    return _private


def remove_private_tempdir() -> None:
    """Delete the run's temporary folder with whatever is left in it (and use the usual one again)."""
    global _private
    folder, _private = _private, None
    if folder is None:
        return
    tempdir, variables = _saved
    tempfile.tempdir = tempdir
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(folder, ignore_errors=True)


def quiet_unraisable() -> None:
    """No "Exception ignored in …" text under the Chinese message: a half-written zip closed by the
    garbage collector after a failed write (disk full, interrupt) has nothing more to say."""
    sys.unraisablehook = lambda unraisable: None


# ---------------------------------------------------------------- worker processes

_busy = False
_stop = False  # a signal arrived while the worker was busy (even if some library swallowed it)


def install_worker_handlers() -> None:
    """In a batch worker: a signal during a file stops that file through its cleanup, then the worker.

    Idle, the worker just leaves (raising there would print multiprocessing's traceback).
    """
    quiet_unraisable()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(signum, _worker_signal)
        except (ValueError, OSError, AttributeError):
            pass


def _worker_signal(signum, frame) -> None:
    global _stop
    if _stop:
        return  # a second signal while the first one's cleanup runs: let it finish (it exits next)
    _stop = True
    if _busy:
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    os._exit(128 + signum)


def run_in_worker(function, *args):
    """Run one file's work in a worker; when a signal stops it, leave once its cleanup has run."""
    global _busy
    _busy = True
    try:
        result = function(*args)
    except KeyboardInterrupt as interrupt:
        os._exit(exit_code(interrupt))
    finally:
        _busy = False
    if _stop:  # the signal hit code that ignores exceptions (a __del__): the file finished; stop now
        os._exit(EXIT_TERMINATED)
    return result
