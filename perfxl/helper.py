"""Checking forms: here, or in a helper process that overlaps the cold start.

A cold ``perfxl fill`` of one form spends most of its second importing libraries: openpyxl
(with numpy) to read and write the workbook, pandas to recalculate, docxtpl, python-docx and
Jinja to write the report. On two or more cores those imports need not wait for each other.
:class:`Helper` starts a second Python process first thing, which imports pandas while this
process imports openpyxl and reads the workbook. It is then sent the forms and checks them with
the very same :func:`perfxl.rules.check`; while it does, this process loads the report stack and
compiles the report template. The results come back, and this process writes the workbook and
the reports from them. This process never loads pandas.

:class:`InProcess` does the same work here; it is what a warm process (``perfxl watch``, the
tests), a batch run by worker processes, ``--jobs 1`` or a one-core machine uses. If the helper
cannot start, breaks or dies, the work falls back to :class:`InProcess`: the outputs are the same
either way (tests/test_helper.py compares them).

The helper is fed pickles over its stdin and answers over its stdout: both ends are this
package, on one machine, in one run.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

# Run by the helper's interpreter: take this process's import path (the same perfxl, whatever
# installed it), then serve. Only the standard library is used before perfxl is importable.
_BOOTSTRAP = "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); from perfxl.helper import serve; serve()"
_PROTOCOL = pickle.HIGHEST_PROTOCOL


class InProcess:
    """Check forms and write their reports in this process."""

    def check(self, forms: list) -> list:
        from .rules import check

        return [check(form) for form in forms]

    def write_reports(self, results: list, reports: list[tuple[int, Path]], template: Path | None) -> None:
        """Write the report of ``results[index]`` to each ``(index, path)``, in order."""
        from .report import write_report

        for index, target in reports:
            write_report(results[index], target, template=template)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Helper(InProcess):
    """Checking done by a helper process started now (see the module's docstring).

    While the helper checks the first forms, this process loads the report stack, so the two
    halves of the cold start overlap; reports are written here.
    """

    def __init__(self, report: bool = True, template: Path | None = None, debug: bool = False):
        self.process: subprocess.Popen | None = None
        self.used = False
        self.report_template = (template,) if report else None  # warmed while waiting for the helper
        try:
            self.process = subprocess.Popen(
                # -I: nothing from the current folder or the environment is imported before the
                # bootstrap installs this process's own import path (a 收件箱 may hold a re.py).
                [sys.executable, "-I", "-c", _BOOTSTRAP],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=None if debug else subprocess.DEVNULL,  # its traceback only where --debug asks for one
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # Windows: no console window flashes up
            )
            self._send(list(sys.path))
        except Exception:  # no interpreter to start, no pipes: everything is done here
            self._stop()

    @property
    def alive(self) -> bool:
        return self.process is not None

    def check(self, forms: list) -> list:
        """The forms' CheckResults, computed by the helper (or here, if it is gone)."""
        if self.process is None:
            return super().check(forms)
        self.used = True
        # Sent from a thread: a pipe holds 4 KB on Windows, so the write waits until the helper,
        # busy importing pandas, reads; this process loads the report stack meanwhile.
        failed: list[BaseException] = []
        sender = threading.Thread(target=self._send_or_note, args=(forms, failed), daemon=True)
        sender.start()
        self._meanwhile()
        sender.join()
        try:
            if failed:
                raise failed[0]
            status, value = pickle.load(self.process.stdout)
        except Exception:  # it died, or the channel is out of step: never trust it again
            self._stop()
            return super().check(forms)
        if status != "ok":
            # check() raised there: run it here, so the error (and, with --debug, its traceback)
            # is exactly what it would have been without the helper.
            return super().check(forms)
        return value

    def close(self) -> None:
        """Let the helper go: it exits as soon as its stdin closes (at once if it was never used)."""
        if self.process is None:
            return
        if not self.used:
            self._stop()  # still importing, most likely: nothing of it is needed
            return
        process, self.process = self.process, None
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except Exception:
            process.kill()
            process.wait()

    def _meanwhile(self) -> None:
        """Load the report stack and compile the template once, while the helper works."""
        if self.report_template is not None:
            (template,), self.report_template = self.report_template, None
            warm_report(template)

    def _send(self, message) -> None:
        pickle.dump(message, self.process.stdin, protocol=_PROTOCOL)
        self.process.stdin.flush()

    def _send_or_note(self, message, failed: list) -> None:
        try:
            self._send(message)
        except BaseException as exc:
            failed.append(exc)

    def _stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()
                except Exception:
                    pass


def start(report: bool, template: Path | None, debug: bool = False) -> InProcess:
    """A :class:`Helper` where one pays off, else :class:`InProcess`.

    It pays off only in a cold process on two or more cores: once pandas is loaded here (a warm
    process), doing the work here is quicker than handing it over.
    """
    frozen = getattr(sys, "frozen", False) or "__compiled__" in globals()  # PyInstaller, cx_Freeze; Nuitka
    if frozen or "pandas" in sys.modules or usable_cores() < 2:
        return InProcess()
    helper = Helper(report, template, debug)
    return helper if helper.alive else InProcess()


def usable_cores() -> int:
    """The number of cores this process may use (here, not in batch: this module loads nothing heavy)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def warm_report(template: Path | None) -> None:
    """Import the report stack and compile the template now; a problem surfaces when a report is written."""
    try:
        from .report import load_template

        load_template(template)
    except Exception:
        pass


# ---------------------------------------------------------------- the helper's side


def serve() -> None:
    """The helper's loop: check each list of forms it is sent, until its stdin closes."""
    requests = sys.stdin.buffer
    # Replies get their own copy of stdout; fd 1 itself goes to stderr, so that nothing printed
    # (by Python or by a C library) can corrupt them.
    replies = os.fdopen(os.dup(1), "wb")
    try:
        if sys.stderr is not None:
            os.dup2(sys.stderr.fileno(), 1)
        else:  # pythonw with --debug: nowhere to show it
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
    except OSError:
        pass
    sys.stdout = sys.stderr
    try:
        import pandas  # noqa: F401  (the import this process is here for; perfxl.rules loads it lazily)

        local = InProcess()
        while True:
            try:
                forms = pickle.load(requests)
            except EOFError:
                # All answered: skip the interpreter's teardown of pandas and friends, which
                # the other process would otherwise wait for.
                os._exit(0)
            try:
                reply = ("ok", local.check(forms))
            except Exception as exc:  # the other process runs it again itself, for the real traceback
                reply = ("failed", exc.__class__.__name__)
            pickle.dump(reply, replies, protocol=_PROTOCOL)
            replies.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        pass


