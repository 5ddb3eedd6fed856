"""The committed samples and blank template are exactly what samples/make_samples.py builds."""

from __future__ import annotations

import openpyxl
import pytest

import make_samples
from conftest import ROOT


def _content(path):
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {c.coordinate: (c.value, c.number_format, c.font.name, c.font.sz, c.font.b, c.border.left.style)
                      for row in ws.iter_rows() for c in row if c.value is not None or c.border.left.style},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
        }
    return out


@pytest.mark.parametrize("name", [make_samples.SEED_NAME, make_samples.CLEAN_NAME, make_samples.WITH_INFO_NAME, make_samples.TEMPLATE_NAME])
def test_committed_file_matches_generator(tmp_path, name):
    built = make_samples.build_all(tmp_path / "samples", tmp_path / "templates")
    fresh = next(p for p in built if p.name == name)
    committed = ROOT / ("templates" if name == make_samples.TEMPLATE_NAME else "samples") / name
    assert committed.exists(), f"{committed} missing: run python samples/make_samples.py"
    assert _content(committed) == _content(fresh), f"{name} differs from make_samples.py: regenerate it"


def test_seed_is_faithful_to_the_published_form():
    wb = openpyxl.load_workbook(ROOT / "samples" / make_samples.SEED_NAME)
    ws = wb["自评表"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "年度\n指标值" in texts and "实际\n完成值" in texts
    assert "　92" in texts  # the published 总分 得分, full-width space and all
    assert sum(1 for t in texts if t == "绩\n效\n指\n标") == 2  # two 绩效指标 blocks
    assert "有待完善" in texts
    # the 可持续影响指标 row's 一级指标 cell holds only a full-width space
    row = next(c.row for c in ws["C"] if c.value == "可持续影响指标")
    assert ws.cell(row=row, column=2).value == "　"
