"""The fast value reader (python-calamine) gives exactly what the openpyxl reader gives."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import CLEAN, ROOT, SEED, WITH_INFO, spec_copy
from perfxl.read.reader import read_forms
from perfxl.checks.rules import check
from perfxl.checks.trust import check_book
from perfxl.read.workbook import open_book

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py)


def _both(path: Path) -> tuple[list[dict], list[dict]]:
    fast = open_book(path, styles=False)
    full = open_book(path, styles=False, engine="openpyxl")
    assert full.engine == "openpyxl"
    docs = []
    for book in (fast, full):
        docs.append([check(form).to_dict() for form in read_forms(path, book)])
    return docs[0], docs[1]


@pytest.mark.parametrize("path", [SEED, CLEAN, WITH_INFO], ids=["seed", "clean", "info"])
def test_samples_agree(path):
    assert open_book(path, styles=False).engine == "calamine"
    fast, full = _both(path)
    assert fast == full


def test_generated_forms_agree(tmp_path):
    paths = generate.generate(tmp_path, 24, seed=7, xls_share=0)
    for path in paths:
        fast, full = _both(path)
        assert fast == full, path.name


def test_layout_variants_agree(clean_spec, make_form):
    spec = spec_copy(clean_spec)
    spec.with_initial = False
    spec.leading_rows = ["单位：万元"]
    spec.funds["funds_total"] = ("1,000", "1,200万元", "１１５０", "10", "95.83%", "9.58")
    fast, full = _both(make_form(spec, sheets_before=["填表说明"], split_target=True))
    assert fast == full


def test_percent_number_formats_are_seen(clean_form, tmp_path):
    wb = openpyxl.load_workbook(clean_form)
    ws = wb["自评表"]
    ws["E14"], ws["F14"] = 0.95, 0.93  # target and actual as percentages shown by format
    ws["E14"].number_format = ws["F14"].number_format = "0.0%"
    ws["H5"].number_format = "0.00%"
    path = tmp_path / "pct.xlsx"
    wb.save(path)
    book = open_book(path, styles=False)
    assert book.engine == "calamine"
    assert book.sheets[0].formats[(14, 5)] == "0.0%"
    fast, full = _both(path)
    assert fast == full
    rule = [i for i in fast[0]["form"]["indicators"] if i["cell"] == "D14"][0]["rule_score"]
    assert rule == pytest.approx(9.79, abs=0.01)  # 93 % of 95 % × 10


def test_formulas_without_cache_and_perfxl_outputs_are_read_the_same_one_way(clean_form, tmp_path, run_cli):
    """One reading (issue 22): formulas without a cached result and perfxl's own outputs take the
    same engine as every other file, and give what the openpyxl reading gives."""
    wb = openpyxl.load_workbook(clean_form)
    wb["自评表"]["H20"] = "=ROUND(I5+SUM(H12:H19),2)"
    formulas = tmp_path / "formulas.xlsx"
    wb.save(formulas)
    assert open_book(formulas, styles=False).engine == "calamine"
    fast, full = _both(formulas)
    assert fast == full and fast[0]["form"]["total"]["score_stated"] == 99.36

    seed = Path(shutil.copy(SEED, tmp_path / "seed.xlsx"))
    run_cli("fill", seed, "--no-report")
    output = tmp_path / "seed_自评结果.xlsx"
    assert open_book(output, styles=False).engine == "calamine"
    [again] = check_book(output)
    assert again.to_dict()["findings"] == check(read_forms(seed)[0]).to_dict()["findings"]
