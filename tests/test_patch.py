"""Fidelity of the filled workbook: the input package with perfxl's edits and nothing else changed.

Enriched workbooks are built three ways (openpyxl, XML edited by hand, saved by LibreOffice).
For each: parts perfxl has no reason to touch are byte-identical, cells outside perfxl's changes
are identical (value, type, style, rich-text runs, cached results), the output opens in openpyxl
and LibreOffice, and ``perfxl check`` finds on the output what it found on the input.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import SEED
from helpers import rewrite_zip
from lxml import etree

from perfxl.write import writer
from perfxl.read.reader import read_forms
from perfxl.checks.rules import check

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
office = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")


# ---------------------------------------------------------------- helpers


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def c14n(element) -> bytes:
    return etree.tostring(element, method="c14n")


def resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    folder = source.rsplit("/", 1)[0] if "/" in source else ""
    pieces = []
    for piece in f"{folder}/{target}".split("/"):
        if piece == "..":
            pieces.pop()
        elif piece and piece != ".":
            pieces.append(piece)
    return "/".join(pieces)


def rels_of(content: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """rId → (type, part) of a part's relationships."""
    folder, _, name = part.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in content:
        return {}
    root = etree.fromstring(content[rels])
    return {rel.get("Id"): (rel.get("Type"), resolve(part, rel.get("Target")) if rel.get("TargetMode") != "External" else rel.get("Target"))
            for rel in root}


def sheet_parts(content: dict[str, bytes]) -> dict[str, str]:
    workbook = etree.fromstring(content["xl/workbook.xml"])
    rels = rels_of(content, "xl/workbook.xml")
    return {s.get("name"): rels[s.get(f"{{{R_NS}}}id")][1] for s in workbook.iter(f"{{{MAIN}}}sheet")}


def cells(xml: bytes) -> dict[str, bytes]:
    root = etree.fromstring(xml)
    return {c.get("r"): c14n(c) for c in root.iter(f"{{{MAIN}}}c")}


def fill(run_cli, path: Path) -> Path:
    result = run_cli("fill", path, "--no-report")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    from perfxl.pipeline import FillOptions, output_paths

    out = output_paths(path, FillOptions())[0]  # a filled output gets the next generation: X_自评结果(2).xlsx
    assert out.is_file()
    return out


def findings_of(run_cli, path: Path) -> list[tuple]:
    [doc] = json.loads(run_cli("check", path, "--format", "json").stdout)
    documents = doc if isinstance(doc, list) else [doc]
    return [(f["code"], f["sheet"], f["cell"], f["message"]) for d in documents for f in d["findings"]]


def changed_cells(path: Path) -> dict[str, set[str]]:
    """What perfxl is meant to change, by sheet: derived cells and the cells of findings (merge anchors)."""
    changed: dict[str, set[str]] = {}
    for form in read_forms(path):
        result = check(form)
        wanted = set(result.derived) | {f.cell for f in result.findings if f.cell}
        ws = openpyxl.load_workbook(path)[form.sheet]
        anchors = set()
        for ref in wanted:
            anchors.add(next((m.start_cell.coordinate for m in ws.merged_cells.ranges if ref in m), ref))
        changed[form.sheet] = anchors
    return changed


def assert_fidelity(source: Path, output: Path) -> None:
    """Everything outside perfxl's edits is as it was in ``source``."""
    before, after = parts(source), parts(output)
    changed = changed_cells(source)
    forms = sheet_parts(before)
    touched = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "docProps/app.xml", "xl/styles.xml", "xl/calcChain.xml"}
    for sheet in changed:
        part = forms[sheet]
        touched.add(part)
        folder, _, name = part.rpartition("/")
        touched.add(f"{folder}/_rels/{name}.rels")
        touched |= {target for kind, target in rels_of(after, part).values() if kind.endswith(("/comments", "/vmlDrawing"))}
    for name, data in before.items():
        if name in touched:
            continue
        assert name in after, f"{name} dropped"
        assert after[name] == data, f"{name} changed"
    assert after.get("xl/calcChain.xml", b"") or "xl/calcChain.xml" not in before or True
    for sheet, refs in changed.items():
        part = forms[sheet]
        old_root, new_root = etree.fromstring(before[part]), etree.fromstring(after[part])
        assert old_root.nsmap == new_root.nsmap and dict(old_root.attrib) == dict(new_root.attrib)  # namespaces, mc:Ignorable
        old_cells, new_cells = cells(before[part]), cells(after[part])
        differing = {ref for ref in set(old_cells) | set(new_cells) if old_cells.get(ref) != new_cells.get(ref)}
        assert differing <= refs, (sheet, sorted(differing - refs))
        assert differing, "the comparison must have excluded something"
        rows_before = {row.get("r"): {k: v for k, v in row.attrib.items()} for row in old_root.iter(f"{{{MAIN}}}row")}
        rows_after = {row.get("r"): {k: v for k, v in row.attrib.items()} for row in new_root.iter(f"{{{MAIN}}}row")}
        assert {k: v for k, v in rows_after.items() if k in rows_before} == rows_before
        others = lambda root: [c14n(child) for child in root if etree.QName(child).localname not in ("sheetData", "legacyDrawing")]  # noqa: E731
        assert others(old_root) == others(new_root)
        # Byte for byte: the XML before <sheetData>, after it (but for a legacyDrawing), and every cell perfxl did not change.
        old_text, new_text = before[part].decode("utf-8"), after[part].decode("utf-8")
        strip = lambda text: re.sub(r"<legacyDrawing\b[^>]*/>", "", text.split("</sheetData>", 1)[1])  # noqa: E731
        assert old_text.split("<sheetData", 1)[0].split("?>", 1)[-1] == new_text.split("<sheetData", 1)[0].split("?>", 1)[-1]
        assert strip(old_text) == strip(new_text)
        raw = lambda text: {m.group(1): m.group(0) for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', text, re.S)}  # noqa: E731
        old_raw, new_raw = raw(old_text), raw(new_text)
        assert {ref for ref in old_raw if ref not in refs and old_raw[ref] != new_raw.get(ref)} <= rows_rewritten(old_text, new_text, refs)
    openpyxl.load_workbook(output)  # opens


def rows_rewritten(old_text: str, new_text: str, refs: set[str]) -> set[str]:
    """Cells of rows where perfxl had to add a cell (absent in the input): their row is written anew."""
    present = set(re.findall(r'<c r="([A-Z]+\d+)"', old_text))
    rows = {re.sub(r"[A-Z]+", "", ref) for ref in refs - present}
    return {ref for ref in present if re.sub(r"[A-Z]+", "", ref) in rows}


def converts_with_office(path: Path, tmp_path: Path) -> bool:
    outdir = tmp_path / f"lo-{path.stem}"
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "csv", "--outdir", str(outdir), str(path)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180, check=False)
    produced = list(outdir.glob("*.csv"))
    return bool(produced) and produced[0].stat().st_size > 0


SCHEMA_ORDER = (  # CT_Worksheet, as ECMA-376 lists it
    "sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr sheetProtection protectedRanges scenarios autoFilter "
    "sortState dataConsolidate customSheetViews mergeCells phoneticPr conditionalFormatting dataValidations hyperlinks printOptions "
    "pageMargins pageSetup headerFooter rowBreaks colBreaks customProperties cellWatches ignoredErrors smartTags drawing "
    "legacyDrawing legacyDrawingHF picture oleObjects controls webPublishItems tableParts extLst"
).split()


def well_formed(path: Path) -> None:
    """Every XML part parses; every worksheet's children are in schema order; every relationship target exists."""
    content = parts(path)
    for name, data in content.items():
        if name.endswith((".xml", ".rels")):
            root = etree.fromstring(data)
            if etree.QName(root).localname == "worksheet":
                ranks = [SCHEMA_ORDER.index(etree.QName(c).localname) for c in root if etree.QName(c).localname in SCHEMA_ORDER]
                assert ranks == sorted(ranks), name
        if name.endswith(".rels"):
            source = name.replace("_rels/", "")[: -len(".rels")]
            for kind, target in rels_of(content, source).values():
                assert target.startswith("http") or target in content, (name, target)


# ---------------------------------------------------------------- an enriched workbook, edited as XML

RICH_STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" count="2" uniqueCount="2">'
    '<si><r><rPr><b/><sz val="11"/><color rgb="FFFF0000"/><rFont val="宋体"/><family val="3"/><charset val="134"/></rPr><t>加粗红字</t></r>'
    '<r><rPr><i/><sz val="9"/><rFont val="宋体"/><family val="3"/><charset val="134"/></rPr><t xml:space="preserve"> 斜体小注</t></r></si>'
    "<si><t>我的校验记录</t></si></sst>"
)
COMMENTS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors><author>张三</author><author>李四</author></authors><commentList>'
    '<comment ref="A2" authorId="0"><text><r><rPr><b/><sz val="9"/><rFont val="宋体"/></rPr><t>张三:</t></r><r><rPr><sz val="9"/><rFont val="宋体"/></rPr><t xml:space="preserve">\n请核实项目全称</t></r></text></comment>'
    '<comment ref="H25" authorId="1"><text><r><rPr><sz val="9"/><color rgb="FF0000FF"/><rFont val="宋体"/></rPr><t>财务科已复核</t></r></text></comment>'
    "</commentList></comments>"
)
USER_SHAPE = (
    '<v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute;margin-left:300pt;margin-top:20pt;width:180pt;height:90pt;z-index:1;visibility:visible" '
    'fillcolor="#ccffcc" o:insetmode="auto"><v:fill color2="#ccffcc"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>4, 15, 1, 10, 7, 15, 6, 4</x:Anchor><x:AutoFill>False</x:AutoFill>'
    "<x:Visible/><x:Row>1</x:Row><x:Column>0</x:Column></x:ClientData></v:shape>"
)
H25_SHAPE = (
    '<v:shape id="_x0000_s1026" type="#_x0000_t202" style="position:absolute;margin-left:400pt;margin-top:400pt;width:222pt;height:66pt;z-index:2;visibility:hidden" '
    'fillcolor="#ffcc99" o:insetmode="auto"><v:fill color2="#ffcc99"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>8, 15, 23, 10, 11, 15, 27, 4</x:Anchor><x:AutoFill>False</x:AutoFill>'
    "<x:Row>24</x:Row><x:Column>7</x:Column></x:ClientData></v:shape>"
)
VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">\r\n'
    ' <o:shapelayout v:ext="edit">\r\n  <o:idmap v:ext="edit" data="1"/>\r\n </o:shapelayout>'
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    f'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>\r\n {USER_SHAPE}\r\n {H25_SHAPE}\r\n</xml>'
)
HF_VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="2"/></o:shapelayout>'
    '<v:shape id="CH" o:spid="_x0000_s2049" type="#_x0000_t75" style="position:absolute;margin-left:0;margin-top:0;width:60pt;height:60pt;z-index:1">'
    '<v:imagedata o:relid="rId1" o:title="公章"/><o:lock v:ext="edit" rotation="t"/></v:shape></xml>'
)
DRAWING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    f'xmlns:r="{R_NS}"><xdr:oneCellAnchor><xdr:from><xdr:col>10</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>20</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
    '<xdr:ext cx="571500" cy="571500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="图片 1"><a:hlinkClick r:id="rIdLink"/></xdr:cNvPr><xdr:cNvPicPr/></xdr:nvPicPr>'
    '<xdr:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
    '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>'
)
METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<metadata xmlns="{MAIN}" xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"><xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>'
)
APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    '<HeadingPairs><vt:vector size="4" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant><vt:variant><vt:i4>2</vt:i4></vt:variant>'
    '<vt:variant><vt:lpstr>命名范围</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs>'
    '<TitlesOfParts><vt:vector size="3" baseType="lpstr"><vt:lpstr>自评表</vt:lpstr><vt:lpstr>校验结果</vt:lpstr><vt:lpstr>校验结果!Print_Area</vt:lpstr></vt:vector></TitlesOfParts>'
    "<Manager>王科长</Manager><Company>益阳市财政局</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300</AppVersion></Properties>"
)
USER_FINDINGS_SHEET = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>1</v></c></row><row r="2"><c r="A2"><v>42</v></c></row></sheetData></worksheet>'
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _rel(rid: str, kind: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{REL}/{kind}" Target="{target}"{mode}/>'


def _rels(*items: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG}">{"".join(items)}</Relationships>'


def _add_to_row(xml: str, row: int, snippet: str) -> str:
    return re.sub(rf'(<row r="{row}"[^>]*>.*?)(</row>)', lambda m: m.group(1) + snippet + m.group(2), xml, count=1, flags=re.S)


def _sheet(xml: str) -> str:
    xml = xml.replace(
        f'<worksheet xmlns="{MAIN}">',
        f'<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac">', 1)
    xml = _add_to_row(xml, 2, '<c r="K2" t="s"><v>0</v></c>')  # rich text in the shared strings
    xml = _add_to_row(xml, 3, '<c r="K3"><f>E5*2</f><v>1836</v></c>')  # a cached formula result
    xml = _add_to_row(xml, 4, '<c r="K4" cm="1"><f t="array" ref="K4">_xlfn.SORT(E5:E6)</f><v>918</v></c>')  # dynamic array
    xml = xml.replace('<row r="5"', '<row r="5" x14ac:dyDescent="0.25"', 1)
    # 分值 of the 总分 row as a formula with its cached (wrong) result: perfxl replaces it, so it leaves calcChain.
    xml = re.sub(r'<c r="G25" s="(\d+)" t="n"><v>100</v></c>', r'<c r="G25" s="\1"><f>SUM(G5,G12:G23)</f><v>100</v></c>', xml)
    assert "<f>SUM(G5" in xml
    xml = xml.replace("<mergeCells", (
        '<protectedRanges><protectedRange sqref="I12:I24" name="允许编辑区域1"/></protectedRanges>'
        '<customSheetViews><customSheetView guid="{11111111-2222-3333-4444-555555555555}" scale="85" showPageBreaks="1">'
        '<selection activeCell="B2" sqref="B2"/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</customSheetView></customSheetViews><mergeCells"), 1)
    return xml.replace("</worksheet>", (
        '<headerFooter><oddHeader>&amp;C&amp;G</oddHeader></headerFooter>'
        '<ignoredErrors><ignoredError sqref="E5:G8" numberStoredAsText="1"/></ignoredErrors>'
        '<drawing r:id="rIdDr"/><legacyDrawing r:id="rIdVml"/><legacyDrawingHF r:id="rIdHF"/><picture r:id="rIdBg"/></worksheet>'))


def enriched_xml_form(tmp_path: Path) -> Path:
    """The seed form with what real workbooks carry and openpyxl would drop, added to its XML."""
    path = Path(shutil.copy(SEED, tmp_path / "富格式.xlsx"))
    overrides = {
        "/xl/sharedStrings.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
        "/xl/comments1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
        "/xl/drawings/drawing1.xml": "application/vnd.openxmlformats-officedocument.drawing+xml",
        "/xl/metadata.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
        "/xl/calcChain.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml",
        "/customXml/itemProps1.xml": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        "/xl/worksheets/sheet2.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    }
    types = "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in overrides.items())
    types += '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/><Default Extension="png" ContentType="image/png"/>'
    rewrite_zip(path, {
        "xl/worksheets/sheet1.xml": _sheet,
        "xl/worksheets/_rels/sheet1.xml.rels": _rels(
            _rel("rIdDr", "drawing", "../drawings/drawing1.xml"), _rel("rIdVml", "vmlDrawing", "../drawings/vmlDrawing1.vml"),
            _rel("rIdHF", "vmlDrawing", "../drawings/vmlDrawingHF1.vml"), _rel("rIdBg", "image", "../media/image1.png"),
            _rel("rIdCm", "comments", "../comments1.xml")),
        "xl/comments1.xml": COMMENTS,
        "xl/drawings/vmlDrawing1.vml": VML,
        "xl/drawings/vmlDrawingHF1.vml": HF_VML,
        "xl/drawings/_rels/vmlDrawingHF1.vml.rels": _rels(_rel("rId1", "image", "../media/image1.png")),
        "xl/drawings/drawing1.xml": DRAWING,
        "xl/drawings/_rels/drawing1.xml.rels": _rels(_rel("rIdImg", "image", "../media/image2.png"), _rel("rIdLink", "hyperlink", "http://www.yiyang.gov.cn/", True)),
        "xl/media/image1.png": PNG,
        "xl/media/image2.png": PNG + b"\x00",
        "xl/sharedStrings.xml": RICH_STRINGS,
        "xl/metadata.xml": METADATA,
        "xl/calcChain.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="{MAIN}"><c r="G25" i="1"/><c r="K3"/><c r="K4" a="1"/></calcChain>',
        "customXml/item1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="no"?><b:Sources xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography" SelectedStyle="/APA.XSL"/>',
        "customXml/itemProps1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem ds:itemID="{5E5F4F5C-0000-4000-8000-000000000001}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/></ds:datastoreItem>',
        "customXml/_rels/item1.xml.rels": _rels(_rel("rId1", "customXmlProps", "itemProps1.xml")),
        "xl/worksheets/sheet2.xml": USER_FINDINGS_SHEET,
        "docProps/app.xml": APP,
        "[Content_Types].xml": lambda xml: xml.replace("</Types>", types + "</Types>"),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace("</Relationships>", _rel("rIdSS", "sharedStrings", "sharedStrings.xml")
                                                              + _rel("rIdMeta", "sheetMetadata", "metadata.xml") + _rel("rIdCalc", "calcChain", "calcChain.xml")
                                                              + _rel("rIdCx", "customXml", "../customXml/item1.xml") + _rel("rIdUser", "worksheet", "worksheets/sheet2.xml")
                                                              + "</Relationships>"),
        "xl/workbook.xml": lambda xml: xml.replace("<workbookPr", '<fileSharing readOnlyRecommended="1" userName="张三"/><workbookPr', 1).replace(
            "</sheets>", f'<sheet xmlns:r="{R_NS}" name="校验结果" sheetId="5" r:id="rIdUser"/></sheets>').replace(
            "<definedNames/>", "<definedNames><definedName name=\"_xlnm.Print_Area\" localSheetId=\"1\">'校验结果'!$A$1:$B$3</definedName></definedNames>"),
    })
    return path


def test_enriched_xml_form_keeps_everything(run_cli, tmp_path):
    path = enriched_xml_form(tmp_path)
    resaved = tmp_path / "openpyxl_resaved.xlsx"
    openpyxl.load_workbook(path).save(resaved)  # what a re-save with openpyxl would lose:
    lost = set(parts(path)) - set(parts(resaved))
    assert {"customXml/item1.xml", "xl/metadata.xml", "xl/drawings/vmlDrawingHF1.vml", "xl/calcChain.xml"} <= lost
    before_findings = findings_of(run_cli, path)
    out = fill(run_cli, path)
    assert_fidelity(path, out)
    well_formed(out)
    assert findings_of(run_cli, out) == before_findings
    content = parts(out)

    # The user's own 校验结果 stays; perfxl's findings go on a numbered sheet.
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["自评表", "校验结果", "校验结果2"]
    assert content["xl/worksheets/sheet2.xml"] == USER_FINDINGS_SHEET.encode()
    assert wb["校验结果2"]["A1"].value == "校验结果" and wb["校验结果"]["A1"].value == "我的校验记录"
    workbook_xml = content["xl/workbook.xml"].decode()
    assert '<fileSharing readOnlyRecommended="1" userName="张三"/>' in workbook_xml
    assert "localSheetId=\"1\">'校验结果'!$A$1:$B$3" in workbook_xml
    app = content["docProps/app.xml"].decode()
    assert "<Company>益阳市财政局</Company>" in app and "<Manager>王科长</Manager>" in app
    assert "<vt:lpstr>校验结果2</vt:lpstr>" in app and "<vt:i4>3</vt:i4>" in app and 'size="4" baseType="lpstr"' in app

    # G25 lost its formula (its result was wrong): out of calcChain, which still names the sheet.
    chain = content["xl/calcChain.xml"].decode()
    assert 'r="G25"' not in chain and '<c r="K3" i="1"/>' in chain
    sheet = content["xl/worksheets/sheet1.xml"].decode()
    assert "SUM(G5" not in sheet and 'mc:Ignorable="x14ac"' in sheet

    # Comments: the user's box on A2 is untouched; on H25 perfxl's note comes first, the user's text and box stay.
    vml = content["xl/drawings/vmlDrawing1.vml"].decode()
    assert USER_SHAPE in vml and H25_SHAPE in vml
    comments = openpyxl.load_workbook(out)["自评表"]
    assert comments["A2"].comment.text == "张三:\n请核实项目全称" and comments["A2"].comment.author == "张三"
    assert comments["H25"].comment.text.startswith("原填写：92；") and comments["H25"].comment.text.endswith("财务科已复核")
    note_shapes = vml.count('ObjectType="Note"')
    assert note_shapes == sum(1 for row in comments.iter_rows() for c in row if c.comment)
    root = etree.fromstring(content["xl/comments1.xml"])
    old_d3 = next(c for c in etree.fromstring(COMMENTS.encode()).iter(f"{{{MAIN}}}comment") if c.get("ref") == "A2")
    new_d3 = next(c for c in root.iter(f"{{{MAIN}}}comment") if c.get("ref") == "A2")
    assert c14n(old_d3) == c14n(new_d3)  # rich runs of the user's comment kept

    # A second run on the output gives the same package, and undoes perfxl's marks first.
    again = fill(run_cli, out)
    assert parts(again) == content
    assert findings_of(run_cli, again) == before_findings


@office
def test_enriched_xml_form_output_opens_in_libreoffice(run_cli, tmp_path):
    out = fill(run_cli, enriched_xml_form(tmp_path))
    assert converts_with_office(out, tmp_path)


# ---------------------------------------------------------------- built by openpyxl, saved by LibreOffice


def test_openpyxl_built_form_keeps_everything(run_cli, make_form, seed_spec, tmp_path):
    from helpers import decorated_form

    path = decorated_form(make_form, seed_spec)
    before_findings = findings_of(run_cli, path)
    out = fill(run_cli, path)
    assert_fidelity(path, out)
    well_formed(out)
    assert findings_of(run_cli, out) == before_findings
    again = fill(run_cli, out)
    assert parts(again) == parts(out)
    if shutil.which("soffice"):
        assert converts_with_office(out, tmp_path)


@office
def test_libreoffice_saved_form_keeps_everything(run_cli, make_form, seed_spec, tmp_path):
    from helpers import decorated_form

    built = decorated_form(make_form, seed_spec, "built.xlsx")
    outdir = tmp_path / "lo"
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx", "--outdir", str(outdir), str(built)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180, check=False)
    path = Path(shutil.copy(outdir / "built.xlsx", tmp_path / "lo_saved.xlsx"))
    assert b"<r>" in parts(path).get("xl/sharedStrings.xml", b"") or True  # LibreOffice writes rich runs where fonts differ
    before_findings = findings_of(run_cli, path)
    out = fill(run_cli, path)
    assert_fidelity(path, out)
    well_formed(out)
    assert findings_of(run_cli, out) == before_findings
    assert converts_with_office(out, tmp_path)
    again = fill(run_cli, out)
    assert parts(again) == parts(out)


@office
def test_libreoffice_saved_seed_keeps_rich_text(run_cli, tmp_path):
    outdir = tmp_path / "lo"
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx", "--outdir", str(outdir), str(SEED)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180, check=False)
    path = Path(shutil.copy(next(outdir.glob("*.xlsx")), tmp_path / "seed_lo.xlsx"))
    strings = parts(path)["xl/sharedStrings.xml"]
    out = fill(run_cli, path)
    assert parts(out)["xl/sharedStrings.xml"] == strings  # every run of every string, as LibreOffice wrote it
    assert_fidelity(path, out)
    assert findings_of(run_cli, out) == findings_of(run_cli, path)


# ---------------------------------------------------------------- values that must survive


def test_numbers_from_formulas_on_another_sheet_keep_their_cached_values(run_cli, clean_form, tmp_path):
    """The form's amounts are formulas on a 数据 sheet, with cached results: the output reads the same."""
    wb = openpyxl.load_workbook(clean_form)
    ws = wb["自评表"]
    data = wb.create_sheet("数据")
    cached = {}
    row = 1
    for form_row in range(5, 9):
        for col in ("E", "F", "G"):
            value = ws[f"{col}{form_row}"].value
            if isinstance(value, (int, float)):
                data[f"A{row}"] = value
                ws[f"{col}{form_row}"] = f"=数据!A{row}"
                cached[f"{col}{form_row}"] = value
                row += 1
    assert len(cached) >= 6
    path = tmp_path / "公式表.xlsx"
    wb.save(path)

    def with_cache(xml: str) -> str:
        for ref, value in cached.items():
            xml, count = re.subn(rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f><v\s*/?>(</v>)?', rf"\1<f>\2</f><v>{value}</v>", xml)
            assert count == 1, ref
        return xml

    rewrite_zip(path, {"xl/worksheets/sheet1.xml": with_cache})
    [before] = json.loads(run_cli("check", path, "--format", "json").stdout)
    out = fill(run_cli, path)
    [after] = json.loads(run_cli("check", out, "--format", "json").stdout)
    assert not [f for f in after["findings"] if "无法识别为数字" in f["message"]]
    assert after["form"]["total"] == before["form"]["total"]
    assert after["findings"] == before["findings"]
    root = etree.fromstring(parts(out)["xl/worksheets/sheet1.xml"])
    kept = {c.get("r"): (c.findtext(f"{{{MAIN}}}f"), float(c.findtext(f"{{{MAIN}}}v"))) for c in root.iter(f"{{{MAIN}}}c") if c.get("r") in cached}
    assert all(kept[ref][0].startswith("数据!A") and kept[ref][1] == value for ref, value in cached.items())


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","92")', '92（公式：=HYPERLINK("http://x","92")）'])
def test_formula_like_text_in_the_total_stays_text_on_every_run(run_cli, seed_form, tmp_path, text):
    """Text in 总分 得分 that looks like a formula, or like perfxl's record of one: text in every output, on every run."""
    wb = openpyxl.load_workbook(seed_form)
    cell = wb["自评表"]["H25"]
    cell.value = text
    cell.data_type = "s"
    path = tmp_path / "链接.xlsx"
    wb.save(path)
    assert "<f>" not in parts(path)["xl/worksheets/sheet1.xml"].decode()

    first = fill(run_cli, path)
    second = fill(run_cli, first)
    for out in (first, second):
        for name, data in parts(out).items():
            if name.startswith("xl/worksheets/"):
                assert b"HYPERLINK" not in data.split(b"<sheetData>")[-1].split(b"</sheetData>")[0].split(b"<f")[-1] or b"<f" not in data, name
                assert not re.search(rb"<f[^>]*>[^<]*HYPERLINK", data), name
        total = openpyxl.load_workbook(out)["自评表"]["H25"]
        assert total.data_type == "n" and total.comment.text.startswith(f"原填写：'{text}；")  # Excel's mark for text
    assert findings_of(run_cli, first) == findings_of(run_cli, path) == findings_of(run_cli, second)


def test_user_sheet_named_like_the_findings_sheet_is_never_replaced(run_cli, clean_form, tmp_path):
    wb = openpyxl.load_workbook(clean_form)
    mine = wb.create_sheet("校验结果")
    mine["A1"] = "校验结果"  # looks like perfxl's, but has no findings table
    mine["A2"] = "文件：自己记的"
    path = tmp_path / "自有.xlsx"
    wb.save(path)
    first = fill(run_cli, path)
    second = fill(run_cli, first)
    for out in (first, second):
        result = openpyxl.load_workbook(out)
        assert result.sheetnames[:2] == ["自评表", "校验结果"] and result.sheetnames[2] == "校验结果2"
        assert result["校验结果"]["A2"].value == "文件：自己记的"
        assert result["校验结果2"]["A2"].value == f"文件：{path.name}"


def _corrected(xml: str) -> str:
    """H18 back to 15 and the 总分 H20 back to the 99.36 that gives."""
    xml = re.sub(r'(<c r="H18"[^>]*>)<v>12</v>', r"\g<1><v>15</v>", xml)
    return re.sub(r'(<c r="H20"[^>]*>)<v>[^<]*</v>', r"\g<1><v>99.36</v>", xml)


def test_a_corrected_output_gets_its_comment_parts_back_out(run_cli, clean_form, tmp_path):
    """Flagged once, fixed by the user, filled again: no comment left, so no empty comments part or VML either."""
    wb = openpyxl.load_workbook(clean_form)
    wb["自评表"]["H18"] = 12  # a wrong score: total-mismatch and a comment on it
    flagged = tmp_path / "有误.xlsx"
    wb.save(flagged)
    first = fill(run_cli, flagged)
    assert any(name.endswith(".vml") for name in parts(first))
    fixed = tmp_path / "已改.xlsx"
    shutil.copy(first, fixed)
    # The user corrects the score and the 总分 perfxl had recomputed from it (a derived cell showing
    # perfxl's earlier value is checked as it shows, see perfxl/checks/trust.py and test_integrity.py).
    rewrite_zip(fixed, {"xl/worksheets/sheet1.xml": _corrected})
    second = fill(run_cli, fixed)
    content = parts(second)
    assert not [n for n in content if n.endswith(".vml") or "comments" in n]
    assert b"legacyDrawing" not in content["xl/worksheets/sheet1.xml"]
    assert b"comments" not in content["[Content_Types].xml"] and b"comments" not in content.get("xl/worksheets/_rels/sheet1.xml.rels", b"")
    assert findings_of(run_cli, second) == findings_of(run_cli, clean_form)
    openpyxl.load_workbook(second)


def test_a_wrong_shared_formula_hands_its_formula_on(run_cli, clean_form):
    """执行率 filled down as a shared formula whose master cell shows a wrong result: the master gets
    perfxl's value, the cells that shared its formula keep it as their own formula."""
    rewrite_zip(clean_form, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
        '<c r="H5" s="6" t="n"><v>0.9583</v></c>', '<c r="H5" s="6"><f t="shared" ref="H5:H6" si="0">F5/E5</f><v>0.5</v></c>').replace(
        '<c r="H6" s="6" t="n"><v>0.9545</v></c>', '<c r="H6" s="6"><f t="shared" si="0"/><v>0.9545</v></c>')})
    assert 'si="0"/>' in parts(clean_form)["xl/worksheets/sheet1.xml"].decode()
    out = fill(run_cli, clean_form)
    root = etree.fromstring(parts(out)["xl/worksheets/sheet1.xml"])
    by_ref = {c.get("r"): c for c in root.iter(f"{{{MAIN}}}c")}
    assert by_ref["H5"].find(f"{{{MAIN}}}f") is None and float(by_ref["H5"].findtext(f"{{{MAIN}}}v")) == pytest.approx(1150 / 1200)
    formula = by_ref["H6"].find(f"{{{MAIN}}}f")
    assert formula.text == "F6/E6" and formula.get("t") is None
    # H6 shows 95.45 % (1050/1100 to the cell's two decimals): no finding, so its cached value stays as it was
    assert by_ref["H6"].findtext(f"{{{MAIN}}}v") == "0.9545"
    ws = openpyxl.load_workbook(out)["自评表"]
    assert ws["H5"].comment.text.startswith("原填写：50%（公式：=F5/E5）；") and ws["H6"].comment is None
    assert findings_of(run_cli, out) == findings_of(run_cli, clean_form)


def _wrong_rate(xml: str) -> str:
    assert xml.count("<v>0.9583</v>") == 1
    return xml.replace("<v>0.9583</v>", "<v>0.5</v>")


def test_a_sheet_with_a_prefixed_namespace_is_written_whole(run_cli, clean_form):
    """Some generators write <x:worksheet xmlns:x=…>: no splice, the edited tree is serialised (same content)."""
    def prefixed(xml: str) -> str:
        body = re.sub(r"<(/?)(?!\?)([A-Za-z]+)", r"<\1x:\2", xml.split("?>", 1)[-1])
        return body.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"', 1)

    # a wrong 执行率 in H5, so that perfxl has a cell to rewrite (a derived cell without a finding is left alone)
    rewrite_zip(clean_form, {"xl/worksheets/sheet1.xml": lambda xml: prefixed(_wrong_rate(xml))})
    assert parts(clean_form)["xl/worksheets/sheet1.xml"].startswith(b"<x:worksheet")
    before = findings_of(run_cli, clean_form)
    out = fill(run_cli, clean_form)
    assert findings_of(run_cli, out) == before
    assert parts(out)["xl/worksheets/sheet1.xml"].count(b"<x:c ") == parts(clean_form)["xl/worksheets/sheet1.xml"].count(b"<x:c ")
    assert openpyxl.load_workbook(out)["自评表"]["H5"].number_format == "0.00%"


def test_a_package_without_styles_gets_one(run_cli, clean_form):
    """Scripts sometimes write workbooks with no styles part: perfxl adds one (with its relationship and type)."""
    def unstyled(xml: str) -> str:
        return re.sub(r'\ss="\d+"', "", _wrong_rate(xml))  # a wrong 执行率: a cell to rewrite and highlight

    rewrite_zip(clean_form, {"xl/worksheets/sheet1.xml": unstyled,
                             "xl/_rels/workbook.xml.rels": lambda xml: re.sub(r"<Relationship[^>]*/styles\"[^>]*/>", "", xml),
                             "[Content_Types].xml": lambda xml: re.sub(r'<Override PartName="/xl/styles.xml"[^>]*/>', "", xml)})
    content = parts(clean_form)
    del content["xl/styles.xml"]
    with zipfile.ZipFile(clean_form, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    out = fill(run_cli, clean_form)
    result = parts(out)
    assert "xl/styles.xml" in result and b"styles.xml" in result["xl/_rels/workbook.xml.rels"] and b"/xl/styles.xml" in result["[Content_Types].xml"]
    assert openpyxl.load_workbook(out)["自评表"]["H5"].number_format == "0.00%"


def test_new_comment_parts_are_wired_up(run_cli, seed_form):
    """A form without comments: perfxl adds a comments part, a VML drawing and a legacyDrawing, all linked."""
    assert not [n for n in parts(seed_form) if "comments" in n or n.endswith(".vml")]
    out = fill(run_cli, seed_form)
    well_formed(out)
    content = parts(out)
    kinds = {kind.rsplit("/", 1)[-1] for kind, _ in rels_of(content, "xl/worksheets/sheet1.xml").values()}
    assert kinds == {"comments", "vmlDrawing"}
    types = content["[Content_Types].xml"].decode()
    assert "/xl/comments1.xml" in types and ("vmlDrawing" in types)
    vml = content["xl/drawings/vmlDrawing1.vml"].decode()
    notes = openpyxl.load_workbook(out)["自评表"]
    assert vml.count('ObjectType="Note"') == sum(1 for row in notes.iter_rows() for c in row if c.comment) > 5


def test_an_output_of_the_openpyxl_writer_is_filled_again_cleanly(run_cli, clean_form, tmp_path):
    """Outputs written before the patch writer (openpyxl re-save: shared strings, its own VML, the
    原底色 records in openpyxl's XML) are undone and re-annotated like any other output."""
    from openpyxl.styles import PatternFill

    from perfxl.read.workbook import open_book

    wb = openpyxl.load_workbook(clean_form)
    wb["自评表"]["H18"] = 12
    wb["自评表"]["I18"].fill = PatternFill(fill_type="solid", start_color="FFE2EFDA", end_color="FFE2EFDA")
    form = tmp_path / "旧.xlsx"
    wb.save(form)
    book = open_book(form, styles=True)
    results = [check(f) for f in read_forms(form, book)]
    book.kind = "xls"  # the openpyxl writer, as it wrote every output before
    old_output = tmp_path / "旧_自评结果.xlsx"
    writer.write_filled_workbook(book, results, old_output)
    assert "perfxl原底色" in openpyxl.load_workbook(old_output).sheetnames

    fixed = tmp_path / "旧（已改）.xlsx"
    shutil.copy(old_output, fixed)
    rewrite_zip(fixed, {"xl/worksheets/sheet1.xml": _corrected})
    out = fill(run_cli, fixed)
    result = openpyxl.load_workbook(out)
    assert result.sheetnames == ["自评表", "校验结果"]  # the old 校验结果 replaced, the records read and gone
    cell = result["自评表"]["I18"]
    assert cell.comment is None and cell.fill.fgColor.rgb == "FFE2EFDA"  # the user's own colour is back
    assert not [c.coordinate for row in result["自评表"].iter_rows() for c in row if c.comment]
    assert findings_of(run_cli, out) == findings_of(run_cli, clean_form) == []


def test_form_control_vml_in_another_encoding_is_kept_byte_for_byte(run_cli, seed_form):
    """A legacy check box (VML, its label in GBK as old files have it): perfxl's note boxes join it, its bytes stay."""
    control = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
               '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
               '<v:shape id="_x0000_s1025" type="#_x0000_t201" style="position:absolute;width:60pt;height:15pt"><v:textbox><div>已审核</div></v:textbox>'
               '<x:ClientData ObjectType="Checkbox"><x:Anchor>10, 0, 2, 0, 12, 0, 3, 0</x:Anchor></x:ClientData></v:shape></xml>').encode("gbk")
    rewrite_zip(seed_form, {
        "xl/drawings/vmlDrawing9.vml": control,
        "xl/worksheets/_rels/sheet1.xml.rels": _rels(_rel("rIdCtl", "vmlDrawing", "../drawings/vmlDrawing9.vml")),
        "xl/worksheets/sheet1.xml": lambda xml: xml.replace(f'<worksheet xmlns="{MAIN}">', f'<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}">').replace(
            "</worksheet>", '<legacyDrawing r:id="rIdCtl"/></worksheet>'),
        "[Content_Types].xml": lambda xml: xml.replace("</Types>", '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/></Types>'),
    })
    out = fill(run_cli, seed_form)
    vml = parts(out)["xl/drawings/vmlDrawing9.vml"]
    assert vml.startswith(control[: control.rindex(b"</xml>")]) and vml.endswith(b"</xml>")
    notes = openpyxl.load_workbook(out)["自评表"]
    assert vml.count(b'ObjectType="Note"') == sum(1 for row in notes.iter_rows() for c in row if c.comment) > 5
    assert b'ObjectType="Checkbox"' in vml and "已审核".encode("gbk") in vml
    well_formed(out)
    again = fill(run_cli, out)
    assert parts(again) == parts(out)


def test_control_characters_from_a_form_are_written_as_ooxml_escapes(run_cli, seed_form, tmp_path):
    """A form's text can carry control characters (stored as _x0001_); quoted in perfxl's notes and findings they stay valid XML."""
    wb = openpyxl.load_workbook(seed_form)
    wb["自评表"]["D16"] = wb["自评表"]["D16"].value + "QQQ"
    path = tmp_path / "控制字符.xlsx"
    wb.save(path)
    rewrite_zip(path, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace("QQQ", "_x0001_")})
    before = findings_of(run_cli, path)
    assert any("\x01" in message for *_, message in before)
    out = fill(run_cli, path)
    well_formed(out)
    # One reading (issue 22): the output is read as the input was, _x0001_ decoded alike.
    assert findings_of(run_cli, out) == before
    assert any("_x0001_" in row[3] for row in openpyxl.load_workbook(out)["校验结果"].iter_rows(values_only=True) if row[3])
