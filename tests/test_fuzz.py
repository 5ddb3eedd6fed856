"""Property-based robustness: mutated forms never crash perfxl, never hang, never change the input.

CI runs a few hundred cases. For a long run:  PERFXL_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import IllegalCharacterError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import SEED, sha256
from perfxl.pipeline import check_path, fill_path, FillOptions

EXAMPLES = int(os.environ.get("PERFXL_FUZZ_EXAMPLES", "150"))
FILL_EXAMPLES = max(EXAMPLES // 4, 1)  # writing workbook + report costs ~10x a check
# Shrinking a failure can take minutes; CI reports the raw failing example instead (set PERFXL_FUZZ_SHRINK=1 to shrink).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("PERFXL_FUZZ_SHRINK") else [])
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), phases=PHASES,
                    derandomize=not os.environ.get("PERFXL_FUZZ_RANDOM"), print_blob=True)
SEED_BYTES = SEED.read_bytes()

messy = st.sampled_from([
    None, "", "—", "/", "无", "　", "≥95%", "≤30天", "918万元", "1,835", "９１８", "100%", "十", "=1+1", "=SUM(A1:A3)",
    "+cmd", "@x", "已完成", "未完成", "部分达成", "有待完善", "产出指标（50分）", "总分", "三级指标", "分值", "得分",
    "其中：当年财政拨款", "年度资金总额", "项目名称", "\n", "0", "-5", "1e308", "NaN",
])
values = st.one_of(
    messy,
    st.text(max_size=12),
    st.integers(min_value=-10**9, max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)),
)
cells = st.tuples(st.integers(1, 28), st.integers(1, 10))


def _mutated_workbook(edits, deletions, swaps) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(SEED_BYTES))
    ws = wb.active
    for (row, col), value in edits:
        try:
            ws.cell(row=row, column=col).value = value
        except (AttributeError, ValueError, TypeError, IllegalCharacterError):
            pass  # merged (read-only) cells and values openpyxl refuses
    for (a_row, a_col), (b_row, b_col) in swaps:
        try:
            a, b = ws.cell(row=a_row, column=a_col), ws.cell(row=b_row, column=b_col)
            a.value, b.value = b.value, a.value
        except (AttributeError, ValueError, TypeError, IllegalCharacterError):
            pass
    for row, count in deletions:
        ws.delete_rows(row, count)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _run_everything(data: bytes, fill: bool = True) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "变异 表.xlsx"
        path.write_bytes(data)
        before = sha256(path)
        outcomes = [check_path(path)]
        if fill:
            outcomes.append(fill_path(path, FillOptions(output_dir=Path(folder) / "out")))
        for outcome in outcomes:
            assert outcome.exit_code in (0, 1, 2)
            if outcome.error is not None:
                assert outcome.error.code != "internal-error", outcome.error.message
                assert path.name in outcome.error.message
        assert sha256(path) == before


mutations = dict(
    edits=st.lists(st.tuples(cells, values), max_size=12),
    deletions=st.lists(st.tuples(st.integers(1, 26), st.integers(1, 3)), max_size=2),
    swaps=st.lists(st.tuples(cells, cells), max_size=3),
)


@SETTINGS
@given(**mutations)
def test_mutated_cells_rows_and_labels(edits, deletions, swaps):
    _run_everything(_mutated_workbook(edits, deletions, swaps), fill=False)


@settings(SETTINGS, max_examples=FILL_EXAMPLES)
@given(**mutations)
def test_mutated_forms_fill_without_crashing(edits, deletions, swaps):
    _run_everything(_mutated_workbook(edits, deletions, swaps), fill=True)


@SETTINGS
@given(flips=st.lists(st.tuples(st.integers(0, len(SEED_BYTES) - 1), st.integers(1, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(0, len(SEED_BYTES))))
def test_random_bytes_in_the_zip(flips, cut):
    data = bytearray(SEED_BYTES)
    for offset, mask in flips:
        data[offset] ^= mask
    if cut is not None:
        data = data[:cut]
    _run_everything(bytes(data))
