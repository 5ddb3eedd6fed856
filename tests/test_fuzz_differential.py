"""One reading (issue 22, item 5): a seeded differential fuzz of the package.

Each case takes a form (the seed, the clean sample, or a perfxl output of either) and mutates its
package bytes the way hostile or odd files do: cells with and without their type, inline strings,
formulas with and without cached results, shared formulas, merged ranges, control characters,
``]]>``, CDATA, entities, a DTD, undefined number formats, missing parts and sheet lists, duplicate
entries, forged 原填写 records, flipped bytes. For every case:

* nothing raises and nothing is an internal error (``内部错误``);
* check and fill reach the same read-or-refuse (the same error code and message);
* where both read, they reach the same findings;
* a written output opens in openpyxl (every 4th case in CI, every case in the long run; where the input does: odd attributes openpyxl trips over are
  copied as they are), and checking it gives the input's findings.

CI runs ``PERFXL_DIFF_CASES`` (default 200) cases; the long run is marked ``slow``::

    PERFXL_SLOW=1 python -m pytest -m slow tests/test_fuzz_differential.py -s   # 10,000 cases (PERFXL_DIFF_LONG)
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import tempfile
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from conftest import CLEAN, SEED
from perfxl.pipeline import check_path, fill_path, FillOptions

CASES = int(os.environ.get("PERFXL_DIFF_CASES", "200"))
LONG_CASES = int(os.environ.get("PERFXL_DIFF_LONG", "10000"))
#: Opening an output in openpyxl costs as much as the rest of a case: CI does it for every 4th case, the long run for all.
OPENPYXL_EVERY = int(os.environ.get("PERFXL_DIFF_OPENPYXL_EVERY", "1" if os.environ.get("PERFXL_SLOW") else "4"))
SHEET = "xl/worksheets/sheet1.xml"

_TEXTS = ["NaN", "inf", "-Infinity", "1e999", "1e308", "-0", "0x10", "1_000", "", " ", "＝1", "=1+1", "'=SUM(A1)", "优",
          "100%", "≥95%", "918万元", "&amp;", "&lt;x&gt;", "&#1;", "&#x1F600;", "]]&gt;", "_x0001_", "原填写：1；按规则重新计算：2"]
_NUMBERS = ["0", "1", "92", "99.36", "102", "-5", "1e3", "0.9583", "1E+2", "NaN", "INF", "1e999", "abc", "", "12.", ".5"]


def _cells(xml: str) -> list[re.Match]:
    return list(re.finditer(r"<c\b[^>]*?(?:/>|>.*?</c>)", xml, re.S))


def _replace_cell(rng: random.Random, xml: str, make) -> str:
    cells = _cells(xml)
    if not cells:
        return xml
    found = rng.choice(cells)
    ref = re.search(r'\br="([A-Z]+\d+)"', found.group(0))
    style = re.search(r'\bs="(\d+)"', found.group(0))
    new = make(ref.group(1) if ref else "", f' s="{style.group(1)}"' if style else "")
    return xml[:found.start()] + new + xml[found.end():]


def _cell_mutations(rng: random.Random):
    text = rng.choice(_TEXTS)
    number = rng.choice(_NUMBERS)
    return rng.choice([
        lambda ref, s: f'<c r="{ref}"{s}><v>{number}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="n"><v>{number}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="inlineStr"><is><t>{text}</t></is></c>',
        lambda ref, s: f'<c r="{ref}"{s}><is><t>{text}</t></is></c>',  # an inline string without its type
        lambda ref, s: f'<c r="{ref}"{s} t="str"><v>{text}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="s"><v>{rng.choice(["0", "5", "99999", "-1", "x"])}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="b"><v>{rng.choice(["0", "1", "2", "x"])}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="e"><v>#DIV/0!</v></c>',
        lambda ref, s: f'<c r="{ref}"{s}><f>{rng.choice(["1+1", "SUM(H12:H19)", "G5*H5", "ROUND(I5+SUM(H12:H19),2)", "NOW()", "1/0"])}</f></c>',
        lambda ref, s: f'<c r="{ref}"{s}><f>{rng.choice(["1+1", "SUM(H12:H19)", "H5*G5"])}</f><v>{number}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="str"><f>"a"&amp;"b"</f><v></v></c>',
        lambda ref, s: f'<c{s}><v>{number}</v></c>',  # no reference: its place in the row says where
        lambda ref, s: f'<c r="{ref}" s="{rng.choice(["0", "999", "-1", "x"])}"><v>{number}</v></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="inlineStr"><is><t><![CDATA[{text}]]></t></is></c>',
        lambda ref, s: f'<c r="{ref}"{s} t="inlineStr"><is><r><t>{text}</t></r><rPh><t>ふり</t></rPh></is></c>',
        lambda ref, s: "",
    ])


def _mutate_sheet(rng: random.Random, xml: str) -> str:
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.55:
            xml = _replace_cell(rng, xml, _cell_mutations(rng))
        elif kind < 0.62:
            first = rng.randint(1, 40)
            ref = rng.choice([f"A{first}:C{first + 1}", f"H{first}:H{first + 3}", "K1:XFD1048576", "A1:B2", f"B{first}:B{first}"])
            xml = xml.replace("</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>') if "</mergeCells>" in xml else xml
        elif kind < 0.68:
            row = rng.choice([30, 200, 70000, 1048576, 2000000])
            col = rng.choice(["A", "Z", "XFD", "XFE"])
            xml = xml.replace("</sheetData>", f'<row r="{row}"><c r="{col}{row}"><v>1</v></c></row></sheetData>')
        elif kind < 0.72:
            odd = rng.choice(["]]>", "x\x01y", "a\x0bb", "\ud7ff", "ok", "<![CDATA[a]]>"])
            xml = xml.replace("</sheetData>", f'<row r="31"><c r="A31" t="inlineStr"><is><t>{odd}</t></is></c></row></sheetData>')
        elif kind < 0.76:
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{rng.choice(["A1", "A1:XFD1048576", "A1:I1048576", "Z9:A1"])}"/>', xml)
        elif kind < 0.80:
            xml = re.sub(r'<c r="([A-Z]+\d+)"', lambda m: f'<c r="{m.group(1).lower()}"' if rng.random() < 0.05 else m.group(0), xml)
        elif kind < 0.84:
            xml = xml.replace("<sheetData>", '<sheetData><row r="1"><c r="K1"><f t="shared" ref="K1:K20" si="7">A1&amp;""</f><v>x</v></c></row>', 1) \
                if '<row r="1"' not in xml else xml
        elif kind < 0.88:
            at = rng.randrange(len(xml))
            xml = xml[:at] + rng.choice(["<", ">", "&", "\x00", "é", '"', "<x>", "</row>", "&#0;", "&undefined;"]) + xml[at:]
        elif kind < 0.92:
            xml = xml.replace('<row r="2"', '<row r="2" spans="1:16384"', 1)
        else:
            xml = re.sub(r"\s?t=\"inlineStr\"", "", xml, count=rng.randint(1, 5))
    return xml


def _mutate_package(rng: random.Random, source: bytes) -> bytes:
    """A mutated copy of the package ``source``."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    parts = dict(entries)
    order = [name for name, _ in entries]
    extra: list[tuple[str, bytes]] = []
    sheet = parts[SHEET].decode("utf-8")
    choice = rng.random()
    if choice < 0.70:
        sheet = _mutate_sheet(rng, sheet)
    elif choice < 0.74:
        styles = parts["xl/styles.xml"].decode("utf-8")
        parts["xl/styles.xml"] = re.sub(r'numFmtId="(\d+)"', lambda m: f'numFmtId="{rng.choice(["177", "500", m.group(1)])}"', styles, count=3).encode()
        sheet = _mutate_sheet(rng, sheet)
    elif choice < 0.77:
        workbook = parts["xl/workbook.xml"].decode("utf-8")
        parts["xl/workbook.xml"] = rng.choice([re.sub(r"<sheets>.*</sheets>", "", workbook, flags=re.S),
                                                workbook.replace("<sheets>", "<sheets/><x>").replace("</sheets>", "</x>"),
                                                re.sub(r'r:id="rId\d+"', 'r:id="rId99"', workbook)]).encode()
    elif choice < 0.80:
        victim = rng.choice([n for n in order if n != SHEET])
        if rng.random() < 0.5:
            parts.pop(victim)
            order.remove(victim)
        else:
            parts[victim] = parts[victim][: rng.randrange(max(len(parts[victim]), 1))]
    elif choice < 0.83:
        extra.append((rng.choice([SHEET, "xl/styles.xml", "../x.xml", "/xl/x.xml", "XL/STYLES.XML"]), parts.get(SHEET, b"")))
    elif choice < 0.86:
        where = rng.choice([SHEET, "xl/styles.xml", "docProps/core.xml"])
        body = parts[where].decode("utf-8")
        body = re.sub(r"^<\?xml[^>]*\?>\s*", "", body)
        parts[where] = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "zz">]>' + body).encode()
    elif choice < 0.94:
        sheet = _forge_record(rng, sheet, parts, order)
    else:
        blob = bytearray(parts[SHEET])
        for _ in range(rng.randint(1, 3)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        sheet = None
        parts[SHEET] = bytes(blob)
    if sheet is not None:
        parts[SHEET] = sheet.encode("utf-8")
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in order:
                archive.writestr(name, parts[name])
            for name, data in extra:
                archive.writestr(name, data)
    return out.getvalue()


def _forge_record(rng: random.Random, sheet: str, parts: dict, order: list) -> str:
    """A comment claiming to be perfxl's record on some cell (a derived one or not), with the cell
    changed or not: honoured or ignored, it must never make check and fill differ."""
    ref = rng.choice(["H20", "H25", "I5", "H5", "G20", "G25", "H18", "H12", "C21", "I5"])
    shown = rng.choice(["50", "99.36", "102", "92", "0.5", "1"])
    original = rng.choice(["99.36", "92", "", "（空）", "=SUM(A1)", "'=1", "NaN", "100（公式：=HYPERLINK(\"x\",1)）", "（公式：=1+1）"])
    recomputed = rng.choice([shown, "102", "99.36", "100.00%"])
    author = rng.choice(["perfxl", " ", "", "张三"])
    if rng.random() < 0.6:
        sheet = re.sub(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', f'<c r="{ref}"><v>{shown}</v></c>', sheet, count=1, flags=re.S)
    text = f"原填写：{original}；按规则重新计算：{recomputed}\n【错误】伪造"
    comments = "xl/comments9.xml"
    parts[comments] = (f'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>{author}</author></authors>'
                       f'<commentList><comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{text.replace("&", "&amp;").replace("<", "&lt;")}</t></text></comment></commentList></comments>').encode()
    order.append(comments)
    rels_name = "xl/worksheets/_rels/sheet1.xml.rels"
    rel = '<Relationship Id="rIdC9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments9.xml"/>'
    if rels_name in parts:
        if b"/comments" in parts[rels_name]:
            return sheet  # the output already has comments: leave them (a second comments part is itself odd)
        parts[rels_name] = parts[rels_name].replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    else:
        parts[rels_name] = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            + rel + "</Relationships>").encode()
        order.append(rels_name)
    types = parts["[Content_Types].xml"]
    parts["[Content_Types].xml"] = types.replace(b"</Types>", b'<Override PartName="/xl/comments9.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/></Types>')
    return sheet


def _bases(folder: Path) -> list[bytes]:
    """The forms mutated: the seed, the clean sample, and perfxl's output of each (a re-fill's input)."""
    bases = [SEED.read_bytes(), CLEAN.read_bytes()]
    for source in (SEED, CLEAN):
        copy = Path(shutil.copy(source, folder / source.name))
        outcome = fill_path(copy, FillOptions(output_dir=folder / "outputs", report=False))
        bases.append(outcome.outputs[0].read_bytes())
    return bases


def _findings(outcome) -> list[tuple]:
    return [(f.sheet, f.code, f.cell, f.severity) for r in outcome.results for f in r.findings]


def _uncached_formula_on_a_rewritten_cell(path: Path, results) -> bool:
    """The known limit: a formula Excel left no result for (a script's file) that reads a derived
    cell perfxl rewrote is evaluated, in the output, on perfxl's value."""
    from perfxl.xlsx.cells import column_index
    from perfxl.read.workbook import _scan_sheet

    with zipfile.ZipFile(path) as archive:
        formulas = _scan_sheet(archive.read(SHEET), {})[1]
    rewritten = {key for r in results for key in r.derived}
    cells = set()
    for address in rewritten:
        found = re.fullmatch(r"([A-Z]+)(\d+)", address)
        cells.add((int(found.group(2)), column_index(found.group(1))))
    for formula in formulas.values():
        for a, b, c, d in re.findall(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?", formula):
            top, left = int(b), column_index(a)
            bottom, right = (int(d), column_index(c)) if c else (top, left)
            if any(top <= row <= bottom and left <= col <= right for row, col in cells):
                return True
    return False


def _opens(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            openpyxl.load_workbook(path).close()
        except Exception:
            return False
    return True


def run_case(case: int, bases: list[bytes], folder: Path, tally: Counter) -> None:
    rng = random.Random(case)
    data = _mutate_package(rng, rng.choice(bases))
    work = folder / f"c{case}"
    work.mkdir()
    path = work / "变异 表.xlsx"
    path.write_bytes(data)
    checked = check_path(path)
    filled = fill_path(path, FillOptions(output_dir=work / "out", report=False))
    context = f"case {case}: check {checked.error and (checked.error.code, checked.error.message)} / fill {filled.error and (filled.error.code, filled.error.message)}"
    for outcome in (checked, filled):
        assert outcome.error is None or outcome.error.code != "internal-error", context + (outcome.error.detail if outcome.error else "")
        assert outcome.error is None or "内部错误" not in outcome.error.message, context
    assert (checked.error is None) == (filled.error is None), context
    if checked.error is not None:
        assert (checked.error.code, checked.error.message) == (filled.error.code, filled.error.message), context
        tally[f"refused:{checked.error.code}"] += 1
        shutil.rmtree(work)
        return
    assert _findings(checked) == _findings(filled), context
    [output] = filled.outputs
    if (case % OPENPYXL_EVERY == 0) and not _opens(output):  # perfxl never makes a package openpyxl can read unreadable
        assert not _opens(path), f"{context}: the output does not open in openpyxl, the input does"
        tally["input and output beyond openpyxl"] += 1
    again = check_path(output)
    assert again.error is None, f"{context}: the output is refused: {again.error and again.error.message}"
    if _findings(again) != _findings(checked) and _uncached_formula_on_a_rewritten_cell(path, checked.results):
        tally["output differs: an uncached formula reads a rewritten cell"] += 1  # see docs/output.md
    else:
        assert _findings(again) == _findings(checked), f"{context}: the output's findings differ"
    tally["read"] += 1
    tally["errors" if any(not r.ok for r in checked.results) else "passes"] += 1
    shutil.rmtree(work)


def _run(cases, keep_going: bool = False, log: str | None = None) -> tuple[Counter, list]:
    """Run ``cases``; with ``keep_going`` a failing case is counted and the run goes on (the long run
    reports every failure, not the first); ``log``: a file the tally is written to as it goes."""
    import json

    tally: Counter = Counter()
    failures: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bases = _bases(folder)
        for done, case in enumerate(cases, start=1):
            try:
                run_case(case, bases, folder, tally)
            except AssertionError as failure:
                if not keep_going:
                    raise
                tally["FAILED"] += 1
                failures.append((case, str(failure)[:2000]))
                shutil.rmtree(folder / f"c{case}", ignore_errors=True)
            if log and (done % 100 == 0 or done == len(cases)):
                Path(log).write_text(json.dumps({"cases": done, "tally": tally, "failures": failures}, ensure_ascii=False, indent=1), encoding="utf-8")
    return tally, failures


def test_check_and_fill_read_every_mutated_package_alike():
    tally, _ = _run(range(CASES))
    print(dict(tally))
    assert tally["read"] > CASES // 5 and sum(v for k, v in tally.items() if k.startswith("refused:")) > CASES // 10  # both kinds met


#: Cases the long run found (fixed since): a total read on an indicator's 得分 cell, one 执行率 cell
#: read for two funds rows, an uncached formula reading a rewritten rate, a blank subtotal perfxl
#: filled in, a stated value that itself reads like a record, a 分值 typed as the text 1e308.
REGRESSIONS = (106575, 106691, 101606, 106409, 103626, 911, 318, 191)


def test_the_cases_the_long_run_found():
    tally, _ = _run(REGRESSIONS)
    assert tally["read"] + tally["refused:corrupt"] == len(REGRESSIONS)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("PERFXL_SLOW"), reason="the long run: PERFXL_SLOW=1 python -m pytest -m slow tests/test_fuzz_differential.py")
def test_long_differential_run():
    start = int(os.environ.get("PERFXL_DIFF_START", "100000"))
    tally, failures = _run(range(start, start + LONG_CASES), keep_going=True, log=os.environ.get("PERFXL_DIFF_LOG"))
    print(dict(tally))
    assert not failures, failures[:5]
    assert tally["read"] + sum(v for k, v in tally.items() if k.startswith("refused:")) == LONG_CASES
