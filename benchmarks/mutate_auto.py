"""An automatic operator-mutation check of perfxl/checks/rules.py: which small slips would the tests miss?

Where benchmarks/mutate_rules.py applies hand-written mutations, this one makes them mechanically,
one at a time, inside the scoring functions of rules.py:

* a comparison flipped at its boundary or negated (``>`` ↔ ``>=``, ``<`` ↔ ``<=``, ``==`` ↔ ``!=``);
* arithmetic swapped (``+`` ↔ ``-``, ``*`` ↔ ``/``);
* a number changed (``n`` → ``n + 1``; ``1.0`` → ``2.0``);
* ``and`` ↔ ``or``, ``&`` ↔ ``|``, and a ``not`` / ``~`` dropped.

Each mutant is a copy of the project whose rules.py is the mutated module (``ast.unparse``: the
same program without comments), tested with the fast rule tests. A mutant no test fails
"survives" and is printed with its line, so a person can decide: a missing test, or an
equivalent mutant (one that cannot change a result, e.g. ``>`` vs ``>=`` against a tolerance)?
Not part of the test suite (about 10 minutes on 2 cores):

    python benchmarks/mutate_auto.py            # all mutants, 2 at a time
    python benchmarks/mutate_auto.py --list     # just count and list them
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from mutate_rules import tests_fail  # noqa: E402

TESTS = ["tests/test_engine.py", "tests/test_rules.py", "tests/test_department.py", "tests/test_phrases.py", "tests/test_variants.py"]

#: The functions whose arithmetic and comparisons are the scoring rules.
FUNCTIONS = {
    "grade_of", "execution_rates", "budget_score", "stated_rate", "stated_differs", "_rate_tolerance", "_check_funds",
    "_total_from_parts", "_check_breakdowns", "_inline_sums", "percent_unclear", "rule_scores", "_check_indicators",
    "subtotals", "_check_totals", "_grade", "_check_weights_standard",
}

_COMPARE = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}


def mutants(tree: ast.Module) -> list[tuple[str, ast.Module]]:
    """(description, mutated module) for every mutation point inside :data:`FUNCTIONS`."""
    points: list[tuple[int, str]] = []  # (index of the node in a walk, what changes)
    nodes = list(ast.walk(tree))
    inside = set()
    for node in nodes:
        if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
            inside.update(id(child) for child in ast.walk(node))
    for node in nodes:  # annotations are never evaluated (from __future__ import annotations)
        for annotation in (getattr(node, "returns", None), getattr(node, "annotation", None)):
            if annotation is not None:
                inside.difference_update(id(child) for child in ast.walk(annotation))
    for index, node in enumerate(nodes):
        if id(node) not in inside:
            continue
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE:
            points.append((index, f"{type(node.ops[0]).__name__} → {_COMPARE[type(node.ops[0])].__name__}"))
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP and not isinstance(node.left, ast.Constant | ast.JoinedStr):
            points.append((index, f"{type(node.op).__name__} → {_BINOP[type(node.op)].__name__}"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            points.append((index, f"{node.value!r} → {node.value + 1!r}"))
        elif isinstance(node, ast.BoolOp):
            points.append((index, "and ↔ or"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.Invert):
            points.append((index, f"{type(node.op).__name__} dropped"))
    out = []
    for index, what in points:
        mutated = copy.deepcopy(tree)
        node = list(ast.walk(mutated))[index]
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            node.ops[0] = _COMPARE[type(node.ops[0])]()
        elif isinstance(node, ast.BinOp):
            node.op = _BINOP[type(node.op)]()
        elif isinstance(node, ast.Constant):
            node.value = node.value + 1
        elif isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif isinstance(node, ast.UnaryOp):
            _replace(mutated, node, node.operand)
        out.append((line, f"line {line}: {what}", mutated))
    return [(what, mutated) for _, what, mutated in sorted(out, key=lambda item: item[0])]


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


def _test(source: str) -> bool:
    """Whether the tests fail (the mutant is caught) with ``source`` as rules.py."""
    # rules.py is re-printed by ast.unparse: the test that hand mutations match its text does not apply.
    return tests_fail(source, TESTS, deselect=("tests/test_engine.py::test_every_mutation_of_the_mutation_check_still_applies",))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    source = (ROOT / "perfxl" / "rules.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    found = mutants(ast.parse(source))
    if args.list:
        for what, _ in found:
            print(what)
        print(f"{len(found)} mutants")
        return 0

    def run(item):
        what, tree = item
        caught = _test(ast.unparse(tree))
        line = int(what.split()[1].rstrip(":"))
        print(f"{'caught  ' if caught else 'SURVIVED'} {what}    {lines[line - 1].strip()[:110]}", flush=True)
        return None if caught else f"{what}: {lines[line - 1].strip()}"

    with ThreadPoolExecutor(args.jobs) as pool:
        survivors = [s for s in pool.map(run, found) if s]
    print(f"\n{len(found) - len(survivors)} of {len(found)} mutants caught; {len(survivors)} survived:")
    for survivor in survivors:
        print("  " + survivor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
