"""The package layer (perfxl.xlsx): one reading of string items for every reader of a package."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
from conftest import CLEAN, copy_package
from lxml import etree

from perfxl.mark.provenance import written_by_perfxl
from perfxl.read.workbook import open_book
from perfxl.xlsx.package import Package, sheet_parts
from perfxl.xlsx.sharedstrings import SharedStrings, item_text
from perfxl.xlsx.xml import MAIN

# 校验结果 and 文件：clean.xlsx as Excel writes rich text: runs (one bold), and a phonetic guide
# whose reading must not become part of the text.
RICH_TITLE = ('<si><r><rPr><b/><sz val="14"/></rPr><t>校验</t></r><r><rPr><sz val="14"/></rPr><t>结果</t></r>'
              '<rPh sb="0" eb="2"><t>jiàoyàn</t></rPh><phoneticPr fontId="0" type="noConversion"/></si>')
RICH_FILE = '<si><t>文件：</t><r><t xml:space="preserve">clean</t></r><r><rPr><i/></rPr><t>.xlsx</t></r></si>'


def test_item_text_joins_every_run_and_leaves_out_phonetic_guides():
    element = etree.fromstring(f'<sst xmlns="{MAIN}">{RICH_TITLE}{RICH_FILE}<si><t>plain</t></si></sst>')
    assert [item_text(item) for item in element] == ["校验结果", "文件：clean.xlsx", "plain"]


def _rich_output(tmp_path: Path, run_cli) -> Path:
    """A filled workbook (no comments, inline strings) whose 校验结果 A1 and A2 were saved again as
    rich shared strings, as Excel does when someone formats part of a cell."""
    form = Path(shutil.copy(CLEAN, tmp_path / "clean.xlsx"))
    assert run_cli("fill", form, "--no-report").exit_code == 0
    output = tmp_path / "clean_自评结果.xlsx"
    with Package(output) as package:
        part = sheet_parts(package)["校验结果"]
        assert not any("comments" in name for name in package.names)  # only the findings sheet marks it
        assert not package.exists("xl/sharedStrings.xml")
        sheet = package.read(part).decode()
        types = package.read("[Content_Types].xml").decode()
        rels = package.read("xl/_rels/workbook.xml.rels").decode()
    for ref, index in (("A1", 0), ("A2", 1)):
        sheet, count = re.subn(rf'<c r="{ref}"( s="\d+")? t="inlineStr"><is>.*?</is></c>', rf'<c r="{ref}"\1 t="s"><v>{index}</v></c>', sheet)
        assert count == 1, ref
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rId99" Target="sharedStrings.xml" '
                        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    strings = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" count="2" uniqueCount="2">{RICH_TITLE}{RICH_FILE}</sst>'
    rich = tmp_path / "rich" / output.name
    rich.parent.mkdir()
    return copy_package(output, rich, {part: sheet.encode(), "[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
                        {"xl/sharedStrings.xml": strings.encode()})


def test_a_rich_text_cell_reads_the_same_to_every_reader(tmp_path, run_cli):
    """Provenance, the values' reading, openpyxl and the writer see the same text in a rich-text
    shared string: every run, no phonetic reading."""
    rich = _rich_output(tmp_path, run_cli)
    with Package(rich) as package:
        assert SharedStrings(package).texts() == ["校验结果", "文件：clean.xlsx"]
    assert written_by_perfxl(rich)  # recognised by the findings sheet alone
    grid = next(g for g in open_book(rich, styles=False).sheets if g.name == "校验结果")
    assert (grid.value(1, 1), grid.value(2, 1)) == ("校验结果", "文件：clean.xlsx")
    ws = openpyxl.load_workbook(rich)["校验结果"]
    assert (ws["A1"].value, ws["A2"].value) == ("校验结果", "文件：clean.xlsx")
    # the writer recognises its own findings sheet through the rich strings: a re-fill replaces it
    # (one 校验结果 sheet, naming the file the first one named)
    assert run_cli("fill", rich, "--no-report").exit_code == 0
    [refilled] = [p for p in rich.parent.glob("*.xlsx") if p != rich]
    again = openpyxl.load_workbook(refilled)
    findings = [ws for ws in again.worksheets if ws.title.startswith("校验结果")]
    assert [ws.title for ws in findings] == ["校验结果"]
    assert findings[0]["A2"].value == "文件：clean.xlsx"
    with zipfile.ZipFile(refilled) as archive:
        assert archive.read("xl/sharedStrings.xml") == zipfile.ZipFile(rich).read("xl/sharedStrings.xml")


def test_a_phonetic_reading_is_not_text(tmp_path, run_cli):
    """The control: the same file whose title's phonetic reading were text would not be perfxl's."""
    rich = _rich_output(tmp_path, run_cli)
    with zipfile.ZipFile(rich) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode()
    as_text = tmp_path / "as_text.xlsx"
    copy_package(rich, as_text, {"xl/sharedStrings.xml": strings.replace('<rPh sb="0" eb="2"><t>jiàoyàn</t></rPh>', "<r><t>jiàoyàn</t></r>").encode()})
    assert not written_by_perfxl(as_text)
