"""Inputs refused for what they are, not for what they claim (issue 13): Strict Open XML, a bogus
<dimension>, long repetitive text, a file that changes while it is read."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED, copy_package, sha256
from perfxl.pipeline import fill_path, FillOptions
from perfxl.read.workbook import open_book

TRANSITIONAL = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = b"http://purl.oclc.org/ooxml/spreadsheetml/main"


_rewrite = copy_package


def _json(result) -> dict:
    [doc] = json.loads(result.stdout)
    return doc


def test_strict_open_xml_is_named_with_the_way_out(tmp_path, run_cli):
    with zipfile.ZipFile(SEED) as source:
        parts = {name: source.read(name).replace(TRANSITIONAL, STRICT)
                 for name in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml")}
    path = _rewrite(SEED, tmp_path / "严格格式.xlsx", parts)
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 2
    error = _json(result)["error"]
    assert error["code"] == "unsupported-format"
    assert "Strict Open XML" in error["message"] and "Excel 工作簿(*.xlsx)" in error["message"]
    assert "严格格式.xlsx" in error["message"] and "没有找到" not in error["message"]


def test_a_bogus_dimension_on_a_small_sheet_is_read(tmp_path, run_cli):
    with zipfile.ZipFile(SEED) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:I25"/>' in sheet
    for ref in ("A1:I1048576", "A1:XFD1048576"):
        path = _rewrite(SEED, tmp_path / f"{ref.replace(':', '-')}.xlsx",
                        {"xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:I25"/>', f'<dimension ref="{ref}"/>'.encode())})
        result = run_cli("check", path, "--format", "json")
        assert result.exit_code == 1, result.stdout
        assert _json(result)["form"]["total"]["score_computed"] == 102
        outcome = fill_path(path, FillOptions(report=False))
        assert outcome.error is None and outcome.results[0].computed.total_score == 102


def _with_long_shared_strings(tmp_path: Path, count: int = 320, chars: int = 32000) -> Path:
    """The seed plus a 填表说明 sheet of `count` cells, each a long repeated 说明, in sharedStrings.xml."""
    wb = openpyxl.load_workbook(SEED)
    wb.create_sheet("填表说明")["A1"] = "x"
    base = tmp_path / "base.xlsx"
    wb.save(base)
    unit = "本表按财预〔2020〕10号文件要求填写，所有金额以万元为单位。"
    strings = "".join(f"<si><t>第{i + 1}条：{unit * (chars // len(unit))}</t></si>" for i in range(count))
    main = TRANSITIONAL.decode()
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{count}" uniqueCount="{count}">{strings}</sst>'.encode()
    rows = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c></row>' for i in range(count))
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><dimension ref="A1:A{count}"/><sheetData>{rows}</sheetData></worksheet>'.encode()
    with zipfile.ZipFile(base) as source:
        rels = source.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        types = source.read("[Content_Types].xml")
        if b"sharedStrings" not in types:
            types = types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return _rewrite(base, tmp_path / "长说明.xlsx", {"xl/worksheets/sheet2.xml": sheet, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types},
                    {"xl/sharedStrings.xml": shared})


def test_long_repetitive_text_is_not_a_bomb(tmp_path, run_cli):
    path = _with_long_shared_strings(tmp_path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    assert info.file_size > 25 * 1024 * 1024 and info.file_size / info.compress_size > 200  # refused before issue 13
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert _json(result)["form"]["total"]["score_computed"] == 102
    book = open_book(path, styles=True)
    assert book.workbook["填表说明"]["A3"].value.startswith("第3条：本表按")


def test_an_xml_bomb_beyond_the_text_limit_is_refused(tmp_path, run_cli, monkeypatch):
    path = _with_long_shared_strings(tmp_path, count=40)
    monkeypatch.setenv("PERFXL_MAX_TEXT_PART_BYTES", str(1024 * 1024))
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code == 2
    assert _json(result)["error"]["code"] == "too-large" and "压缩炸弹" in _json(result)["error"]["message"]


@pytest.mark.parametrize("change", ["deleted", "rewritten"])
def test_a_file_changed_while_it_is_read(tmp_path, run_cli, monkeypatch, change):
    import perfxl.read.workbook as workbook

    path = Path(shutil.copy(SEED, tmp_path / "在变.xlsx"))
    real_open_checked = workbook.open_checked

    def meanwhile(target, limits, on_sheet=None):  # between the guard and loading the values
        package = real_open_checked(target, limits, on_sheet)
        if change == "deleted":
            target.unlink()
        else:
            target.write_bytes(SEED.read_bytes()[: 5000])  # being copied over again
        return package

    monkeypatch.setattr(workbook, "open_checked", meanwhile)
    for command in ("check", "fill"):
        shutil.copy(SEED, path)
        result = run_cli(command, path) if command == "fill" else run_cli(command, path, "--format", "json")
        assert result.exit_code == 2
        text = result.stdout + result.stderr
        assert "读取时文件被删除或改动" in text and "在变.xlsx" in text and "内部错误" not in text, text
        if command == "check":
            assert _json(result)["error"]["code"] == "file-changed"


def test_a_file_deleted_after_reading_before_writing(tmp_path, monkeypatch):
    """The writer reads the input again: a form deleted or replaced after checking is not an internal error."""
    import perfxl.read.reader as reader

    path = Path(shutil.copy(SEED, tmp_path / "已删除.xlsx"))
    real_read = reader.read_forms

    def read_then_delete(target, book=None):
        forms = real_read(target, book)
        Path(target).unlink()
        return forms

    monkeypatch.setattr(reader, "read_forms", read_then_delete)
    outcome = fill_path(path, FillOptions())
    assert outcome.error is not None and outcome.error.code == "file-changed", outcome.error
    assert "读取时文件被删除或改动" in outcome.error.message
    assert list(tmp_path.iterdir()) == []

    path = Path(shutil.copy(SEED, tmp_path / "被替换.xlsx"))
    before = sha256(path)

    def read_then_replace(target, book=None):
        forms = real_read(target, book)
        other = Path(target).with_name("新.xlsx")
        shutil.copy(SEED, other)
        with open(other, "ab") as handle:
            handle.write(b"\0")
        other.replace(target)
        return forms

    monkeypatch.setattr(reader, "read_forms", read_then_replace)
    outcome = fill_path(path, FillOptions())
    assert outcome.error is not None and outcome.error.code == "file-changed"
    assert sha256(path) != before and not (tmp_path / "被替换_自评结果.xlsx").exists()


@pytest.mark.parametrize("target", ["worksheets/sheet1.xml", "/xl/worksheets/sheet1.xml", "../xl/worksheets/sheet1.xml", "./worksheets/sheet1.xml"])
def test_sheet_parts_resolve_relationship_targets_however_written(tmp_path, target):
    """One resolver for every reader of the package (the reader, provenance, the writer's inspection)."""
    from perfxl.xlsx.package import Package, sheet_parts

    with zipfile.ZipFile(SEED) as source:
        rels = source.read("xl/_rels/workbook.xml.rels").decode()
    assert 'Target="worksheets/sheet1.xml"' in rels or "Target=\"/xl/worksheets/sheet1.xml\"" in rels
    rels = re.sub(r'Target="/?(?:xl/)?worksheets/sheet1\.xml"', f'Target="{target}"', rels)
    path = copy_package(SEED, tmp_path / "rels.xlsx", {"xl/_rels/workbook.xml.rels": rels.encode()})
    with Package(path) as package:
        parts = sheet_parts(package)
    assert parts["自评表"] == "xl/worksheets/sheet1.xml"
