"""Files that are not forms, or not safe: a clear Chinese message, exit code 2, never a traceback."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SEED, copy_package, sha256
from perfxl.pipeline import check_path
from perfxl.read.workbook import Limits, open_book

DATA = ROOT / "tests" / "data"


def _check_error(run_cli, path: Path, code: str, *words: str):
    before = sha256(path) if path.exists() and path.is_file() else None
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 2
    [doc] = json.loads(result.stdout)
    assert doc["ok"] is False and "form" not in doc
    assert doc["error"]["code"] == code
    for word in words:
        assert word in doc["error"]["message"]
    assert path.name in doc["error"]["message"]
    assert "Traceback" not in result.stdout + result.stderr
    if before:
        assert sha256(path) == before
    return doc["error"]["message"]


def test_text_file(tmp_path, run_cli):
    path = tmp_path / "说明.xlsx"
    path.write_text("这不是表格", encoding="utf-8")
    _check_error(run_cli, path, "not-a-spreadsheet", "另存为")


def test_docx_renamed(tmp_path, run_cli):
    import docx

    path = tmp_path / "自评报告.xlsx"
    docx.Document().save(path)
    _check_error(run_cli, path, "not-a-spreadsheet", "Word")


def test_truncated_zip(tmp_path, run_cli):
    path = tmp_path / "截断.xlsx"
    path.write_bytes(SEED.read_bytes()[:3000])
    _check_error(run_cli, path, "corrupt", "损坏")


def test_random_bytes_in_zip_entries(tmp_path, run_cli):
    data = bytearray(SEED.read_bytes())
    for offset in range(400, len(data) - 400, 97):
        data[offset] ^= 0x5A
    path = tmp_path / "乱码.xlsx"
    path.write_bytes(bytes(data))
    result = run_cli("check", path)
    assert result.exit_code == 2
    assert "乱码.xlsx" in result.stderr and "Traceback" not in result.stderr


def test_empty_file(tmp_path, run_cli):
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    _check_error(run_cli, path, "empty-file", "0 字节")


def test_password_protected(tmp_path, run_cli):
    path = Path(shutil.copy(DATA / "encrypted.xlsx", tmp_path / "加密.xlsx"))
    _check_error(run_cli, path, "encrypted", "密码")


@pytest.mark.parametrize("suffix, hint", [(".et", "WPS"), (".ods", "OpenDocument")])
def test_foreign_formats_are_refused_with_advice(tmp_path, run_cli, suffix, hint):
    path = tmp_path / f"自评表{suffix}"
    path.write_bytes(b"PK\x03\x04whatever")
    message = _check_error(run_cli, path, "unsupported-format", hint)
    assert ".xlsx" in message


def test_missing_file(tmp_path, run_cli):
    result = run_cli("check", tmp_path / "没有这个文件.xlsx")
    assert result.exit_code == 2
    assert "找不到文件" in result.stderr


def test_workbook_without_a_form(tmp_path, run_cli):
    import openpyxl

    path = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "金额"])
    wb.save(path)
    _check_error(run_cli, path, "not-a-form", "项目支出绩效自评表", "部门整体支出绩效自评表", "三级指标")


def test_form_missing_key_parts_names_them(clean_spec, make_form, run_cli):
    spec = clean_spec
    spec.project = None
    spec.funds = {}
    spec.blocks[0][2].target = None
    path = make_form(spec)
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 1
    missing = {f["cell"]: f["message"] for f in json.loads(result.stdout)[0]["findings"] if f["code"] == "required-missing"}
    assert "项目名称" in missing["B2"]
    assert any("全年预算数" in message for message in missing.values())
    assert "年度指标值" in missing["E14"]


def _zip_with(tmp_path, name: str, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    return copy_package(SEED, tmp_path / name, replace, extra)


def test_zip_bomb_is_refused_before_loading(tmp_path, run_cli):
    path = _zip_with(tmp_path, "炸弹.xlsx", {}, {"xl/media/padding.bin": b"\0" * (12 * 1024 * 1024)})
    assert path.stat().st_size < 200_000
    _check_error(run_cli, path, "too-large", "压缩炸弹")


def test_sheet_with_too_many_real_cells_is_refused(tmp_path, run_cli, monkeypatch):
    """The cells a sheet really holds count, not its declared <dimension> (tests/test_input_limits.py)."""
    with zipfile.ZipFile(SEED) as source:
        sheet = source.read("xl/worksheets/sheet1.xml").replace(b'<dimension ref="A1:I25"/>', b'<dimension ref="A1:XFD1048576"/>')
    path = _zip_with(tmp_path, "巨表.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    monkeypatch.setenv("PERFXL_MAX_CELLS", "100")  # the seed holds about 200 cells
    _check_error(run_cli, path, "too-large", "范围过大")


def test_limits_are_configurable(monkeypatch, tmp_path):
    path = Path(shutil.copy(SEED, tmp_path / "seed.xlsx"))
    monkeypatch.setenv("PERFXL_MAX_UNCOMPRESSED_BYTES", "1000")
    assert Limits.from_env().max_uncompressed_bytes == 1000
    outcome = check_path(path)
    assert outcome.error is not None and outcome.error.code == "too-large"


def test_xml_entities_are_refused(tmp_path, run_cli):
    with zipfile.ZipFile(SEED) as source:
        sheet = source.read("xl/worksheets/sheet1.xml").decode()
    body = sheet[sheet.index("<worksheet"):]
    evil = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            + body.replace("<sheetData>", '<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol2;</t></is></c></row>', 1))
    path = _zip_with(tmp_path, "实体.xlsx", {"xl/worksheets/sheet1.xml": evil.encode()})
    _check_error(run_cli, path, "unsafe-xml", "XML")


def test_xls_reads_like_xlsx():
    from perfxl import check_form as check, read_form

    xls = check(read_form(DATA / "seed.xls"))
    xlsx = check(read_form(SEED))
    assert [(f.code, f.cell) for f in xls.findings] == [(f.code, f.cell) for f in xlsx.findings]
    assert xls.computed.total_score == 102
    assert open_book(DATA / "seed.xls").kind == "xls"


def test_batch_goes_on_past_bad_files(tmp_path, run_cli):
    good = Path(shutil.copy(SEED, tmp_path / "a 好的 自评表.xlsx"))
    bad = tmp_path / "b坏的.xlsx"
    bad.write_text("nope")
    result = run_cli("check", good, bad, "--format", "json")
    assert result.exit_code == 2
    docs = json.loads(result.stdout)
    assert [Path(d["file"]).name for d in docs] == [good.name, bad.name]
    assert docs[0]["ok"] is False and docs[0]["form"]["total"]["score_computed"] == 102
    assert docs[1]["error"]["code"] == "not-a-spreadsheet"


def test_gbk_console_does_not_crash(tmp_path):
    path = Path(shutil.copy(SEED, tmp_path / "自评表.xlsx"))
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    done = subprocess.run([sys.executable, "-m", "perfxl", "check", str(path)], capture_output=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr.decode("gbk", "replace")
    text = done.stdout.decode("gbk")
    assert "总分" in text and "102" in text


def test_reader_bug_becomes_an_internal_error_outcome(tmp_path, monkeypatch):
    from perfxl.pipeline import check_path

    def boom(path):
        raise RuntimeError("reader bug")

    monkeypatch.setattr("perfxl.read.reader.read_forms", boom)
    path = Path(shutil.copy(SEED, tmp_path / "x.xlsx"))
    outcome = check_path(path)
    assert outcome.error.code == "internal-error" and "x.xlsx" in outcome.error.message


@pytest.mark.parametrize("command", ["check", "fill", "report"])
def test_debug_shows_where_a_bug_happened(tmp_path, monkeypatch, run_cli, command):
    """Without --debug a bug is one Chinese line (exit 2); with it, the traceback of the failing code."""

    def broken_rule_for_the_test(form):
        return 1 / 0

    monkeypatch.setattr("perfxl.checks.rules.check", broken_rule_for_the_test)
    path = Path(shutil.copy(SEED, tmp_path / "x.xlsx"))
    plain = run_cli(command, path, "-o", tmp_path / "out") if command != "check" else run_cli(command, path)
    assert plain.exit_code == 2
    assert "内部错误（ZeroDivisionError: division by zero）" in plain.stderr + plain.stdout
    assert "Traceback" not in plain.stderr + plain.stdout
    with pytest.raises(RuntimeError) as stopped:
        run_cli("--debug", *([command, path, "-o", tmp_path / "out"] if command != "check" else [command, path]))
    assert "x.xlsx" in str(stopped.value) and "Traceback" in str(stopped.value)
    assert "broken_rule_for_the_test" in str(stopped.value) and "ZeroDivisionError" in str(stopped.value)
