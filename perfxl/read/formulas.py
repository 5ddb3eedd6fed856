"""A tiny evaluator for the few formulas a 自评表 carries (SUM, ROUND, ratios, MIN/MAX).

Files written by openpyxl, pandas or perfxl store formulas without cached results, so reading
them with ``data_only=True`` gives ``None``. Rather than treat that as 0, perfxl evaluates the
formula itself; what it cannot evaluate stays unknown (``None``) and is reported.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils.cell import column_index_from_string, range_boundaries

_REF = re.compile(r"(?<![A-Za-z_!.])\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?(?![A-Za-z_(\d])")
_FUNCS = ("SUM", "ROUND", "MIN", "MAX", "ABS", "AVERAGE")
_BINOPS: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}


class FormulaError(ValueError):
    pass


def evaluate(formula: str, lookup: Callable[[int, int], object], depth: int = 0) -> float | None:
    """Evaluate ``=...`` using ``lookup(row, col)`` for cell values (which may be formulas too)."""
    if depth > 20:
        return None
    body = formula.lstrip("=").strip()
    if "!" in body or not body:
        return None  # references to other sheets: not ours to guess
    refs: dict[str, list[float]] = {}

    def replace(match: re.Match) -> str:
        name = f"__r{len(refs)}"
        refs[name] = _values(match, lookup, depth)
        return name

    try:
        expression = _REF.sub(replace, body.upper())
        expression = expression.replace("^", "**")
        tree = ast.parse(expression, mode="eval")
        return float(_eval(tree.body, refs))
    except (FormulaError, SyntaxError, ZeroDivisionError, TypeError, ValueError, OverflowError):
        return None


def _values(match: re.Match, lookup: Callable[[int, int], object], depth: int) -> list[float]:
    if match.group(3):
        ref = match.group(0).replace("$", "")
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if (max_row - min_row + 1) * (max_col - min_col + 1) > 10_000:
            raise FormulaError("range too large")
        cells = [(r, c) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]
    else:
        cells = [(int(match.group(2)), column_index_from_string(match.group(1)))]
    out = []
    for row, col in cells:
        value = lookup(row, col)
        if isinstance(value, str) and value.startswith("="):
            value = evaluate(value, lookup, depth + 1)
            if value is None:
                raise FormulaError("unknown precedent")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))
        elif value is None or (isinstance(value, str) and not value.strip()):
            out.append(0.0)  # Excel treats empty cells as 0 in arithmetic
        else:
            raise FormulaError("text in arithmetic")
    return out


def _eval(node: ast.AST, refs: dict[str, list[float]]):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in refs:
        values = refs[node.id]
        return values[0] if len(values) == 1 else values
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _scalar(_eval(node.operand, refs))
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_scalar(_eval(node.left, refs)), _scalar(_eval(node.right, refs)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        args = [_eval(arg, refs) for arg in node.args]
        flat = [v for arg in args for v in (arg if isinstance(arg, list) else [arg])]
        name = node.func.id
        if name == "SUM":
            return sum(flat)
        if name == "MIN":
            return min(flat)
        if name == "MAX":
            return max(flat)
        if name == "AVERAGE":
            return sum(flat) / len(flat)
        if name == "ABS":
            return abs(_scalar(args[0]))
        if name == "ROUND":
            digits = int(_scalar(args[1])) if len(args) > 1 else 0
            quantum = Decimal(1).scaleb(-digits)
            return float(Decimal(str(_scalar(args[0]))).quantize(quantum, rounding=ROUND_HALF_UP))
    raise FormulaError(f"unsupported: {ast.dump(node)[:40]}")


def _scalar(value):
    if isinstance(value, list):
        if len(value) != 1:
            raise FormulaError("range used as a number")
        return value[0]
    return value
