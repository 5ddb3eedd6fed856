"""Trust nothing in a submitted file (issue 22): each hostile or odd package is built here, byte by
byte where it has to be, and the exact outcome asserted — the refusal and its message, or the verdict
the cells deserve."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from conftest import CLEAN, ROOT, SEED
from perfxl.pipeline import check_path, fill_path, FillOptions, output_paths
from perfxl.read.workbook import open_book

SHEET = "xl/worksheets/sheet1.xml"


def package(source: Path, target: Path, replace: dict | None = None, extra: list | None = None) -> Path:
    """Copy a package entry by entry: ``replace`` maps a name to new bytes (or a function of the old
    text); ``extra`` adds (name, bytes) entries as given — duplicates and odd names included."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names these tests write on purpose
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
            for item in old.infolist():
                data = old.read(item.filename)
                change = replace.get(item.filename)
                if callable(change):
                    data = change(data.decode("utf-8")).encode("utf-8")
                elif change is not None:
                    data = change
                new.writestr(item.filename, data)
            for name, data in extra or []:
                new.writestr(name, data)
    return target


def sheet_xml(path: Path = CLEAN) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(SHEET).decode("utf-8")


def run(run_cli, *args):
    result = run_cli(*args)
    return result, result.stdout + result.stderr


def check_json(run_cli, path: Path) -> dict:
    """The one document of a one-form file (check --format json prints a list, always)."""
    result = run_cli("check", path, "--format", "json")
    [document] = json.loads(result.stdout)
    return {"exit": result.exit_code, **document}


def refused_everywhere(run_cli, path: Path, code: str, words: str, tmp_path: Path) -> None:
    """check, fill and report all refuse ``path`` with ``code`` (exit 2), say ``words`` and the file's
    name, and write nothing."""
    doc = check_json(run_cli, path)
    assert doc["exit"] == 2 and doc["error"]["code"] == code, doc
    assert words in doc["error"]["message"] and path.name in doc["error"]["message"]
    out = tmp_path / "出"
    for command in ("fill", "report"):
        result, text = run(run_cli, command, path, "-o", out)
        assert result.exit_code == 2, text
        assert words in text and "内部错误" not in text and "Traceback" not in text
    assert not out.exists() or not any(out.iterdir())


# ---------------------------------------------------------------- 1. duplicate and path-like entry names


def test_duplicate_sheet_entries_are_refused_on_every_path(tmp_path, run_cli):
    """Two entries named xl/worksheets/sheet1.xml: a form with errors first, a clean one second."""
    wrong = sheet_xml(SEED)
    path = package(CLEAN, tmp_path / "两份.xlsx", {SHEET: wrong.encode()}, [(SHEET, sheet_xml(CLEAN).encode())])
    with zipfile.ZipFile(path) as archive:
        assert [i.filename for i in archive.infolist()].count(SHEET) == 2
    refused_everywhere(run_cli, path, "unsafe-package", "同一个部件出现了两次", tmp_path)


@pytest.mark.parametrize("name", ["../evil.xml", "/xl/worksheets/sheet1.xml", "xl/../../x.xml", "XL/WORKSHEETS/SHEET1.XML", "xl\\worksheets\\sheet9.xml"])
def test_path_like_or_case_duplicate_names_are_refused(tmp_path, run_cli, name):
    path = package(CLEAN, tmp_path / "路径.xlsx", extra=[(name, b"<x/>")])
    with zipfile.ZipFile(path) as archive:
        assert name.replace("\\", "/") in archive.namelist() or name in archive.namelist()
    words = "同一个部件出现了两次" if name.isupper() else "路径形式的部件名"
    refused_everywhere(run_cli, path, "unsafe-package", words, tmp_path)


# ---------------------------------------------------------------- 2. forged marks


def _with_comment(tmp_path: Path, name: str, cell: str, value, text: str, author: str = "perfxl") -> Path:
    wb = openpyxl.load_workbook(CLEAN)
    ws = wb["自评表"]
    ws[cell] = value
    ws[cell].comment = Comment(text, author)
    path = tmp_path / name
    wb.save(path)
    return path


def _errors(doc: dict) -> list[tuple]:
    return [(f["code"], f["cell"], f["actual"]) for f in doc["findings"] if f["severity"] == "error"]


def test_a_forged_record_does_not_turn_a_wrong_total_into_a_pass(tmp_path, run_cli):
    path = _with_comment(tmp_path, "伪造.xlsx", "H20", 50, "原填写：99.36；按规则重新计算：50")
    doc = check_json(run_cli, path)
    assert doc["exit"] == 1 and not doc["ok"]
    assert ("total-mismatch", "H20", 50) in _errors(doc)
    plain = _with_comment(tmp_path, "无批注.xlsx", "H20", 50, "一条普通批注", author="张三")
    assert _errors(check_json(run_cli, plain)) == _errors(doc)  # the comment changes nothing


def test_a_record_on_a_judgement_cell_is_ignored(tmp_path, run_cli):
    """A 三级 得分 of 25 on a 分值 of 15, 'recorded' as 15: still more than its 分值."""
    path = _with_comment(tmp_path, "得分.xlsx", "H18", 25, "原填写：15；按规则重新计算：25")
    doc = check_json(run_cli, path)
    assert ("score-exceeds-weight", "H18", 25) in _errors(doc)


def test_a_formula_in_a_record_is_never_written(tmp_path, run_cli):
    evil = '=HYPERLINK("http://example.invalid/x","99.36")'
    for name, shown in (("错值.xlsx", 50), ("对值.xlsx", 99.36)):
        path = _with_comment(tmp_path, name, "H20", shown, f"原填写：99.36（公式：{evil}）；按规则重新计算：{shown}")
        result, text = run(run_cli, "fill", path, "--no-report")
        assert result.exit_code == (1 if shown == 50 else 0), text
        output = output_paths(path, FillOptions())[0]
        with zipfile.ZipFile(output) as archive:
            for part in archive.namelist():
                assert b"HYPERLINK" not in archive.read(part) or part.startswith("xl/comments"), part
        ws = openpyxl.load_workbook(output)["自评表"]
        assert ws["H20"].data_type == "n" and ws["H20"].value == 99.36


def test_a_stale_value_perfxl_wrote_is_checked_as_it_shows(tmp_path, run_cli):
    """perfxl wrote 96.36 into the 总分 for a wrong score; the user fixed the score only: the 总分
    now shows a value the rules do not give, whatever its comment says."""
    wb = openpyxl.load_workbook(CLEAN)
    wb["自评表"]["H18"] = 12
    wrong = tmp_path / "错.xlsx"
    wb.save(wrong)
    run_cli("fill", wrong, "--no-report")
    output = output_paths(wrong, FillOptions())[0]
    assert openpyxl.load_workbook(output)["自评表"]["H20"].value == 96.36
    fixed = package(output, tmp_path / "改.xlsx", {SHEET: lambda xml: re.sub(r'(<c r="H18"[^>]*>)<v>12</v>', r"\g<1><v>15</v>", xml)})
    assert ("total-mismatch", "H20", 96.36) in _errors(check_json(run_cli, fixed))


def test_an_unchanged_output_reads_as_its_input_and_fills_to_itself(tmp_path, run_cli):
    """The records that are honoured: the seed's output checks as the seed (history kept), and
    filling the output gives the same package (see tests/test_writer.py for more)."""
    seed = Path(shutil.copy(SEED, tmp_path / "seed.xlsx"))
    run_cli("fill", seed, "--no-report")
    output = output_paths(seed, FillOptions())[0]
    assert check_json(run_cli, output)["findings"] == check_json(run_cli, seed)["findings"]
    book = open_book(output, styles=False)
    from perfxl.checks.trust import check_book

    check_book(output, book)
    assert set(book.honoured["自评表"]) == {(25, 8), (25, 7)}  # the 总分 得分 and 分值 perfxl rewrote


def test_libreoffice_blank_authors_are_still_perfxls_comments(tmp_path, run_cli):
    """LibreOffice re-saves every comment author as " ": a re-fill still finds its comments (they do
    not pile up as 【原批注】), and the verdict is the same, since records are judged by the cells."""
    seed = Path(shutil.copy(SEED, tmp_path / "seed.xlsx"))
    run_cli("fill", seed, "--no-report")
    output = output_paths(seed, FillOptions())[0]
    with zipfile.ZipFile(output) as archive:
        comments = next(n for n in archive.namelist() if n.startswith("xl/comments"))
    blank = package(output, tmp_path / "lo.xlsx", {comments: lambda xml: xml.replace("<author>perfxl</author>", "<author> </author>")})
    with zipfile.ZipFile(blank) as archive:
        assert b"<author>perfxl</author>" not in archive.read(comments)
    assert check_json(run_cli, blank)["findings"] == check_json(run_cli, seed)["findings"]
    run_cli("fill", blank, "--no-report")
    again = openpyxl.load_workbook(output_paths(blank, FillOptions())[0])["自评表"]
    first = openpyxl.load_workbook(output)["自评表"]
    texts = {c.coordinate: c.comment.text for row in again.iter_rows() for c in row if c.comment}
    assert texts == {c.coordinate: c.comment.text for row in first.iter_rows() for c in row if c.comment}
    assert not any("【原批注" in text for text in texts.values())


@pytest.mark.parametrize("stated", ["NaN", "inf", "-Infinity", "1e999"])
def test_a_total_stating_not_a_number_stays_not_a_number(tmp_path, run_cli, stated):
    wb = openpyxl.load_workbook(CLEAN)
    wb["自评表"]["H20"] = stated
    wb["自评表"]["H20"].data_type = "s"
    path = tmp_path / "非数.xlsx"
    wb.save(path)
    before = check_json(run_cli, path)
    assert before["form"]["total"]["score_stated"] is None and not before["ok"]
    run_cli("fill", path, "--no-report")
    output = output_paths(path, FillOptions())[0]
    comment = openpyxl.load_workbook(output)["自评表"]["H20"].comment.text
    assert comment.startswith(f"原填写：{stated}；")
    after = check_json(run_cli, output)
    assert after["findings"] == before["findings"] and after["form"]["total"]["score_stated"] is None


# ---------------------------------------------------------------- 3. resource limits before loading


@pytest.mark.parametrize("edit, words", [
    (lambda xml: xml.replace('<mergeCell ref="B9:E9"/>', '<mergeCell ref="B9:E9"/><mergeCell ref="K1:XFD1048576"/>'), "范围过大"),
    (lambda xml: xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'), "范围过大"),
    (lambda xml: xml.replace('<c r="A1" ', '<c r="K1"><f t="shared" ref="K1:XFD1048576" si="0">1+1</f><v>2</v></c><c r="A1" ', 1), "范围过大"),
    (lambda xml: xml.replace("</sheetData>", '<row r="9999999"><c r="A9999999"><v>1</v></c></row></sheetData>'), "超出 Excel 范围"),
], ids=["merge", "far-cell", "shared-formula", "beyond-excel"])
def test_ranges_count_before_any_library_expands_them(tmp_path, run_cli, edit, words):
    path = package(CLEAN, tmp_path / "大范围.xlsx", {SHEET: edit})
    started = time.monotonic()
    code = "corrupt" if "Excel" in words else "too-large"
    refused_everywhere(run_cli, path, code, words, tmp_path)
    with pytest.raises(Exception) as refused:
        open_book(path, styles=True)  # the openpyxl path is guarded by the same check
    assert getattr(refused.value, "code", None) == code
    assert time.monotonic() - started < 20


def test_a_memory_error_leaves_no_temporary_folder(tmp_path):
    """Whatever runs a file out of memory: exit 2 with one Chinese line, and the run's perfxl-run-*
    folder is gone."""
    form = Path(shutil.copy(CLEAN, tmp_path / "表.xlsx"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    script = ("import sys, perfxl.read.workbook as w\n"
              "def boom(*a, **k):\n    raise MemoryError()\n"
              "w._open_xlsx_values = boom\n"
              "from perfxl.cli.main import main\nsys.argv = ['perfxl', 'fill', sys.argv[1], '--no-report']\nmain()\n")
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, str(form)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "内存不足" in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert list(temp.iterdir()) == []


# ---------------------------------------------------------------- 4. DTD in any part


_DTD = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


@pytest.mark.parametrize("where", ["sheet", "unread-part", "utf-16"])
def test_a_dtd_in_any_part_is_refused_on_the_fast_path_too(tmp_path, run_cli, where):
    if where == "sheet":
        body = sheet_xml()
        evil = _DTD + _extra_text("&xxe;")(body)
        path = package(CLEAN, tmp_path / "实体.xlsx", {SHEET: evil.encode()})
    elif where == "unread-part":
        path = package(CLEAN, tmp_path / "实体.xlsx", extra=[("customXml/item1.xml", (_DTD + "<r>&xxe;</r>").encode())])
    else:
        path = package(CLEAN, tmp_path / "实体.xlsx", extra=[("customXml/item1.xml", (_DTD.replace("1.0\"", "1.0\" encoding=\"UTF-16\"") + "<r/>").encode("utf-16"))])
    refused_everywhere(run_cli, path, "unsafe-xml", "DTD", tmp_path)


# ---------------------------------------------------------------- 5. one reading: the disagreements the review found


def _agree(run_cli, path: Path, tmp_path: Path) -> dict:
    """check and fill reach the same read-or-refuse; a written output checks as its input."""
    checked = check_path(path)
    filled = fill_path(path, FillOptions(output_dir=tmp_path / "出", report=False))
    assert (checked.error is None) == (filled.error is None), (checked.error, filled.error)
    if checked.error is not None:
        assert checked.error.code == filled.error.code and checked.error.message == filled.error.message
        return {"error": checked.error}
    assert [f.to_dict() for r in checked.results for f in r.findings] == [f.to_dict() for r in filled.results for f in r.findings]
    output = filled.outputs[0]
    again = check_path(output)
    assert again.error is None
    strip = lambda outcome: [(f.code, f.cell, f.severity) for r in outcome.results for f in r.findings]  # noqa: E731
    assert strip(again) == strip(checked)
    openpyxl.load_workbook(output)
    return {"results": checked.results}


def test_inline_string_without_its_type_reads_the_same_everywhere(tmp_path, run_cli):
    path = package(CLEAN, tmp_path / "无类型.xlsx", {SHEET: lambda xml: xml.replace('<c r="B2" s="2" t="inlineStr">', '<c r="B2" s="2">', 1)})
    assert '<c r="B2" s="2"><is>' in sheet_xml(path)
    outcome = _agree(run_cli, path, tmp_path)
    fast = open_book(path, styles=False).sheets[0].values.get((2, 2))
    full = open_book(path, styles=False, engine="openpyxl").sheets[0].values.get((2, 2))
    assert "results" in outcome and fast == outcome["results"][0].form.project.raw
    assert full == fast or full is None  # openpyxl (the oracle only) drops it; perfxl reads one way


def _extra_text(text: str):
    return lambda xml: xml.replace("</sheetData>", f'<row r="30"><c r="A30" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData>')


@pytest.mark.parametrize("edit, words", [
    (_extra_text("说明]]>补充"), "不是完好的 XML"),
    (_extra_text("说明\x01补充"), "不是完好的 XML"),
], ids=["cdata-end", "control-character"])
def test_damaged_xml_is_refused_by_check_and_fill_alike(tmp_path, run_cli, edit, words):
    path = package(CLEAN, tmp_path / "坏.xlsx", {SHEET: edit})
    outcome = _agree(run_cli, path, tmp_path)
    assert outcome["error"].code == "corrupt" and words in outcome["error"].message and SHEET in outcome["error"].message


def test_a_workbook_without_its_sheet_list_is_named_as_such(tmp_path, run_cli):
    path = package(CLEAN, tmp_path / "无表.xlsx", {"xl/workbook.xml": lambda xml: re.sub(r"<sheets>.*</sheets>", "", xml, flags=re.S)})
    outcome = _agree(run_cli, path, tmp_path)
    assert outcome["error"].code == "corrupt" and "工作表列表" in outcome["error"].message


# ---------------------------------------------------------------- 6. the smaller ones


def test_an_undefined_number_format_reads_as_general(tmp_path, run_cli):
    """A style naming numFmtId 177 that no <numFmt> defines: General, on both readings, no 内部错误."""
    path = package(CLEAN, tmp_path / "格式.xlsx", {"xl/styles.xml": lambda xml: xml.replace('<xf numFmtId="0" fontId="2"', '<xf numFmtId="177" fontId="2"', 1)})
    assert 'numFmtId="177"' in zipfile.ZipFile(path).read("xl/styles.xml").decode()
    from perfxl.read.reader import read_forms
    from perfxl.checks.rules import check

    full = open_book(path, styles=False, engine="openpyxl")  # IndexError before
    fast = open_book(path, styles=False)
    assert [check(f).to_dict() for f in read_forms(path, full)] == [check(f).to_dict() for f in read_forms(path, fast)]
    doc = check_json(run_cli, path)
    assert doc["exit"] == 0 and doc["ok"]
    _agree(run_cli, path, tmp_path)


_CONTROLS = ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
             '<mc:Choice Requires="x14"><controls><mc:AlternateContent><mc:Choice Requires="x14">'
             '<control shapeId="1025" r:id="rId77" name="Check Box 1"/></mc:Choice></mc:AlternateContent></controls></mc:Choice>'
             '</mc:AlternateContent>')


def test_comments_go_before_controls_wrapped_in_alternate_content(tmp_path, run_cli):
    """legacyDrawing precedes controls in CT_Worksheet, also when Excel wraps the controls in mc:AlternateContent."""
    from lxml import etree

    def edit(xml: str) -> str:
        xml = xml.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"', 1)
        xml = re.sub(r'(<c r="H20"[^>]*>)<v>[^<]*</v>', r"\g<1><v>50</v>", xml)  # a wrong 总分: perfxl comments on it
        return xml.replace("</worksheet>", _CONTROLS + "</worksheet>")

    path = package(CLEAN, tmp_path / "控件.xlsx", {SHEET: edit})
    result, text = run(run_cli, "fill", path, "--no-report")
    assert result.exit_code == 1, text
    output = output_paths(path, FillOptions())[0]
    root = etree.fromstring(zipfile.ZipFile(output).read(SHEET))
    names = [etree.QName(child).localname for child in root]
    assert "legacyDrawing" in names and names.index("legacyDrawing") < names.index("AlternateContent"), names
    openpyxl.load_workbook(output)


# ---------------------------------------------------------------- 7. Excel 365 threaded comments

TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
THREAD_ID = "{11111111-2222-3333-4444-555555555555}"
LI_SI = "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"


def _threaded(tmp_path: Path, with_persons: bool = True) -> Path:
    """The clean form with a wrong 总分 (50) that has an Excel 365 thread: the thread part, its
    legacy placeholder comment (author tc=…), the persons part, relationships, content types."""
    wb = openpyxl.load_workbook(CLEAN)
    ws = wb["自评表"]
    ws["H20"] = 50
    ws["H20"].comment = Comment("[Threaded comment]\n\nYour version of Excel allows you to read this threaded comment.\n\nComment:\n    请核对总分", f"tc={THREAD_ID}")
    base = tmp_path / "基础.xlsx"
    wb.save(base)
    thread = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="{TC_NS}" '
              f'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><threadedComment ref="H20" dT="2026-03-01T10:00:00.00" '
              f'personId="{LI_SI}" id="{THREAD_ID}"><text>请核对总分</text></threadedComment></ThreadedComments>')
    persons = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="{TC_NS}" '
               f'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><person displayName="李四" id="{LI_SI}" userId="li@example.invalid" providerId="AD"/></personList>')
    rel_thread = ('<Relationship Id="rId90" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" '
                  'Target="../threadedComments/threadedComment1.xml"/></Relationships>')
    rel_person = '<Relationship Id="rId91" Type="http://schemas.microsoft.com/office/2017/10/relationships/person" Target="persons/person.xml"/></Relationships>'
    types = ('<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="application/vnd.ms-excel.threadedcomments+xml"/>'
             + ('<Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.person+xml"/>' if with_persons else "") + "</Types>")
    replace = {"xl/worksheets/_rels/sheet1.xml.rels": lambda xml: xml.replace("</Relationships>", rel_thread),
               "[Content_Types].xml": lambda xml: xml.replace("</Types>", types)}
    extra = [("xl/threadedComments/threadedComment1.xml", thread.encode())]
    if with_persons:
        replace["xl/_rels/workbook.xml.rels"] = lambda xml: xml.replace("</Relationships>", rel_person)
        extra.append(("xl/persons/person.xml", persons.encode()))
    return package(base, tmp_path / "讨论.xlsx", replace, extra)


def _thread_parts(path: Path) -> tuple:
    from lxml import etree

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        thread = etree.fromstring(archive.read("xl/threadedComments/threadedComment1.xml"))
        persons_part = next(n for n in names if n.startswith("xl/persons/"))
        persons = etree.fromstring(archive.read(persons_part))
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    comments = [(c.get("ref"), c.get("personId"), c.get("parentId"), c.findtext(f"{{{TC_NS}}}text")) for c in thread]
    people = {p.get("id"): p.get("displayName") for p in persons}
    return comments, people, persons_part, types, rels


@pytest.mark.parametrize("with_persons", [True, False], ids=["persons", "no-persons-part"])
def test_perfxls_note_is_a_reply_in_an_excel_365_thread(tmp_path, run_cli, with_persons):
    from perfxl.mark.format import PERFXL_PERSON_ID

    path = _threaded(tmp_path, with_persons)
    result, text = run(run_cli, "fill", path, "--no-report")
    assert result.exit_code == 1, text
    output = output_paths(path, FillOptions())[0]
    comments, people, persons_part, types, rels = _thread_parts(output)
    assert comments[0] == ("H20", LI_SI, None, "请核对总分")  # the user's thread, untouched
    [(ref, person, parent, note)] = comments[1:]
    assert (ref, person, parent) == ("H20", PERFXL_PERSON_ID, THREAD_ID)
    assert note.startswith("原填写：50；按规则重新计算：99.36") and "【错误】" in note
    assert people[PERFXL_PERSON_ID] == "perfxl" and (LI_SI in people) == with_persons
    assert f'PartName="/{persons_part}" ContentType="application/vnd.ms-excel.person+xml"' in types
    assert "relationships/person" in rels and persons_part.split("/", 1)[1] in rels
    legacy = openpyxl.load_workbook(output)["自评表"]["H20"].comment.text
    assert legacy.startswith("原填写：50；") and "请核对总分" in legacy  # older Excel, WPS: the note box
    # Filled again: perfxl's reply is replaced, not repeated; the user's comment is the same.
    run_cli("fill", output, "--no-report")
    again = _thread_parts(output_paths(output, FillOptions())[0])[0]
    assert again == comments


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) 未安装")
def test_an_output_resaved_by_libreoffice_is_still_recognised(tmp_path, run_cli):
    """The real thing: LibreOffice re-saves the output (authors become " "); check gives the seed's
    findings, a re-fill rewrites perfxl's notes instead of nesting them as 【原批注】."""
    seed = Path(shutil.copy(SEED, tmp_path / "seed.xlsx"))
    run_cli("fill", seed, "--no-report")
    output = output_paths(seed, FillOptions())[0]
    outdir, profile = tmp_path / "lo", tmp_path / "profile"
    done = subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--convert-to", "xlsx", "--outdir", str(outdir), str(output)], capture_output=True, text=True, timeout=180)
    resaved = outdir / output.name
    assert done.returncode == 0 and resaved.is_file(), done.stdout + done.stderr
    authors = {c.comment.author for row in openpyxl.load_workbook(resaved)["自评表"].iter_rows() for c in row if c.comment}
    assert "perfxl" not in authors  # what LibreOffice does to them
    before = [(f["code"], f["cell"]) for f in check_json(run_cli, seed)["findings"]]
    assert [(f["code"], f["cell"]) for f in check_json(run_cli, resaved)["findings"]] == before
    run_cli("fill", resaved, "--no-report")
    again = openpyxl.load_workbook(output_paths(resaved, FillOptions())[0])["自评表"]
    texts = [c.comment.text for row in again.iter_rows() for c in row if c.comment]
    assert texts and not any("【原批注" in text for text in texts)
    assert again["H25"].value == 102 and again["H25"].comment.text.startswith("原填写：92；")
