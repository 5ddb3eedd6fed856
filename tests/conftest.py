"""Shared fixtures: the bundled samples, a form builder for variants, and a CLI runner."""

from __future__ import annotations

import copy
import hashlib
import shutil
import sys
from pathlib import Path

import pandas  # noqa: F401  (a warm process: the CLI runs in these tests do not each pay for importing it)
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(SAMPLES))

import make_samples  # noqa: E402  (samples/make_samples.py)

import formvariants  # noqa: E402  (tests/formvariants.py)
from perfxl.write.formbuilder import FormSpec, IndicatorSpec  # noqa: E402

SEED = SAMPLES / make_samples.SEED_NAME
CLEAN = SAMPLES / make_samples.CLEAN_NAME
WITH_INFO = SAMPLES / make_samples.WITH_INFO_NAME


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def seed_form(tmp_path) -> Path:
    """A private copy of the seed form (so tests may write beside it)."""
    return Path(shutil.copy(SEED, tmp_path / SEED.name))


@pytest.fixture
def clean_form(tmp_path) -> Path:
    return Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))


@pytest.fixture
def info_form(tmp_path) -> Path:
    return Path(shutil.copy(WITH_INFO, tmp_path / WITH_INFO.name))


@pytest.fixture
def seed_spec() -> FormSpec:
    return make_samples.seed_spec()


@pytest.fixture
def clean_spec() -> FormSpec:
    """The consistent sample's spec; tests change one thing and expect one finding."""
    return make_samples.clean_spec()


@pytest.fixture
def make_form(tmp_path):
    """make_form(spec, name="form.xlsx", **variants) → path of a workbook built from the spec.

    ``variants`` are the test-only layouts of tests/formvariants.py (sheets_before, split_target).
    """

    def build(spec: FormSpec, name: str = "form.xlsx", **variants) -> Path:
        path = tmp_path / name
        formvariants.build(spec, **variants).save(path)
        return path

    return build


@pytest.fixture
def run_cli():
    """run_cli("check", path, "--format", "json") → click Result (stdout and stderr kept apart)."""
    from typer.testing import CliRunner

    from perfxl.cli.main import app

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, prog_name="perfxl")

    return invoke


def visible_sheets(wb) -> list[str]:
    """The sheets a user sees (perfxl keeps the original fills of highlighted cells on a very hidden one)."""
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]


def copy_package(source: Path, target: Path, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """Copy an xlsx package part by part, replacing some parts' bytes and adding others."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, replace.get(item.filename, old.read(item.filename)))
        for filename, data in (extra or {}).items():
            new.writestr(filename, data)
    return target


def spec_copy(spec: FormSpec) -> FormSpec:
    return copy.deepcopy(spec)


__all__ = ["FormSpec", "IndicatorSpec", "SEED", "CLEAN", "WITH_INFO", "copy_package", "sha256", "spec_copy", "visible_sheets"]
