"""Progress of a batch: a rich bar on a terminal, plain ``[3/120] 文件名`` lines otherwise.

Only characters that a Chinese Windows console (GBK) can show: no spinners, ticks or emoji.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class BatchProgress:
    """Use as a context manager; call :meth:`advance` as each file finishes.

    ``emit`` prints a result line without breaking the bar (above it on a terminal).
    """

    def __init__(self, total: int, stream: TextIO | None = None, terminal: bool | None = None, enabled: bool = True):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 1
        self.completed = 0
        self.started = time.monotonic()
        self._progress = None
        self._task = None
        self._console = None
        if self.enabled:
            from rich.console import Console

            self._console = Console(file=self.stream, force_terminal=terminal, highlight=False, soft_wrap=True)
            self.terminal = self._console.is_terminal
        else:
            self.terminal = False

    def __enter__(self) -> BatchProgress:
        if self.enabled and self.terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("已用"),
                TimeElapsedColumn(),
                TextColumn("剩余"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("处理中", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
            self._progress = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def advance(self, label: str, status: str = "") -> None:
        """One more file finished (``label`` is shown as the current file)."""
        self.completed += 1
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=_shorten(label, 24))
        else:
            suffix = f"：{status}" if status else ""
            print(f"[{self.completed}/{self.total}] {label}{suffix}", file=self.stream, flush=True)

    def emit(self, line: str, out: TextIO | None = None) -> None:
        """Print a result line: above the bar when both streams share a terminal, else to ``out``."""
        out = out if out is not None else sys.stdout
        if self._progress is not None and _isatty(out):
            from rich.text import Text

            self._progress.console.print(Text(line))
        else:
            print(line, file=out, flush=True)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _shorten(text: str, width: int) -> str:
    """Keep the end of a long name (it carries the distinguishing part) within ``width`` cells."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text.ljust(width - cell_len(text) + len(text))
    while cell_len("..." + text) > width:
        text = text[1:]
    return "..." + text
