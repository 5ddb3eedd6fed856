"""The benchmark generator writes forms perfxl reads: some consistent, some with findings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import form_spec, generate  # noqa: E402
from perfxl.pipeline import check_path  # noqa: E402


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench-forms")
    paths = generate(folder, 5, seed=0, xls_share=0)
    return paths, [check_path(path) for path in paths]


def test_generated_forms_read_and_check(outcomes):
    paths, results = outcomes
    assert len(paths) == 5 and all(p.suffix == ".xlsx" and p.is_file() for p in paths)
    for outcome in results:
        assert outcome.error is None, outcome.error
        assert len(outcome.results) == 1
        form = outcome.results[0].form
        assert form.project.text and 8 <= len(form.indicators) <= 30


def test_mistakes_are_found_and_clean_forms_stay_clean(outcomes):
    paths, results = outcomes
    flagged, clean = 0, 0
    for index, outcome in enumerate(results):
        _, _, mistakes = form_spec(index, seed=0)
        problems = [f for r in outcome.results for f in r.findings if f.severity != "info"]
        if mistakes:
            assert any(f.severity == "error" for f in problems), (paths[index].name, mistakes)
            flagged += 1
        else:
            assert problems == [], (paths[index].name, [(f.code, f.message) for f in problems])
            clean += 1
    assert flagged >= 1 and clean >= 1


def test_generation_is_deterministic():
    """The same (seed, index) gives the same form; another seed gives other forms (nearly every one)."""
    seven = [form_spec(i, seed=7) for i in range(10)]
    assert seven == [form_spec(i, seed=7) for i in range(10)]
    eight = [form_spec(i, seed=8) for i in range(10)]
    assert sum(a[0] != b[0] for a, b in zip(seven, eight)) >= 8
