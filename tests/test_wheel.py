"""The wheel holds everything the source tree ships (issue 25).

pyproject.toml lists perfxl's packages by hand (``[tool.setuptools] packages``): a sub-package left out
of that list works in a checkout and in an editable install, and is missing from the wheel users
install. The wheel is built here from a copy of the project (no ``build/`` left from an earlier run
can fill a gap), without build isolation so that nothing is downloaded, and compared with the tree:

- every ``perfxl/**/*.py``;
- every file of ``templates/`` (installed as ``perfxl.templates``) and of perfxl/web's ``templates/``
  and ``static/``;
- the console scripts (``perfxl``, ``perfxl-drop``) name functions that exist, imported from the
  unpacked wheel, not from this checkout.

Skipped, with the reason, where the environment cannot build a wheel offline: setuptools older than
the [build-system] asks, or without ``bdist_wheel`` (built in from 70.1; the test extra asks for that;
an older setuptools needs the ``wheel`` package). With the backend present, a failed build fails.
About 10 s (the build is 5–7 s).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

#: What the build reads: the project file, the readme it names, the two package folders (package-dir).
BUILD_INPUTS = ("pyproject.toml", "README.md", "perfxl", "templates")
#: Folders whose every file is package data (source folder → where it lands in the wheel).
DATA_FOLDERS = {ROOT / "templates": "perfxl/templates",
                ROOT / "perfxl" / "web" / "templates": "perfxl/web/templates",
                ROOT / "perfxl" / "web" / "static": "perfxl/web/static"}
SCRIPTS = ("perfxl", "perfxl-drop")


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _declared_setuptools() -> tuple[int, ...] | None:
    """The lowest setuptools pyproject.toml's [build-system] accepts (None where tomllib is missing)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        return None
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for requirement in requires:
        match = re.fullmatch(r"setuptools\s*>=\s*([0-9.]+)", requirement.strip())
        if match:
            return _version(match.group(1))
    return None


def _offline_backend_missing() -> str | None:
    """Why this environment cannot build the wheel without downloading anything, or None."""
    try:
        setuptools = importlib.metadata.version("setuptools")  # not imported: it patches distutils
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed (the build backend)"
    declared = _declared_setuptools()
    if declared and _version(setuptools) < declared:
        return (f"setuptools {setuptools} is older than the build-system's "
                f"setuptools>={'.'.join(map(str, declared))}")
    if _version(setuptools) < (70, 1) and importlib.util.find_spec("wheel") is None:
        return (f"setuptools {setuptools} needs the 'wheel' package for bdist_wheel "
                "(pip install 'setuptools>=70.1', as the test extra asks)")
    if importlib.util.find_spec("pip") is None:
        return "pip is not installed"
    return None


def _source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    reason = _offline_backend_missing()
    if reason:
        pytest.skip(f"cannot build the wheel offline: {reason}")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-w", str(work / "dist"), str(source)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    [built] = (work / "dist").glob("perfxl-*.whl")
    return built


@pytest.fixture(scope="module")
def members(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_module_is_in_the_wheel(members):
    modules = [p.relative_to(ROOT).as_posix() for p in _source_files(ROOT / "perfxl") if p.suffix == ".py"]
    assert len(modules) > 30
    missing = sorted(name for name in modules if name not in members)
    assert not missing, ("modules missing from the wheel (a package not listed in pyproject.toml's "
                         f"[tool.setuptools] packages?): {missing}")
    packages = {Path(name).parent.as_posix() for name in modules}
    assert {"perfxl/read", "perfxl/checks", "perfxl/write", "perfxl/report", "perfxl/cli", "perfxl/web"} <= packages


def test_templates_and_web_files_are_in_the_wheel(members):
    expected = []
    for folder, target in DATA_FOLDERS.items():
        files = _source_files(folder)
        assert files, folder
        expected += [f"{target}/{p.relative_to(folder).as_posix()}" for p in files]
    assert "perfxl/templates/自评表模板.xlsx" in expected and "perfxl/web/static/app.js" in expected
    missing = sorted(name for name in expected if name not in members)
    assert not missing, f"package data missing from the wheel ([tool.setuptools.package-data]?): {missing}"


_RESOLVE = """
import importlib, inspect, json, sys
import perfxl
found = {"(package)": perfxl.__file__}
for name, target in json.loads(sys.argv[1]).items():
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    found[name] = [obj.__module__, inspect.isfunction(obj), inspect.getsourcefile(obj)]
print(json.dumps(found))
"""


def test_console_scripts_resolve_to_functions_of_the_wheel(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = archive.read(entry_points).decode("utf-8")
        archive.extractall(tmp_path / "site")
    scripts, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and section == "console_scripts":
            name, target = (part.strip() for part in line.split("=", 1))
            scripts[name] = target
    assert set(SCRIPTS) <= set(scripts), scripts
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", _RESOLVE, json.dumps(scripts)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found.pop("(package)")).is_relative_to(site), "perfxl imported from the checkout, not from the wheel"
    for name, (module, is_function, source) in found.items():
        assert is_function, f"{name} = {scripts[name]} is not a function"
        assert module == scripts[name].partition(":")[0]
        assert Path(source).is_relative_to(site), (name, source)
