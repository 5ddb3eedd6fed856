"""A small, hand-made mutation check of perfxl/checks/rules.py: does the test suite notice a broken rule?

Each mutation below changes one line of the scoring rules the way a careless edit would. For each,
a copy of the project with that one change is tested (tests/test_engine.py, test_rules.py, test_variants.py,
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
TESTS = ["tests/test_engine.py", "tests/test_rules.py", "tests/test_variants.py", "tests/test_real_forms.py", "tests/test_department.py", "tests/test_phrases.py"]

#: (what the mutation does, text in rules.py, replacement). Each text must occur exactly once.
MUTATIONS: list[tuple[str, str, str]] = [
    ("反向 indicator with actual 0 scores 0", "reverse = np.where(actual > 0, target / actual, 1.0)",
     "reverse = np.where(actual > 0, target / actual, 0.0)"),
    ("正向 indicator with target 0 scores full", "forward = np.where(target > 0, actual / target, np.nan)",
     "forward = np.where(target > 0, actual / target, 1.0)"),
    ("ratio not capped at 1", "np.clip(np.where(ind[\"direction\"].to_numpy() == \"reverse\", reverse, forward), 0.0, 1.0)",
     "np.clip(np.where(ind[\"direction\"].to_numpy() == \"reverse\", reverse, forward), 0.0, 2.0)"),
    ("反向 read as 正向", '_REVERSE = {"<=", "<"}', '_REVERSE = {"<"}'),
    ("units not compared", "units_ok = (target_unit == actual_unit) | (target_unit == \"\") | (actual_unit == \"\")",
     "units_ok = np.ones(len(ind), dtype=bool)"),
    ("rule score rounded down", "round_half_up(score, 2) if ok else np.nan", "np.floor(score * 100) / 100 if ok else np.nan"),
    ("rate of a 0 budget taken as 0", "return (funds[\"executed\"] / funds[\"budget\"]).where(funds[\"budget\"] > 0)",
     "return (funds[\"executed\"] / funds[\"budget\"]).where(funds[\"budget\"] > 0, 0.0)"),
    ("rate upside down", "return (funds[\"executed\"] / funds[\"budget\"])", "return (funds[\"budget\"] / funds[\"executed\"])"),
    ("budget score not capped at 100 %", "round_half_up(min(rate, 1.0) * weight, 2)", "round_half_up(rate * weight, 2)"),
    ("budget weight default 20", "(form.funds_weight_label or scoring.budget_weight)\n    computed.budget_weight", "(form.funds_weight_label or 20.0)\n    computed.budget_weight"),
    ("total leaves out the budget score", "round_half_up(computed.budget_score + indicator_score, 2)", "round_half_up(indicator_score, 2)"),
    ("subtotals by 二级 name alone", "known.groupby([ind[\"level1\"], ind[\"level2\"]], sort=False)", "known.groupby([ind[\"level2\"], ind[\"level1\"]], sort=True)"),
    ("a subtotal with a blank is the sum of the rest", "np.where(member, 0.0, np.inf)", "np.where(member, 0.0, 0.0)"),
    ("a total with a blank score is the sum of the rest", "known_score = computed.budget_score is not None and not unknown_scores", "known_score = computed.budget_score is not None"),
    ("a merged score counted once per row", "columns[\"score\"].append(np.nan if member else score)", "columns[\"score\"].append(score)"),
    ("parts summed across both breakdowns", "parts.groupby(\"group\", sort=False)", "parts.assign(group=\"\").groupby(\"group\", sort=False)"),
    ("inline parts summed with the columns", "parts = funds[~funds[\"total\"] & ~funds[\"subtotal\"] & ~funds[\"inline\"]]", "parts = funds[~funds[\"total\"] & ~funds[\"subtotal\"]]"),
    ("grade 优 from 85", "    if score >= 90:\n        return \"优\"", "    if score >= 85:\n        return \"优\""),
    ("grade bounds exclusive", "    if score >= 80:", "    if score > 80:"),
    ("no pending grade for weights ≠ 100", "    elif computed.total_weight is not None and not close(computed.total_weight, 100.0):\n        reasons.append",
     "    elif False:\n        reasons.append"),
    ("no pending grade for missing scores", "    if unknown_scores:\n        reasons.append(f\"{unknown_scores} 项三级指标没有可用的得分\")",
     "    if False:\n        reasons.append(f\"{unknown_scores} 项三级指标没有可用的得分\")"),
    ("an outline heading never checked", "            if not close(stated.value, total):\n                out.add(\"outline-sum-mismatch\"",
     "            if False:\n                out.add(\"outline-sum-mismatch\""),
    ("a heading's own sum added to its parts", "parts = funds[~funds[\"total\"] & ~funds[\"subtotal\"] & ~funds[\"inline\"]]",
     "parts = funds[~funds[\"total\"] & ~funds[\"inline\"]]"),
    ("deviation not required", "for i in np.flatnonzero(deducted & deviation_blank):", "for i in np.flatnonzero(deducted & ~deviation_blank):"),
    ("score above weight allowed", "exceeds = (score > weight + _TOL) | (score < 0)", "exceeds = score < 0"),
    ("total row of zeros not taken from parts", "from_parts = total_empty and first is not None", "from_parts = False and first is not None"),
    ("rate tolerance ignores the shown digits", "return stated is None or abs(stated - value) > _rate_tolerance(cell)",
     "return stated is None or abs(stated - value) > 0.00005"),
    ("qualitative band 达成 from 70 %", '"达成": (0.8, 1.0)', '"达成": (0.7, 1.0)'),
    ("sub-row scores not flagged", "if fund is not scored and fund is not total and cell.reading.is_number:", "if False:"),
    ("breakdowns never compared", "if not np.isnan(a) and not np.isnan(b) and not close(round_half_up(a, 6), round_half_up(b, 6)):",
     "if False:"),
    ("column-missing never said", "            if name not in form.fund_columns and not (name == \"score\" and scoring.budget != schemes.BUDGET_ROW):",
     "            if False:"),
    ("level1 stated weight ignored", "if group.stated_weight is not None and group.weight is not None and not close(",
     "if False and group.stated_weight is not None and group.weight is not None and not close("),
    ("percent actual 0.88 read as 0.88 %", "return bare & (actual > 0) & (actual <= 1) & (target > 1)", "return bare & False"),
]


def tests_fail(rules_source: str, tests: list[str], deselect: tuple[str, ...] = ()) -> bool:
    """Whether ``tests`` fail (the mutant is caught) in a copy of the project whose rules.py is
    ``rules_source``. The copy is tested from its own folder: its perfxl/ comes first on sys.path."""
    with tempfile.TemporaryDirectory(prefix="perfxl-mutant-") as scratch:
        project = Path(scratch) / "perfxl-project"
        shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "out", ".pytest_cache", ".hypothesis"))
        (project / "perfxl" / "rules.py").write_text(rules_source, encoding="utf-8")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not office", *tests]
        command += [arg for test in deselect for arg in ("--deselect", test)]
        return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600).returncode != 0


def run(selected: list[int]) -> list[str]:
    source = (ROOT / "perfxl" / "rules.py").read_text(encoding="utf-8")
    survivors = []
    for index in selected:
        name, old, new = MUTATIONS[index]
        if source.count(old) != 1:
            print(f"[{index}] {name}: text not found once in rules.py — update the mutation list", flush=True)
            survivors.append(f"{name} (not applied)")
            continue
        caught = tests_fail(source.replace(old, new), TESTS)
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
    selected = args.only or list(range(len(MUTATIONS)))
    survivors = run(selected)
    print(f"\n{len(selected) - len(survivors)} of {len(selected)} mutations caught; survivors: {survivors or 'none'}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
