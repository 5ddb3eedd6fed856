"""The layout of docs/architecture.md holds: each package imports only the layers below it (no
circle), the package-editing layer knows no perfxl words, and perfxl's own file format is defined
in one module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "perfxl"

#: Low to high, as docs/architecture.md draws them. A module may import its own package and the
#: layers below its own; two packages of one layer (write, report) do not import each other.
LAYERS = (
    {"model", "numbers", "systext", "atomic", "templates", "mark.format"},  # definitions every stage uses
    {"xlsx"},
    {"read"},
    {"checks"},
    {"mark"},
    {"write", "report"},
    {"pipeline"},
    {"batch"},
    {"show"},
    {"web"},
    {"cli"},
    {"__init__", "__main__"},
)
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str:
    """The layer unit of a dotted module name: its package, or the module itself at the top."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if ".".join(parts[:2]) in RANK:
        return ".".join(parts[:2])
    return parts[0]


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        yield path, dotted.removesuffix(".__init__") if dotted != "perfxl.__init__" else "perfxl"


def _imports(path: Path):
    """Every perfxl module ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "perfxl":
            if node.module == "perfxl":
                yield from (f"perfxl.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "perfxl")
        elif isinstance(node, ast.ImportFrom) and node.level:
            yield f"relative:{node.level}:{node.module}"


def test_every_import_goes_down_the_layers():
    wrong = []
    for path, module in _modules():
        source = _unit(module) if module != "perfxl" else "__init__"
        assert source in RANK, f"{module}: add its package to LAYERS and to docs/architecture.md"
        for target in _imports(path):
            if target.startswith("relative:"):
                if source != "web":  # perfxl.web's modules import each other relatively
                    wrong.append(f"{module}: relative import ({target}); perfxl imports absolutely")
                continue
            unit = _unit(target)
            if unit == "__version__":
                continue
            if unit == source:
                continue
            if RANK.get(unit, 99) > RANK[source] or (RANK.get(unit) == RANK[source] != 0):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the layers of docs/architecture.md:\n" + "\n".join(wrong)


def test_definitions_import_only_definitions():
    """model, numbers, systext, atomic and mark.format sit under everything: they import only each other."""
    base = LAYERS[0]
    for path, module in _modules():
        if _unit(module) in base:
            assert all(_unit(target) in base for target in _imports(path) if not target.startswith("relative:")), module


@pytest.mark.skipif(not (Path(__file__).resolve().parents[1] / "perfxl" / "xlsx").is_dir(), reason="perfxl/xlsx is being split out of write/patch.py")
def test_the_package_layer_knows_no_perfxl_words():
    """perfxl/xlsx edits any .xlsx package: no Chinese labels, no perfxl names, no imports from perfxl's stages."""
    cjk = re.compile(r"[\u3400-\u9fff]")
    files = sorted((ROOT / "xlsx").glob("*.py"))
    assert len(files) >= 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not cjk.search(text), path.name
        assert all(target.startswith("perfxl.xlsx") for target in _imports(path) if not target.startswith("relative:")), path.name


def _code_strings(path: Path):
    """The string and bytes constants of a module's code (docstrings left out), with the names they are assigned to."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value == "perfxl":
            yield "= " + ", ".join(ast.unparse(target) for target in node.targets), "perfxl"
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and id(node) not in docstrings:
            value = node.value.decode("utf-8", "replace") if isinstance(node.value, bytes) else node.value
            yield "", value


@pytest.mark.skipif(not (Path(__file__).resolve().parents[1] / "perfxl" / "mark" / "format.py").is_file(), reason="mark/format.py comes with the package layer")
def test_perfxl_own_file_format_is_defined_once():
    """The words by which a file says perfxl wrote or marked it (the comment author, 原填写 records, the
    report keyword, the findings and 原底色 sheets, the 汇总 headers) are literals of perfxl/mark/format.py only."""
    marks = ("原填写", "；按规则重新计算：", "原底色")
    found = []
    for path, module in _modules():
        if module == "perfxl.mark.format":
            continue
        for assigned, value in _code_strings(path):
            if assigned or any(mark in value for mark in marks) or value == "校验结果":
                found.append(f"{module}: {assigned or repr(value)}")
    assert not found, found
