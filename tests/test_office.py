"""The filled workbook opens in real office software (LibreOffice headless); skipped where soffice is absent.

Run only these with ``python -m pytest -m office`` (see tests/office/README.md).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import visible_sheets
from helpers import soffice_convert

from perfxl.checks.trust import check_book

pytestmark = [
    pytest.mark.office,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) 未安装"),
]


def test_seed_output_converts_to_pdf(run_cli, seed_form, tmp_path):
    assert run_cli("fill", seed_form, "--no-report").exit_code == 1
    out = seed_form.parent / f"{seed_form.stem}_自评结果.xlsx"
    pdf = soffice_convert(out, "pdf", tmp_path / "pdf", tmp_path / "profile")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert int(info.split("Pages:")[1].split()[0]) >= 2  # the form and the 校验结果 sheet
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "102.00" in text and "校验结果" in text and "total-mismatch" in text


def test_xls_input_is_converted_and_written_as_xlsx(run_cli, seed_form, tmp_path):
    xls = soffice_convert(seed_form, "xls", tmp_path / "xls", tmp_path / "profile")
    result = run_cli("fill", xls, "--no-report")
    assert result.exit_code == 1, result.stdout + result.stderr
    out = xls.parent / f"{xls.stem}_自评结果.xlsx"
    assert out.is_file() and not (xls.parent / f"{xls.stem}_自评结果.xls").exists()
    wb = openpyxl.load_workbook(out)
    assert visible_sheets(wb) == ["自评表", "校验结果"]
    assert any("LibreOffice" in str(wb["校验结果"].cell(r, 1).value) for r in range(1, 6))
    ws = wb["自评表"]
    assert ws["H25"].value == 102 and ws["H25"].comment.text.startswith("原填写：92；")
    assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, openpyxl.load_workbook(seed_form).worksheets[0].merged_cells.ranges))
    (again,) = check_book(out)  # as perfxl check reads it: the records perfxl honours (perfxl/checks/trust.py)
    assert again.computed.total_score == 102 and any(f.code == "total-mismatch" for f in again.findings)


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_batch_converts_all_xls_in_one_libreoffice_run(tmp_path, monkeypatch, run_cli):
    """Several .xls in a batch: one soffice run for all, and the outputs are as good as one by one."""
    from perfxl.read import office

    source = Path(__file__).parent / "data" / "seed.xls"
    folder = tmp_path / "收件"
    folder.mkdir()
    for name in ("甲", "乙", "丙"):
        shutil.copy(source, folder / f"{name}.xls")
    runs = []
    real_run = office._run_office

    def counting(soffice, args, *rest, **kwargs):
        runs.append([a for a in args if str(a).endswith(".xls")])
        return real_run(soffice, args, *rest, **kwargs)

    monkeypatch.setattr(office, "_run_office", counting)
    result = run_cli("fill", folder, "-o", tmp_path / "out", "--jobs", "1", "--no-report")
    assert result.exit_code == 1, result.stderr
    assert len(runs) == 1 and len(runs[0]) == 3  # one LibreOffice run converting all three
    for name in ("甲", "乙", "丙"):
        wb = openpyxl.load_workbook(tmp_path / "out" / f"{name}_自评结果.xlsx")
        assert wb["自评表"]["H25"].value == 102
        header = [str(row[0].value) for row in wb["校验结果"].iter_rows(max_row=5)]
        assert any("已用 LibreOffice 转换为 .xlsx（保留原格式）" in line for line in header), header


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_single_xls_is_converted_while_it_is_read_and_checked(tmp_path, monkeypatch, run_cli):
    """LibreOffice starts in the background at once; the workbook writer waits for its result."""
    import threading

    from perfxl.read import office

    xls = Path(shutil.copy(Path(__file__).parent / "data" / "seed.xls", tmp_path / "表.xls"))
    threads = []
    real_run = office._run_office

    def recording(soffice, args, *rest, **kwargs):
        threads.append(threading.current_thread().name)
        return real_run(soffice, args, *rest, **kwargs)

    monkeypatch.setattr(office, "_run_office", recording)
    result = run_cli("fill", xls, "--no-report")
    assert result.exit_code == 1, result.stderr
    assert len(threads) == 1 and threads[0].startswith("perfxl-xls")  # one run, not on the main thread
    wb = openpyxl.load_workbook(tmp_path / "表_自评结果.xlsx")
    assert wb["自评表"]["H25"].value == 102
    header = [str(row[0].value) for row in wb["校验结果"].iter_rows(max_row=5)]
    assert any("已用 LibreOffice 转换为 .xlsx（保留原格式）" in line for line in header), header
