"""A small, hand-made mutation check of perfxl/rules.py: does the test suite notice a broken rule?

Each mutation below changes one line of the scoring rules the way a careless edit would. For each,
a copy of the project with that one change is tested (tests/test_rules.py, test_variants.py,
test_real_forms.py, test_department.py and test_phrases.py); a mutation the tests do not catch
"survives" and is listed. Not part of the test suite (it takes a few minutes):

    python benchmarks/mutate_rules.py            # all mutations
    python benchmarks/mutate_rules.py --list     # just list them
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_rules.py", "tests/test_variants.py", "tests/test_real_forms.py", "tests/test_department.py", "tests/test_phrases.py"]

#: (what the mutation does, text in rules.py, replacement). Each text must occur exactly once.
MUTATIONS: list[tuple[str, str, str]] = [
    ("反向 indicator with actual 0 scores 0", "reverse_ratio = np.where(t.actual > 0, t.target / t.actual, 1.0)",
     "reverse_ratio = np.where(t.actual > 0, t.target / t.actual, 0.0)"),
    ("正向 indicator with target 0 scores full", "forward_ratio = np.where(t.target > 0, t.actual / t.target, np.nan)",
     "forward_ratio = np.where(t.target > 0, t.actual / t.target, 1.0)"),
    ("ratio not capped at 1", "ratio = np.clip(np.where(reverse, reverse_ratio, forward_ratio), 0.0, 1.0)",
     "ratio = np.clip(np.where(reverse, reverse_ratio, forward_ratio), 0.0, 2.0)"),
    ("反向 read as 正向", '_REVERSE = {"<=", "<"}', '_REVERSE = {"<"}'),
    ("budget score not capped at 100 %", "min(rate_total, 1.0) * weight", "rate_total * weight"),
    ("budget weight default 20", "(form.funds_weight_label or L.DEFAULT_BUDGET_WEIGHT)", "(form.funds_weight_label or 20.0)"),
    ("total leaves out the budget score", "(computed.budget_score or 0.0) + indicator_score", "indicator_score"),
    ("grade 优 from 85", "    if score >= 90:\n        return \"优\"", "    if score >= 85:\n        return \"优\""),
    ("grade bounds exclusive", "    if score >= 80:", "    if score > 80:"),
    ("no pending grade for weights ≠ 100", "    if not close(computed.total_weight, 100.0):\n        reasons.append",
     "    if False:\n        reasons.append"),
    ("deviation not required", "for i in np.flatnonzero(deducted & np.array(t.deviation_blank, dtype=bool)):",
     "for i in np.flatnonzero(deducted & ~np.array(t.deviation_blank, dtype=bool)):"),
    ("score above weight allowed", "exceeds = (score > weight + _TOL) | (score < 0)", "exceeds = score < 0"),
    ("total row of zeros not taken from parts", "from_parts = total_empty and any(", "from_parts = False and any("),
    ("rate tolerance ignores the shown digits", "return stated is None or abs(stated - value) > _rate_tolerance(cell)",
     "return stated is None or abs(stated - value) > 0.00005"),
    ("qualitative band 达成 from 70 %", '"达成": (0.8, 1.0)', '"达成": (0.7, 1.0)'),
    ("sub-row scores not flagged", 'if col[f"{name}_kind"][i] == "number":', 'if False:'),
    ("breakdowns never compared", "if len(groups) == 2 and len(both) == 2 and not close(both[0], both[1]):",
     "if False:"),
    ("column-missing never said", "            if name not in form.fund_columns:", "            if False:"),
    ("level1 stated weight ignored", "if group[\"stated_weight\"] is not None and group[\"weight\"] is not None and not close(",
     "if False and group[\"stated_weight\"] is not None and group[\"weight\"] is not None and not close("),
]


def run(selected: list[int]) -> list[str]:
    source = (ROOT / "perfxl" / "rules.py").read_text(encoding="utf-8")
    survivors = []
    for index in selected:
        name, old, new = MUTATIONS[index]
        if source.count(old) != 1:
            print(f"[{index}] {name}: text not found once in rules.py — update the mutation list", flush=True)
            survivors.append(f"{name} (not applied)")
            continue
        with tempfile.TemporaryDirectory(prefix="perfxl-mutant-") as scratch:
            # A whole copy of the project, tested from its own folder: its perfxl/ comes first on sys.path.
            copy = Path(scratch) / "perfxl-project"
            shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "out", ".pytest_cache", ".hypothesis"))
            (copy / "perfxl" / "rules.py").write_text(source.replace(old, new), encoding="utf-8")
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not office", *TESTS],
                                  cwd=copy, env=env, capture_output=True, text=True)
        caught = done.returncode != 0
        print(f"[{index}] {name}: {'caught' if caught else 'SURVIVED'}", flush=True)
        if not caught:
            survivors.append(name)
    return survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("only", nargs="*", type=int, help="indexes of mutations to run (default: all)")
    args = parser.parse_args()
    if args.list:
        for index, (name, _, _) in enumerate(MUTATIONS):
            print(f"[{index}] {name}")
        return 0
    survivors = run(args.only or list(range(len(MUTATIONS))))
    print(f"\n{len(MUTATIONS) - len(survivors)} of {len(args.only or MUTATIONS)} mutations caught; survivors: {survivors or 'none'}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
