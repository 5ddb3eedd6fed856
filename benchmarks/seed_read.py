"""The reading cost of one form: the seed sample read and checked in this process (issue 20's target:
``perfxl check`` on the seed stays ≤ 4 ms in-process for the reading).

    python benchmarks/seed_read.py            # median and minimum of 300 runs after a warm-up
    python benchmarks/seed_read.py --runs 1000

Three measures, each on the seed (samples/2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx):
``read`` — grid → Form (the accounted reading) with the file already opened; ``check`` — the rules on
the Form; ``open+read+check`` — what ``perfxl.check(path)`` does for one file. Run it on an idle
machine: on a loaded one the medians mean little (compare the minimums).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = ROOT / "samples" / "2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx"


def timed(function, runs: int) -> tuple[float, float]:
    """(median, minimum) in milliseconds."""
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000, min(spent) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)

    from perfxl.read.reader import read_forms
    from perfxl.checks.rules import check
    from perfxl.read.workbook import open_book

    book = open_book(SEED, styles=False)
    forms = read_forms(SEED, book=book)
    for _ in range(30):  # warm: imports, caches of label normalisation
        [check(form) for form in read_forms(SEED, book=book)]
    rows = [
        ("read (file opened)", timed(lambda: read_forms(SEED, book=book), args.runs)),
        ("check (Form read)", timed(lambda: [check(form) for form in forms], args.runs)),
        ("open+read+check", timed(lambda: [check(form) for form in read_forms(SEED)], max(args.runs // 3, 10))),
    ]
    print("| seed sample, in-process | median | min |")
    print("|---|---:|---:|")
    for name, (median, minimum) in rows:
        print(f"| {name} | {median:.2f} ms | {minimum:.2f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
