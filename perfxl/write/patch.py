"""Checked form → the filled workbook, written as the input package with surgical edits.

Instead of re-saving the workbook with openpyxl (which drops rich text, cached formula results,
protected ranges, pictures in headers, custom XML and more), the output is the input .xlsx/.xlsm
zip with only these parts changed:

* the form sheets' XML: the cells perfxl writes (value, type, style index), a ``legacyDrawing``
  for comments; every other element is kept as parsed (lxml keeps attributes, namespaces and
  ``mc:Ignorable``; nothing is pretty-printed);
* ``xl/styles.xml``: fills, fonts, borders and cell formats appended (never changed or removed);
* comments parts and their VML drawings: perfxl's comments added, the user's kept;
* new sheets ``校验结果`` (numbered when the user already has a sheet of that name) and, when
  needed, the very hidden ``perfxl原底色``; ``xl/workbook.xml``, its relationships,
  ``[Content_Types].xml`` and ``docProps/app.xml`` follow;
* ``xl/calcChain.xml``: entries of cells that lose their formula.

Every other part is copied with identical content. Running fill on an output first undoes
perfxl's previous marks (its comments, highlights, derived values and sheets), so the result is
the same as on the original.
"""

from __future__ import annotations

import copy
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from perfxl.read import labels as L
from perfxl.model import PERFXL_AUTHOR, Finding, FormError, a1, split_ref
from perfxl.read.workbook import resolve
from perfxl.atomic import atomic_path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
EP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

REL_WORKSHEET = f"{R_NS}/worksheet"
REL_COMMENTS = f"{R_NS}/comments"
REL_VML = f"{R_NS}/vmlDrawing"
REL_CALC_CHAIN = f"{R_NS}/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
#: Excel 365 threaded comments: a thread per cell (the legacy comment becomes its placeholder) and
#: the workbook's list of the people who wrote in threads.
TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
CT_PERSONS = "application/vnd.ms-excel.person+xml"
#: perfxl as a person of the threads (a fixed id: a re-run finds and removes its own replies).
PERFXL_PERSON_ID = "{5E5F9F0A-6A1C-4D4E-9B1F-70657266786C}"

#: CT_Worksheet's children in schema order; a child perfxl adds is placed by this list.
WORKSHEET_CHILDREN = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)
#: CT_Stylesheet's children in schema order.
STYLESHEET_CHILDREN = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)
#: CT_Cell's children in schema order.
CELL_CHILDREN = ("f", "v", "is", "extLst")

RATE_NUMFMT = 10  # built-in "0.00%"
SCORE_NUMFMT = 2  # built-in "0.00"
_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def insert_in_order(parent, child, order: tuple[str, ...]):
    """Insert ``child`` into ``parent`` before the first existing child that comes after it in ``order``."""
    rank = order.index(_local(child.tag))
    for index, existing in enumerate(parent):
        name = _schema_name(existing)
        if name in order and order.index(name) > rank:
            parent.insert(index, child)
            return child
    parent.append(child)
    return child


def _schema_name(element) -> str:
    """The schema name an element stands for: its own, or for ``mc:AlternateContent`` (Excel wraps
    form controls and OLE objects in it) the name of what its first choice holds."""
    name = _local(element.tag)
    if name != "AlternateContent":
        return name
    for choice in element:
        for inner in choice:
            if isinstance(inner.tag, str):
                return _local(inner.tag)
    return name


def relative(source: str, part: str) -> str:
    """Target of ``part`` as written in the relationships of ``source``."""
    import posixpath

    return posixpath.relpath(part, str(PurePosixPath(source).parent))


def rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text XML can hold: control characters (which forms can carry, read from ``_x0001_``) as
    OOXML writes them, ``_xHHHH_``."""
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _number_text(value) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


# ---------------------------------------------------------------- the package


class Package:
    """The input zip: parts read on demand, edited parts serialised on save, the rest copied."""

    def __init__(self, path: Path):
        from lxml import etree

        self._etree = etree
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False)
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.infos = self.zip.infolist()
        self.names = [info.filename for info in self.infos]
        self._trees: dict[str, object] = {}
        self._dirty: set[str] = set()
        self._new: dict[str, bytes] = {}
        self._removed: set[str] = set()
        self.serialisers: dict[str, object] = {}  # part → a function giving its bytes (see Sheet.serialise)

    def close(self) -> None:
        self.zip.close()

    def exists(self, name: str) -> bool:
        return name not in self._removed and (name in self._new or name in self._trees or name in self.names)

    def read(self, name: str) -> bytes:
        if name in self._new:
            return self._new[name]
        return self.zip.read(name)

    def xml(self, name: str):
        """The parsed part (parsed once; edit it in place and call :meth:`touch`)."""
        if name not in self._trees:
            self._trees[name] = self._etree.fromstring(self.read(name), self._parser)
        return self._trees[name]

    def parse(self, data: bytes):
        return self._etree.fromstring(data, self._parser)

    def touch(self, name: str) -> None:
        self._dirty.add(name)

    def set_xml(self, name: str, root) -> None:
        self._trees[name] = root
        self._dirty.add(name)
        self._removed.discard(name)

    def set_bytes(self, name: str, data: bytes) -> None:
        self._new[name] = data
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self._removed.discard(name)

    def remove(self, name: str) -> None:
        self._removed.add(name)
        self._new.pop(name, None)
        self._trees.pop(name, None)
        self._dirty.discard(name)

    def unused_name(self, pattern: str, start: int = 1) -> str:
        """The first free part name of ``pattern`` ('xl/worksheets/sheet{}.xml')."""
        number = start
        while True:
            name = pattern.format(number)
            if not self.exists(name):
                return name
            number += 1

    def serialise(self, root) -> bytes:
        return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + self._etree.tostring(root, encoding="UTF-8", xml_declaration=False)

    def save(self, target: Path) -> None:
        """Write the package to ``target``: unchanged parts copied as stored (raw), edited ones serialised, in the input's order."""
        written = set()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            for info in self.infos:
                name = info.filename
                if name in self._removed or name in written:
                    continue
                written.add(name)
                if name in self._dirty:
                    out.writestr(_fresh_info(name, info), self.serialisers.get(name, lambda: self.serialise(self._trees[name]))())
                elif name in self._new:
                    out.writestr(_fresh_info(name, info), self._new[name])
                elif not _copy_raw(self.zip, out, info):
                    out.writestr(_fresh_info(name, info), self.zip.read(info))
            for name in sorted((set(self._new) | self._dirty) - written):
                data = self._new[name] if name in self._new else self.serialise(self._trees[name])
                out.writestr(_fresh_info(name), data)


def _copy_raw(source: zipfile.ZipFile, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Copy one entry's stored (compressed) bytes unchanged: fast, and byte-identical even where a
    part is damaged in a way perfxl never needed to read. False when the entry is unusual (then
    the caller recompresses it)."""
    import struct

    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return False
    try:
        source.fp.seek(info.header_offset)
        header = source.fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            return False
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        source.fp.seek(info.header_offset + 30 + name_length + extra_length)
        raw = source.fp.read(info.compress_size)
        if len(raw) != info.compress_size:
            return False
        entry = copy.copy(info)
        entry.flag_bits &= ~0x08  # sizes and CRC go into the local header: no data descriptor
        entry.extra = b""
        entry.header_offset = out.fp.tell()
        out.fp.write(entry.FileHeader())
        out.fp.write(raw)
        out.start_dir = out.fp.tell()
        out.filelist.append(entry)
        out.NameToInfo[entry.filename] = entry
        return True
    except (OSError, ValueError, struct.error, AttributeError):
        return False


def _fresh_info(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=like.date_time if like is not None else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if like is None or like.compress_type != zipfile.ZIP_STORED else zipfile.ZIP_STORED
    info.external_attr = like.external_attr if like is not None else 0o600 << 16
    return info


class Relationships:
    """One .rels part: read, add, remove."""

    def __init__(self, package: Package, source: str):
        self.package = package
        self.name = rels_name(source)
        self.source = source
        if package.exists(self.name):
            self.root = package.xml(self.name)
        else:
            self.root = package.parse(f'<Relationships xmlns="{PKG_REL}"/>'.encode())
        self.changed = False

    def items(self):
        return [rel for rel in self.root if _local(rel.tag) == "Relationship"]

    def target(self, rid: str) -> str | None:
        for rel in self.items():
            if rel.get("Id") == rid and rel.get("TargetMode") != "External":
                return resolve(self.source, rel.get("Target", ""))
        return None

    def by_type(self, rel_type: str) -> list[tuple[str, str]]:
        """(rId, part) of every internal relationship of ``rel_type``."""
        return [(rel.get("Id"), resolve(self.source, rel.get("Target", ""))) for rel in self.items()
                if rel.get("Type") == rel_type and rel.get("TargetMode") != "External"]

    def add(self, rel_type: str, part: str) -> str:
        ids = {rel.get("Id") for rel in self.items()}
        number = len(ids) + 1
        while f"rId{number}" in ids:
            number += 1
        rid = f"rId{number}"
        element = self.root.makeelement(q("Relationship", PKG_REL), {"Id": rid, "Type": rel_type, "Target": relative(self.source, part)})
        self.root.append(element)
        self.changed = True
        return rid

    def remove(self, rid: str) -> None:
        for rel in self.items():
            if rel.get("Id") == rid:
                self.root.remove(rel)
                self.changed = True

    def save(self) -> None:
        if self.changed:
            self.package.set_xml(self.name, self.root)


class ContentTypes:
    NAME = "[Content_Types].xml"

    def __init__(self, package: Package):
        self.package = package
        self.root = package.xml(self.NAME)

    def override(self, part: str, content_type: str) -> None:
        self.drop(part)
        self.root.append(self.root.makeelement(q("Override", CT_NS), {"PartName": "/" + part, "ContentType": content_type}))
        self.package.touch(self.NAME)

    def drop(self, part: str) -> None:
        for element in list(self.root):
            if _local(element.tag) == "Override" and element.get("PartName", "").lstrip("/") == part:
                self.root.remove(element)
                self.package.touch(self.NAME)

    def has_default(self, extension: str) -> bool:
        return any(_local(e.tag) == "Default" and e.get("Extension", "").lower() == extension for e in self.root)


# ---------------------------------------------------------------- styles


class Styles:
    """xl/styles.xml: look up a cell format's fill and number format; append derived formats."""

    NAME = "xl/styles.xml"

    def __init__(self, package: Package, workbook_rels: Relationships):
        self.package = package
        found = [part for _, part in workbook_rels.by_type(f"{R_NS}/styles") if package.exists(part)]
        self.NAME = found[0] if found else Styles.NAME
        self.created = not package.exists(self.NAME)
        if not self.created:
            self.root = package.xml(self.NAME)
        else:  # a package without styles (rare, written by scripts): start a minimal one
            self.root = package.parse((
                f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>').encode())
            package.set_xml(self.NAME, self.root)
        self._cache: dict[tuple, int] = {}
        self._pool_cache: dict[tuple[str, bool], dict[tuple, int]] = {}

    def _list(self, name: str):
        element = self.root.find(q(name))
        if element is None:
            element = insert_in_order(self.root, self.root.makeelement(q(name), {}), STYLESHEET_CHILDREN)
        return element

    def xf(self, index: int):
        xfs = self._list("cellXfs")
        return xfs[index] if 0 <= index < len(xfs) else (xfs[0] if len(xfs) else None)

    def fill(self, style: int):
        xf = self.xf(style)
        fills = self._list("fills")
        fill_id = int(xf.get("fillId", "0")) if xf is not None else 0
        return fills[fill_id] if 0 <= fill_id < len(fills) else None

    def number_format(self, style: int) -> str:
        from openpyxl.styles.numbers import BUILTIN_FORMATS

        xf = self.xf(style)
        fmt_id = int(xf.get("numFmtId", "0")) if xf is not None else 0
        for fmt in self._list("numFmts"):
            if fmt.get("numFmtId") == str(fmt_id):
                return fmt.get("formatCode", "General")
        return BUILTIN_FORMATS.get(fmt_id, "General")

    def _pool(self, name: str, element, loose: bool = False) -> int:
        """Index of ``element`` in the fonts/fills/borders/cellXfs list: an identical one already
        there (a re-run) is reused, else it is appended. ``loose``: apply* flags do not count."""
        index = self._pool_index(name, loose)
        sig = _loose(signature(element)) if loose else signature(element)
        if sig not in index:
            pool = self._list(name)
            pool.append(element)
            pool.set("count", str(len(pool)))
            self.package.touch(self.NAME)
            for variant in (False, True):  # keep both indexes of this list up to date
                if (name, variant) in self._pool_cache:
                    self._pool_cache[(name, variant)].setdefault(_loose(signature(element)) if variant else signature(element), len(pool) - 1)
        return index[sig]

    def _pool_index(self, name: str, loose: bool) -> dict[tuple, int]:
        """signature → first index, for one list of styles.xml (built once: WPS files carry thousands of formats)."""
        key = (name, loose)
        if key not in self._pool_cache:
            index: dict[tuple, int] = {}
            for position, existing in enumerate(self._list(name)):
                index.setdefault(_loose(signature(existing)) if loose else signature(existing), position)
            self._pool_cache[key] = index
        return self._pool_cache[key]

    def derive(self, style: int, *, fill=None, fill_none: bool = False, num_fmt: int | None = None, restore: bool = False) -> int:
        """Index of a copy of cell format ``style`` with another fill and/or number format.

        ``restore``: the fill is one the cell had before perfxl highlighted it.
        """
        key = (style, signature(fill) if fill is not None else None, fill_none, num_fmt, restore)
        if key in self._cache:
            return self._cache[key]
        base = self.xf(style)
        xf = copy.deepcopy(base) if base is not None else self.root.makeelement(q("xf"), {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0", "xfId": "0"})
        if fill is not None:
            xf.set("fillId", str(self._pool("fills", fill)))
            xf.set("applyFill", "1")
        elif fill_none:
            xf.set("fillId", str(self._no_fill()))
            xf.set("applyFill", "1")
        if num_fmt is not None:
            xf.set("numFmtId", str(num_fmt))
            xf.set("applyNumberFormat", "1")
        # When undoing a highlight, the cell's own format before it (which may not say applyFill) is the one to return to.
        self._cache[key] = self._pool("cellXfs", xf, loose=fill_none or restore)
        return self._cache[key]

    def _no_fill(self) -> int:
        for index, fill in enumerate(self._list("fills")):
            pattern = fill.find(q("patternFill"))
            if pattern is not None and pattern.get("patternType", "none") == "none" and len(pattern) == 0:
                return index
        return self._pool("fills", self.solid_fill(None))

    def solid_fill(self, color: str | None):
        fill = self.root.makeelement(q("fill"), {})
        if color is None:
            fill.append(fill.makeelement(q("patternFill"), {"patternType": "none"}))
            return fill
        pattern = fill.makeelement(q("patternFill"), {"patternType": "solid"})
        pattern.append(pattern.makeelement(q("fgColor"), {"rgb": f"FF{color}"}))
        pattern.append(pattern.makeelement(q("bgColor"), {"rgb": f"FF{color}"}))
        fill.append(pattern)
        return fill

    def new_format(self, *, font: str, fill: str | None = None, border: str | None = None, alignment: str = "") -> int:
        """A cell format of perfxl's own sheets, from XML snippets (main namespace implied)."""
        wrap = lambda snippet: self.package.parse(f'<x xmlns="{MAIN}">{snippet}</x>'.encode())[0]  # noqa: E731
        font_id = self._pool("fonts", wrap(font))
        fill_id = self._pool("fills", wrap(fill)) if fill else self._no_fill()
        border_id = self._pool("borders", wrap(border)) if border else 0
        attrs = {"numFmtId": "0", "fontId": str(font_id), "fillId": str(fill_id), "borderId": str(border_id), "xfId": "0", "applyFont": "1"}
        if fill:
            attrs["applyFill"] = "1"
        if border:
            attrs["applyBorder"] = "1"
        xf = self.root.makeelement(q("xf"), attrs)
        if alignment:
            xf.set("applyAlignment", "1")
            xf.append(wrap(alignment))
        return self._pool("cellXfs", xf)


def signature(element) -> tuple:
    """What an element says, whatever prefixes its namespaces have (to find an identical one)."""
    if not isinstance(element.tag, str):
        return ()
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(), tuple(signature(child) for child in element))


_APPLY = {"applyFill", "applyNumberFormat", "applyFont", "applyBorder", "applyAlignment", "applyProtection"}


def _loose(sig: tuple) -> tuple:
    """A cell format's signature without its apply* flags."""
    return (sig[0], tuple(item for item in sig[1] if item[0] not in _APPLY), *sig[2:])


def fill_record(fill) -> str:
    """A fill as the text kept on the 原底色 sheet (no namespace, as openpyxl-era records were)."""
    from lxml import etree

    clean = copy.deepcopy(fill)
    for element in clean.iter():
        if isinstance(element.tag, str):
            element.tag = _local(element.tag)
    etree.cleanup_namespaces(clean)
    return etree.tostring(clean, encoding="unicode")


def fill_from_record(package: Package, text: str):
    """The fill element of a record, in the main namespace; None when the record is damaged."""
    try:
        root = package.parse(str(text).encode("utf-8"))
    except Exception:  # a record edited by hand: that cell gets no fill back
        return None
    if _local(root.tag) != "fill":
        return None
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = q(_local(element.tag))
    from lxml import etree

    etree.cleanup_namespaces(root)
    return root


def is_highlight(fill) -> bool:
    """One of perfxl's highlight fills (whatever alpha byte a later save gave its colour)."""
    from perfxl.mark.marks import HIGHLIGHT_COLORS

    if fill is None:
        return False
    pattern = fill.find(q("patternFill"))
    if pattern is None or pattern.get("patternType") != "solid":
        return False
    color = pattern.find(q("fgColor"))
    rgb = color.get("rgb") if color is not None else None
    return isinstance(rgb, str) and rgb[-6:].upper() in HIGHLIGHT_COLORS


def has_fill(fill) -> bool:
    if fill is None:
        return False
    pattern = fill.find(q("patternFill"))
    if pattern is None:
        return fill.find(q("gradientFill")) is not None
    return pattern.get("patternType", "none") != "none"


# ---------------------------------------------------------------- shared strings


class SharedStrings:
    NAME = "xl/sharedStrings.xml"

    def __init__(self, package: Package, workbook_rels: Relationships):
        self.package = package
        parts = workbook_rels.by_type(f"{R_NS}/sharedStrings")
        self.part = parts[0][1] if parts else self.NAME
        self._texts: list[str] | None = None

    def text(self, index: int) -> str:
        if self._texts is None:
            self._texts = []
            if self.package.exists(self.part):
                for item in self.package.xml(self.part):
                    self._texts.append(_item_text(item))
        return self._texts[index] if 0 <= index < len(self._texts) else ""


def _item_text(element) -> str:
    """Text of an <si>/<is>/<text>: its <t> and runs' <t>, without phonetic runs."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


# ---------------------------------------------------------------- one worksheet


class Sheet:
    """A worksheet part: cells by address, rows by number, merged ranges."""

    def __init__(self, package: Package, name: str, part: str, sheet_id: str, strings: SharedStrings, styles: Styles):
        self.package, self.name, self.part, self.sheet_id = package, name, part, sheet_id
        self.strings, self.styles = strings, styles
        self.root = package.xml(part)
        data = self.root.find(q("sheetData"))
        if data is None:
            data = insert_in_order(self.root, self.root.makeelement(q("sheetData"), {}), WORKSHEET_CHILDREN)
        self.data = data
        self.rows: dict[int, object] = {}
        self.cells: dict[str, object] = {}
        next_row = 0
        for row in data:
            if _local(row.tag) != "row":
                continue
            number = int(row.get("r") or next_row + 1)
            next_row = number
            self.rows[number] = row
            next_col = 0
            for cell in row:
                if _local(cell.tag) != "c":
                    continue
                ref = cell.get("r")
                if not ref:  # r is optional: position follows the previous cell
                    ref = a1(number, next_col + 1)
                    cell.set("r", ref)
                next_col = split_ref(ref)[1]
                self.cells[ref.upper()] = cell
        self.merged = []
        for merge in self.root.iter(q("mergeCell")):
            refs = merge.get("ref", "").split(":")
            if len(refs) == 2:
                (r0, c0), (r1, c1) = split_ref(refs[0]), split_ref(refs[1])
                self.merged.append((r0, c0, r1, c1))
        self.formula_removed: list[str] = []
        self.rels = Relationships(package, part)
        self.changed_cells: set[str] = set()  # cells whose XML perfxl rewrote
        self.changed_rows: set[int] = set()  # rows perfxl added, or added cells to
        self.changed_children: set[str] = set()  # worksheet children perfxl added or removed
        package.serialisers[part] = self.serialise

    def touch(self) -> None:
        self.package.touch(self.part)

    def serialise(self) -> bytes:
        """The sheet's XML: the input's bytes with only the changed cells, rows and children replaced.

        Falls back to serialising the whole tree when the input is written in a way the splice
        does not follow (prefixed main namespace, cells without ``r``, another encoding); either
        way the result says exactly what the edited tree says (checked).
        """
        try:
            spliced = self._splice()
        except (ValueError, UnicodeDecodeError):
            spliced = None
        if spliced is not None:
            try:
                if signature(self.package.parse(spliced)) == signature(self.root):
                    return spliced
            except Exception:  # the splice went wrong somewhere: the whole tree is always right
                pass
        return self.package.serialise(self.root)

    def _splice(self) -> bytes | None:
        from lxml import etree

        source = self.package.zip.read(self.part).decode("utf-8")
        if self.root.prefix is not None:
            return None
        data = re.search(r"<sheetData\b[^>]*?(/?)>", source)
        if data is None or data.group(1):
            return None
        data_end = source.index("</sheetData>", data.end())
        nsmap = self.root.nsmap

        def fragment(element) -> str:
            text = etree.tostring(element, encoding="unicode")
            head_end = text.index(">")
            head = re.sub(r'\sxmlns(?::([\w.-]+))?="([^"]*)"', lambda m: "" if nsmap.get(m.group(1)) == m.group(2) else m.group(0), text[:head_end])
            return head + text[head_end:]

        edits: list[tuple[int, int, str]] = []
        rows_seen: dict[int, tuple[int, int]] = {}
        for row_match in _ROW.finditer(source, data.end(), data_end):
            number = re.search(r'\sr="(\d+)"', row_match.group(0)[:row_match.group(0).index(">") + 1])
            if number is None:
                return None
            rows_seen[int(number.group(1))] = row_match.span()
        wanted = set(self.changed_cells)
        for number in sorted(self.changed_rows):
            if number in rows_seen:  # an input row perfxl added cells to: the whole row
                start, end = rows_seen[number]
                edits.append((start, end, fragment(self.rows[number])))
                wanted -= {ref for ref in wanted if split_ref(ref)[0] == number}
            else:  # a new row, before the next input row
                later = [r for r in rows_seen if r > number]
                at = rows_seen[min(later)][0] if later else data_end
                edits.append((at, at, fragment(self.rows[number])))
                wanted -= {ref for ref in wanted if split_ref(ref)[0] == number}
        for ref in wanted:
            row_span = rows_seen.get(split_ref(ref)[0])
            if row_span is None:
                return None
            found = None
            for cell_match in _CELL.finditer(source, *row_span):
                head = cell_match.group(0)[: cell_match.group(0).index(">") + 1]
                r = re.search(r'\sr="([A-Za-z]+\d+)"', head)
                if r is None:
                    return None
                if r.group(1).upper() == ref:
                    found = cell_match.span()
                    break
            if found is None:
                return None
            edits.append((found[0], found[1], fragment(self.cells[ref])))
        if self.changed_children - {"legacyDrawing"}:
            return None
        if "legacyDrawing" in self.changed_children:
            old = re.search(r"<legacyDrawing\b[^>]*?/>", source[data_end:])
            if old is not None:
                edits.append((data_end + old.start(), data_end + old.end(), ""))
            legacy = self.root.find(q("legacyDrawing"))
            if legacy is not None:
                following = legacy.getnext()
                while following is not None and not isinstance(following.tag, str):
                    following = following.getnext()
                if following is None:
                    at = source.rindex("</")
                else:
                    name = (f"{following.prefix}:" if following.prefix else "") + _local(following.tag)
                    hit = re.search(rf"<{re.escape(name)}\b", source[data_end:])
                    if hit is None:
                        return None
                    at = data_end + hit.start()
                edits.append((at, at, fragment(legacy)))
        edits.sort(key=lambda edit: (edit[0], edit[1]))
        pieces, position = [], 0
        for start, end, text in edits:
            if start < position:
                return None  # overlapping edits: not a case the splice handles
            pieces.append(source[position:start])
            pieces.append(text)
            position = end
        pieces.append(source[position:])
        return "".join(pieces).encode("utf-8")

    def anchor(self, ref: str) -> str:
        row, col = split_ref(ref)
        for r0, c0, r1, c1 in self.merged:
            if r0 <= row <= r1 and c0 <= col <= c1:
                return a1(r0, c0)
        return a1(row, col)

    def style(self, ref: str) -> int:
        cell = self.cells.get(ref)
        if cell is not None:
            return int(cell.get("s", "0"))
        row, col = split_ref(ref)
        row_element = self.rows.get(row)
        if row_element is not None and row_element.get("customFormat") in ("1", "true"):
            return int(row_element.get("s", "0"))
        for column in self.root.iter(q("col")):
            if int(column.get("min", "0")) <= col <= int(column.get("max", "0")):
                return int(column.get("style", "0"))
        return 0

    def value(self, ref: str):
        """The cell's value as stored (number, text or None); a formula's cached result."""
        cell = self.cells.get(ref)
        if cell is None:
            return None
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(q("is"))
            return _item_text(inline) if inline is not None else ""
        v = cell.find(q("v"))
        if v is None or v.text is None:
            return None
        if kind == "s":
            try:
                return self.strings.text(int(v.text))
            except ValueError:
                return None
        if kind in ("str", "e"):
            return v.text
        if kind == "b":
            return v.text in ("1", "true")
        try:
            number = float(v.text)
        except ValueError:
            return v.text
        return int(number) if number.is_integer() and abs(number) < 1e15 else number

    def formula(self, ref: str):
        cell = self.cells.get(ref)
        return cell.find(q("f")) if cell is not None else None

    def cell(self, ref: str):
        """The <c> element at ``ref``, created (in row and column order) when absent."""
        ref = ref.upper()
        if ref in self.cells:
            return self.cells[ref]
        style = self.style(ref)
        row_number, col = split_ref(ref)
        row = self.rows.get(row_number)
        self.changed_rows.add(row_number)
        if row is None:
            row = self.data.makeelement(q("row"), {"r": str(row_number)})
            later = [r for r in self.rows if r > row_number]
            if later:
                self.data.insert(self.data.index(self.rows[min(later)]), row)
            else:
                self.data.append(row)
            self.rows[row_number] = row
        cell = row.makeelement(q("c"), {"r": ref})
        if style:
            cell.set("s", str(style))
        position = len(row)
        for index, existing in enumerate(row):
            if _local(existing.tag) == "c" and split_ref(existing.get("r"))[1] > col:
                position = index
                break
        row.insert(position, cell)
        spans = row.get("spans")
        if spans and ":" in spans:  # keep the row's column span hint true
            low, high = (int(x) for x in spans.split(":", 1))
            row.set("spans", f"{min(low, col)}:{max(high, col)}")
        self.cells[ref] = cell
        self.touch()
        return cell

    def set_style(self, ref: str, style: int) -> None:
        cell = self._changing(ref)
        if style:
            cell.set("s", str(style))
        elif "s" in cell.attrib:
            del cell.attrib["s"]
        self.touch()

    def set_number(self, ref: str, value, keep_formula: bool = False) -> None:
        cell = self._changing(ref)
        self._clear(cell, keep_formula)
        cell.attrib.pop("t", None)
        v = cell.makeelement(q("v"), {})
        v.text = _number_text(value)
        insert_in_order(cell, v, CELL_CHILDREN)
        self.touch()

    def set_text(self, ref: str, text: str, keep_formula: bool = False) -> None:
        """Text, always as text: an inline string (or a formula's cached string result)."""
        cell = self._changing(ref)
        self._clear(cell, keep_formula)
        if keep_formula:
            cell.set("t", "str")
            v = cell.makeelement(q("v"), {})
            v.text = xml_text(text)
            insert_in_order(cell, v, CELL_CHILDREN)
        else:
            cell.set("t", "inlineStr")
            inline = cell.makeelement(q("is"), {})
            t = inline.makeelement(q("t"), {})
            t.text = xml_text(text)
            if text != text.strip():
                t.set(q("space", XML_NS), "preserve")
            inline.append(t)
            insert_in_order(cell, inline, CELL_CHILDREN)
        self.touch()

    def set_formula(self, ref: str, formula: str) -> None:
        """Give the cell a formula (``=…``), keeping its value as the cached result."""
        cell = self._changing(ref)
        for old in cell.findall(q("f")):
            cell.remove(old)
        f = cell.makeelement(q("f"), {})
        f.text = formula[1:] if formula.startswith("=") else formula
        insert_in_order(cell, f, CELL_CHILDREN)
        self.touch()

    def _changing(self, ref: str):
        cell = self.cell(ref)
        self.changed_cells.add(cell.get("r").upper())
        return cell

    def clear(self, ref: str) -> None:
        """Remove the cell's value (and formula); its style stays."""
        cell = self._changing(ref)
        self._clear(cell, keep_formula=False)
        cell.attrib.pop("t", None)
        self.touch()

    def _clear(self, cell, keep_formula: bool) -> None:
        for child in list(cell):
            name = _local(child.tag)
            if name in ("v", "is") or (name == "f" and not keep_formula):
                if name == "f":
                    self._drop_formula(cell, child)
                cell.remove(child)
        if not keep_formula:
            for attr in ("cm", "vm"):  # dynamic-array / rich-value metadata belongs to the formula
                cell.attrib.pop(attr, None)

    def _drop_formula(self, cell, formula) -> None:
        """A cell loses its formula: leave calcChain, and hand a shared formula on to its other cells."""
        self.formula_removed.append(cell.get("r").upper())
        if formula.get("t") == "shared" and formula.get("ref") and formula.text:
            from openpyxl.formula.translate import Translator

            master, group = cell.get("r"), formula.get("si")
            for other in self.cells.values():
                f = other.find(q("f"))
                if other is not cell and f is not None and f.get("t") == "shared" and f.get("si") == group:
                    f.text = Translator("=" + formula.text, origin=master).translate_formula(other.get("r"))[1:]
                    for attr in ("t", "si", "ref"):
                        f.attrib.pop(attr, None)
                    self.changed_cells.add(other.get("r").upper())


# ---------------------------------------------------------------- comments


@dataclass
class Note:
    """A comment perfxl puts on a cell."""

    ref: str
    text: str

class Threads:
    """A sheet's Excel 365 threaded comments (``xl/threadedComments/…``). Excel 365 shows a cell's
    thread and hides its legacy comment (the placeholder), so perfxl's note on such a cell is also
    written as a reply in the thread, by the person perfxl (:data:`PERFXL_PERSON_ID`); a re-run
    removes perfxl's replies first."""

    def __init__(self, sheet: Sheet, part: str | None, root):
        self.sheet, self.part, self.root = sheet, part, root

    @classmethod
    def load(cls, sheet: Sheet) -> Threads:
        found = [(rid, part) for rid, part in sheet.rels.by_type(REL_THREADED) if sheet.package.exists(part)]
        if not found:
            return cls(sheet, None, None)
        return cls(sheet, found[0][1], sheet.package.xml(found[0][1]))

    def root_id(self, ref: str) -> str | None:
        """The id of the thread on ``ref`` (its first comment), or None."""
        if self.root is None:
            return None
        for comment in self.root:
            if _local(comment.tag) == "threadedComment" and (comment.get("ref") or "").upper() == ref and not comment.get("parentId"):
                return comment.get("id")
        return None

    def remove_perfxl(self) -> None:
        if self.root is None:
            return
        for comment in list(self.root):
            if _local(comment.tag) == "threadedComment" and comment.get("personId") == PERFXL_PERSON_ID:
                self.root.remove(comment)
                self.sheet.package.touch(self.part)

    def reply(self, ref: str, text: str) -> bool:
        """perfxl's note as the last reply of the thread on ``ref``; False when the cell has none."""
        parent = self.root_id(ref)
        if parent is None:
            return False
        import uuid

        _ensure_perfxl_person(self.sheet.package)
        number = sum(1 for c in self.root if _local(c.tag) == "threadedComment")
        reply_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"perfxl:{self.part}:{ref}:{number}")).upper() + "}"
        element = self.root.makeelement(f"{{{TC_NS}}}threadedComment",
                                        {"ref": ref, "dT": "2000-01-01T00:00:00.00", "personId": PERFXL_PERSON_ID, "id": reply_id, "parentId": parent})
        body = element.makeelement(f"{{{TC_NS}}}text", {})
        body.text = xml_text(text)
        element.append(body)
        last = max((i for i, c in enumerate(self.root) if (c.get("ref") or "").upper() == ref), default=len(self.root) - 1)
        self.root.insert(last + 1, element)
        self.sheet.package.touch(self.part)
        return True


def _ensure_perfxl_person(package: Package) -> None:
    """perfxl in the workbook's persons part (made, with its relationship and content type, if absent)."""
    main = Relationships(package, "").by_type(f"{R_NS}/officeDocument")
    workbook_part = main[0][1] if main else "xl/workbook.xml"
    rels = Relationships(package, workbook_part)
    found = rels.by_type(REL_PERSON)
    if found and package.exists(found[0][1]):
        part = found[0][1]
        root = package.xml(part)
    else:
        part = package.unused_name("xl/persons/person{}.xml") if package.exists("xl/persons/person.xml") else "xl/persons/person.xml"
        root = package.parse(f'<personList xmlns="{TC_NS}" xmlns:x="{MAIN}"/>'.encode())
        package.set_xml(part, root)
        rels.add(REL_PERSON, part)
        rels.save()
        types = ContentTypes(package)
        types.override(part, CT_PERSONS)
    if any(person.get("id") == PERFXL_PERSON_ID for person in root):
        return
    root.append(root.makeelement(f"{{{TC_NS}}}person", {"displayName": PERFXL_AUTHOR, "id": PERFXL_PERSON_ID, "userId": PERFXL_AUTHOR, "providerId": "None"}))
    package.touch(part)


@dataclass
class Comments:
    """A sheet's comments part and VML drawing, merged with what the sheet already has."""

    sheet: Sheet
    part: str | None = None
    root: object = None
    vml_part: str | None = None
    vml: str | None = None
    vml_rid: str | None = None
    removed_shapes: set = field(default_factory=set)
    created: bool = False  # the comments part is new (needs a content type)
    vml_created: bool = False
    vml_codec: str = "utf-8"
    threads: Threads | None = None

    @classmethod
    def load(cls, sheet: Sheet) -> Comments:
        found = sheet.rels.by_type(REL_COMMENTS)
        self = cls(sheet)
        self.threads = Threads.load(sheet)
        if found and sheet.package.exists(found[0][1]):
            self.part = found[0][1]
            self.root = sheet.package.xml(self.part)
        legacy = sheet.root.find(q("legacyDrawing"))
        if legacy is not None:
            rid = legacy.get(q("id", R_NS))
            target = sheet.rels.target(rid) if rid else None
            if target and sheet.package.exists(target):
                self.vml_part, self.vml_rid = target, rid
                self.vml, self.vml_codec = _decode_vml(sheet.package.read(target))
        return self

    def authors(self) -> list[str]:
        if self.root is None:
            return []
        element = self.root.find(q("authors"))
        return [a.text or "" for a in element] if element is not None else []

    def items(self) -> dict[str, object]:
        if self.root is None:
            return {}
        found = {}
        for comment in self.root.iter(q("comment")):
            found[(comment.get("ref") or "").upper()] = comment
        return found

    def author_of(self, comment) -> str:
        names = self.authors()
        index = int(comment.get("authorId", "0"))
        return names[index] if 0 <= index < len(names) else ""

    def text_of(self, comment) -> str:
        text = comment.find(q("text"))
        return _item_text(text) if text is not None else ""

    def author_id(self, name: str) -> str:
        self._ensure_part()
        authors = self.root.find(q("authors"))
        names = [a.text or "" for a in authors]
        if name in names:
            return str(names.index(name))
        author = authors.makeelement(q("author"), {})
        author.text = name
        authors.append(author)
        self._touch()
        return str(len(names))

    def _ensure_part(self) -> None:
        if self.root is None:
            package = self.sheet.package
            self.part = package.unused_name("xl/comments{}.xml")
            self.root = package.parse(f'<comments xmlns="{MAIN}"><authors/><commentList/></comments>'.encode())
            package.set_xml(self.part, self.root)
            self.sheet.rels.add(REL_COMMENTS, self.part)
            self.created = True

    def _touch(self) -> None:
        self.sheet.package.touch(self.part)

    def _list(self):
        self._ensure_part()
        element = self.root.find(q("commentList"))
        if element is None:
            element = self.root.makeelement(q("commentList"), {})
            self.root.append(element)
        return element

    # -- undo and write

    def remove(self, ref: str) -> None:
        comment = self.items().get(ref)
        if comment is not None:
            comment.getparent().remove(comment)
            self._touch()
        self.removed_shapes.add(ref)

    def restore_user(self, ref: str, comment) -> None:
        """Turn a perfxl comment that carries a user's comment back into the user's comment."""
        from perfxl.mark.marks import USER_COMMENT_MARKER

        text = comment.find(q("text"))
        runs = [r for r in text if _local(r.tag) == "r"] if text is not None else []
        marker_at = next((i for i, r in enumerate(runs) if _item_text_run(r).startswith(USER_COMMENT_MARKER)), None)
        full = self.text_of(comment)
        _, _, rest = full.partition(USER_COMMENT_MARKER)
        author, _, user_text = rest.partition("）】\n")
        author = author.lstrip("（")
        author = "" if author == "原作者" else author
        new_text = comment.makeelement(q("text"), {})
        if marker_at is not None and marker_at + 1 < len(runs):
            for run in runs[marker_at + 1:]:
                new_text.append(copy.deepcopy(run))
        else:
            t = new_text.makeelement(q("t"), {})
            t.text = xml_text(user_text)
            new_text.append(t)
        comment.replace(text, new_text) if text is not None else comment.append(new_text)
        comment.set("authorId", self.author_id(author))
        self._touch()

    def put(self, note: Note, previous=None) -> None:
        """perfxl's comment on ``note.ref``; a user's comment there is kept inside it (after ours)."""
        from perfxl.mark.marks import USER_COMMENT_MARKER

        comment_list = self._list()
        existing = self.items().get(note.ref)
        self.threads.reply(note.ref, note.text)  # Excel 365 shows the thread, not the legacy comment
        text = comment_list.makeelement(q("text"), {})
        text.append(_run(text, note.text, bold=False))
        if existing is not None:
            author = self.author_of(existing) or "原作者"
            text.append(_run(text, f"{USER_COMMENT_MARKER}（{author}）】\n", bold=True))
            old = existing.find(q("text"))
            for child in (old if old is not None else []):
                if _local(child.tag) == "r":
                    text.append(copy.deepcopy(child))
                elif _local(child.tag) == "t":
                    text.append(_run(text, child.text or "", bold=False))
            existing.replace(old, text) if old is not None else existing.append(text)
            existing.set("authorId", self.author_id(PERFXL_AUTHOR))
        else:
            comment = comment_list.makeelement(q("comment"), {"ref": note.ref, "authorId": self.author_id(PERFXL_AUTHOR)})
            comment.append(text)
            comment_list.append(comment)
            self._add_shape(note)
        self._touch()

    # -- VML

    def _add_shape(self, note: Note) -> None:
        if self.vml is None:
            self._new_vml()
        row, col = split_ref(note.ref)
        if _find_shape(self.vml, row - 1, col - 1) is not None:  # a box from an earlier run (or the user's): keep it
            return
        numbers = [int(n) for n in re.findall(r'id="_x0000_s(\d+)"', self.vml)]
        shape_id = max(numbers, default=self._id_block() * 1024) + 1
        lines = sum(1 + len(line) // 24 for line in note.text.split("\n"))
        height = min(30 + 12 * lines, 450)
        shape = (
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:0;margin-top:0;'
            f'width:240pt;height:{height}pt;z-index:{shape_id % 1024};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{col}, 15, {max(row - 2, 0)}, 10, {col + 4}, 15, {max(row - 2, 0) + max(3, height // 15)}, 4</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>"
        )
        if "_x0000_t202" not in self.vml:
            shape = _SHAPETYPE + shape
        self.vml = _insert_before_close(self.vml, shape)

    def _id_block(self) -> int:
        match = re.search(r'<o:idmap[^>]*data="(\d+)', self.vml or "")
        return int(match.group(1)) if match else 1

    def _new_vml(self) -> None:
        package = self.sheet.package
        self.vml_part = package.unused_name("xl/drawings/vmlDrawing{}.vml")
        used = set()
        for name in package.names:
            if name.endswith(".vml") and package.exists(name):
                used |= {int(n) for n in re.findall(rb'<o:idmap[^>]*data="(\d+)', package.read(name))}
        block = max(used, default=0) + 1
        self.vml = (
            '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>{_SHAPETYPE}</xml>'
        )
        self.vml_rid = self.sheet.rels.add(REL_VML, self.vml_part)
        legacy = self.sheet.root.makeelement(q("legacyDrawing"), {q("id", R_NS): self.vml_rid}, nsmap={"r": R_NS})
        insert_in_order(self.sheet.root, legacy, WORKSHEET_CHILDREN)
        self.sheet.changed_children.add("legacyDrawing")
        self.sheet.touch()
        self.vml_created = True

    def finish(self, content_types: ContentTypes) -> None:
        """Drop the VML shapes of removed comments; write the parts and their content types."""
        package = self.sheet.package
        if self.vml is not None:
            current = self.items()
            for ref in self.removed_shapes:
                if ref in current:
                    continue
                row, col = split_ref(ref)
                span = _find_shape(self.vml, row - 1, col - 1)
                if span is not None:
                    self.vml = self.vml[: span[0]] + self.vml[span[1]:]
            if self.vml_part:
                original = _decode_vml(package.read(self.vml_part))[0] if self.vml_part in package.names else None
                if self.vml != original:
                    package.set_bytes(self.vml_part, self.vml.encode(self.vml_codec))
                    if self.vml_created and not content_types.has_default("vml"):
                        content_types.override(self.vml_part, CT_VML)
        if self.created and self.root is not None and self.items():
            content_types.override(self.part, CT_COMMENTS)
        if self.root is not None and not self.items():
            self._drop_empty(content_types)

    def _drop_empty(self, content_types: ContentTypes) -> None:
        """No comment left (a re-run on a corrected output): the comments part goes, and the VML
        drawing too when it holds nothing else (form controls stay)."""
        package = self.sheet.package
        for rid, part in self.sheet.rels.by_type(REL_COMMENTS):
            self.sheet.rels.remove(rid)
        package.remove(self.part)
        content_types.drop(self.part)
        if self.vml is not None and self.vml_part and "<v:shape " not in self.vml and "<v:shape>" not in self.vml:
            self.sheet.rels.remove(self.vml_rid)
            package.remove(self.vml_part)
            content_types.drop(self.vml_part)
            legacy = self.sheet.root.find(q("legacyDrawing"))
            if legacy is not None:
                self.sheet.root.remove(legacy)
                self.sheet.changed_children.add("legacyDrawing")
            self.sheet.touch()


_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_SHAPE = re.compile(r"<v:shape\b.*?</v:shape>", re.S)


def _decode_vml(data: bytes) -> tuple[str, str]:
    """VML text and the codec that gives its bytes back unchanged (older files are not always UTF-8;
    what perfxl adds is ASCII)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _find_shape(vml: str, row: int, col: int) -> tuple[int, int] | None:
    """Span of the comment shape (ObjectType Note) anchored at zero-based (row, col)."""
    for match in _SHAPE.finditer(vml):
        body = match.group(0)
        if 'ObjectType="Note"' not in body:
            continue
        r = re.search(r"<x:Row>\s*(\d+)\s*</x:Row>", body)
        c = re.search(r"<x:Column>\s*(\d+)\s*</x:Column>", body)
        if r and c and int(r.group(1)) == row and int(c.group(1)) == col:
            return match.span()
    return None


def _insert_before_close(vml: str, snippet: str) -> str:
    at = vml.rfind("</xml>")
    return vml[:at] + snippet + vml[at:] if at >= 0 else vml + snippet


def _item_text_run(run) -> str:
    return "".join(t.text or "" for t in run if _local(t.tag) == "t")


def _run(parent, text: str, bold: bool):
    run = parent.makeelement(q("r"), {})
    props = run.makeelement(q("rPr"), {})
    if bold:
        props.append(props.makeelement(q("b"), {}))
    props.append(props.makeelement(q("sz"), {"val": "9"}))
    props.append(props.makeelement(q("rFont"), {"val": "宋体"}))
    props.append(props.makeelement(q("family"), {"val": "3"}))
    props.append(props.makeelement(q("charset"), {"val": "134"}))
    run.append(props)
    t = run.makeelement(q("t"), {q("space", XML_NS): "preserve"})
    t.text = xml_text(text)
    run.append(t)
    return run


# ---------------------------------------------------------------- the workbook part


@dataclass
class SheetEntry:
    name: str
    element: object  # <sheet> in xl/workbook.xml
    part: str | None


class Workbook:
    """xl/workbook.xml with its relationships: the sheet list, defined names, calcPr."""

    NAME = "xl/workbook.xml"

    def __init__(self, package: Package):
        self.package = package
        self.part = self._main_part()
        self.root = package.xml(self.part)
        self.rels = Relationships(package, self.part)
        self.sheets_element = self.root.find(q("sheets"))
        self.entries: list[SheetEntry] = []
        for element in self.sheets_element:
            if _local(element.tag) != "sheet":
                continue
            target = self.rels.target(element.get(q("id", R_NS)) or "")
            self.entries.append(SheetEntry(element.get("name", ""), element, target))
        self.added: list[str] = []
        self.removed: list[str] = []

    def _main_part(self) -> str:
        root_rels = Relationships(self.package, "")
        found = root_rels.by_type(f"{R_NS}/officeDocument")
        return found[0][1] if found and self.package.exists(found[0][1]) else self.NAME

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def entry(self, name: str) -> SheetEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def remove_sheet(self, entry: SheetEntry, content_types: ContentTypes) -> None:
        """Take a sheet perfxl wrote earlier out of the workbook (part, relationships, names, views)."""
        index = self.entries.index(entry)
        self.sheets_element.remove(entry.element)
        self.rels.remove(entry.element.get(q("id", R_NS)))
        self.entries.remove(entry)
        if entry.part:
            sheet_rels = rels_name(entry.part)
            for name in (entry.part, sheet_rels):
                if self.package.exists(name):
                    self.package.remove(name)
            content_types.drop(entry.part)
        names = self.root.find(q("definedNames"))
        for defined in list(names if names is not None else []):
            local = defined.get("localSheetId")
            if local is not None and local.isdigit():
                if int(local) == index:
                    names.remove(defined)
                elif int(local) > index:
                    defined.set("localSheetId", str(int(local) - 1))
        for view in self.root.iter(q("workbookView")):
            for attr in ("activeTab", "firstSheet"):
                value = view.get(attr)
                if value is not None and value.isdigit() and int(value) >= len(self.entries):
                    view.set(attr, "0")
        self.removed.append(entry.name)
        self.package.touch(self.part)

    def add_sheet(self, name: str, xml: bytes, content_types: ContentTypes, state: str | None = None) -> str:
        part = self.package.unused_name("xl/worksheets/sheet{}.xml")
        self.package.set_bytes(part, xml)
        rid = self.rels.add(REL_WORKSHEET, part)
        ids = [int(e.element.get("sheetId", "0")) for e in self.entries]
        attrs = {"name": name, "sheetId": str(max(ids, default=0) + 1)}
        if state:
            attrs["state"] = state
        attrs[q("id", R_NS)] = rid
        element = self.sheets_element.makeelement(q("sheet"), attrs, nsmap={"r": R_NS})
        self.sheets_element.append(element)
        self.entries.append(SheetEntry(name, element, part))
        content_types.override(part, CT_WORKSHEET)
        self.added.append(name)
        self.package.touch(self.part)
        return part

    def full_calc_on_load(self) -> None:
        calc = self.root.find(q("calcPr"))
        if calc is None:
            order = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
                     "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches",
                     "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")
            calc = insert_in_order(self.root, self.root.makeelement(q("calcPr"), {}), order)
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self.package.touch(self.part)

    def drop_from_calc_chain(self, cells: dict[str, list[str]], content_types: ContentTypes) -> None:
        """Remove calcChain entries of cells that lost their formula (sheetId → refs)."""
        if not any(cells.values()):
            return
        for rid, part in self.rels.by_type(REL_CALC_CHAIN):
            if not self.package.exists(part):
                continue
            root = self.package.xml(part)
            current, dropped, carry = None, False, None
            for entry in list(root):
                if entry.get("i") is not None:
                    current = entry.get("i")
                elif carry is not None:  # the entry before, which named the sheet, is gone
                    entry.set("i", carry)
                carry = None
                if (entry.get("r") or "").upper() in cells.get(current, ()):
                    if entry.get("i") is not None:
                        carry = entry.get("i")
                    root.remove(entry)
                    dropped = True
            if not dropped:
                continue
            if len(root):
                self.package.touch(part)
            else:  # an empty calcChain is invalid: drop the part
                self.package.remove(part)
                self.rels.remove(rid)
                content_types.drop(part)

    def save(self, app: AppProperties | None) -> None:
        self.rels.save()
        if app is not None and (self.added or self.removed):
            app.update(self.removed, self.added)


class AppProperties:
    """docProps/app.xml: the worksheet titles in TitlesOfParts and their count in HeadingPairs."""

    def __init__(self, package: Package, sheet_names: list[str]):
        self.package = package
        root_rels = Relationships(package, "")
        found = root_rels.by_type("http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties")
        self.part = found[0][1] if found else "docProps/app.xml"
        self.sheet_names = sheet_names

    def update(self, removed: list[str], added: list[str]) -> None:
        if not self.package.exists(self.part):
            return
        try:
            root = self.package.xml(self.part)
        except Exception:  # metadata only: never worth failing the fill
            return
        pairs = root.find(q("HeadingPairs", EP_NS))
        titles = root.find(q("TitlesOfParts", EP_NS))
        if pairs is None or titles is None:
            return
        pair_vector, title_vector = pairs.find(q("vector", VT_NS)), titles.find(q("vector", VT_NS))
        if pair_vector is None or title_vector is None:
            return
        variants = list(pair_vector)
        groups = []
        for index in range(0, len(variants) - 1, 2):
            count = variants[index + 1].find(q("i4", VT_NS))
            groups.append((count, int(count.text) if count is not None and (count.text or "").isdigit() else 0))
        lpstrs = list(title_vector)
        start = 0
        for count, size in groups:
            group = lpstrs[start:start + size]
            texts = [(e.text or "") for e in group]
            if count is not None and texts and set(texts) <= set(self.sheet_names) | set(removed):
                kept = [e for e in group if e.text not in removed]
                for element in group:
                    if element.text in removed:
                        title_vector.remove(element)
                if kept:
                    at = title_vector.index(kept[-1]) + 1
                else:
                    at = title_vector.index(lpstrs[start - 1]) + 1 if start else 0
                for offset, name in enumerate(added):
                    element = title_vector.makeelement(q("lpstr", VT_NS), {})
                    element.text = name
                    title_vector.insert(at + offset, element)
                count.text = str(len(kept) + len(added))
                title_vector.set("size", str(len(title_vector)))
                self.package.touch(self.part)
                return
            start += size


# ---------------------------------------------------------------- entry point


def write_patched_workbook(book, results, target: Path | str) -> None:
    """Write the filled workbook of ``book`` (an .xlsx/.xlsm checked as ``results``) to ``target``.

    The output is the input package with perfxl's edits; ``target`` is written atomically and the
    input is only read.
    """
    path = Path(book.path)
    try:
        package = Package(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged(path, exc) from None
    try:
        _patch(package, book, results, Path(target))
    except FormError:
        raise
    except Exception as exc:  # a part perfxl must edit is damaged (XML, zip entry, missing element)
        raise _damaged(path, exc) from None
    finally:
        package.close()


def _damaged(path: Path, exc: BaseException) -> FormError:
    import traceback

    return FormError(
        "corrupt",
        f"{path.name} 的内部结构有损坏（{exc.__class__.__name__}），无法在其上写出填写结果。请在 Excel/WPS 中打开后另存为 .xlsx 再试。",
        path, "".join(traceback.format_exception(exc)),
    )


def _patch(package: Package, book, results, target: Path) -> None:
    """Undo a previous run's marks, annotate the form sheets, add perfxl's sheets, save."""
    content_types = ContentTypes(package)
    workbook = Workbook(package)
    styles = Styles(package, workbook.rels)
    if styles.created:  # a package without styles (written by a script): the new part needs its relationship
        workbook.rels.add(f"{R_NS}/styles", styles.NAME)
        content_types.override(styles.NAME, "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml")
    strings = SharedStrings(package, workbook.rels)
    names_before = workbook.names()

    def sheet_of(entry: SheetEntry) -> Sheet:
        return Sheet(package, entry.name, entry.part, entry.element.get("sheetId", ""), strings, styles)

    records: dict[tuple[str, str], str] = {}
    file_name = None
    for entry in list(workbook.entries):
        if not entry.part or not package.exists(entry.part):
            continue
        if entry.name == L.ORIGINAL_FILLS_SHEET:
            records = _read_records(sheet_of(entry))
            workbook.remove_sheet(entry, content_types)
        elif entry.name.startswith(L.FINDINGS_SHEET):
            previous = _findings_sheet_file_name(sheet_of(entry))
            if previous is not None:
                file_name = file_name or previous
                workbook.remove_sheet(entry, content_types)

    by_sheet = {result.form.sheet: result for result in results}
    originals: dict[str, str] = {}
    lost_formulas: dict[str, list[str]] = {}
    for entry in list(workbook.entries):
        result = by_sheet.get(entry.name)
        if not entry.part or not package.exists(entry.part) or (result is None and not _has_perfxl_comments(package, entry.part)):
            continue
        sheet = sheet_of(entry)
        comments = Comments.load(sheet)
        derived = _derived(sheet, result) if result is not None else {}
        honoured = {a1(*key): record for key, record in (getattr(book, "honoured", None) or {}).get(entry.name, {}).items()}
        _undo_marks(sheet, comments, styles, records, honoured)
        if result is not None:
            _annotate(sheet, comments, styles, result, derived, originals, honoured)
        comments.finish(content_types)
        sheet.rels.save()
        lost_formulas[sheet.sheet_id] = sheet.formula_removed

    name = L.FINDINGS_SHEET
    number = 2
    while name.lower() in {n.lower() for n in workbook.names()}:
        name, number = f"{L.FINDINGS_SHEET}{number}", number + 1
    sheet_names = set(workbook.names())
    workbook.add_sheet(name, findings_sheet_xml(styles, file_name or Path(book.path).name, results, sheet_names), content_types)
    if originals:
        workbook.add_sheet(L.ORIGINAL_FILLS_SHEET, records_sheet_xml(originals), content_types, state="veryHidden")
    workbook.full_calc_on_load()
    workbook.drop_from_calc_chain(lost_formulas, content_types)
    workbook.save(AppProperties(package, names_before))
    with atomic_path(target) as temp:
        package.save(temp)


def _has_perfxl_comments(package: Package, part: str) -> bool:
    from perfxl.mark.marks import comments_by_perfxl

    rels = Relationships(package, part)
    return any(package.exists(p) and comments_by_perfxl(package.read(p)) for _, p in rels.by_type(REL_COMMENTS))


def _derived(sheet: Sheet, result) -> dict:
    """The check's derived cells (``result.derived``), by the address of their cell in the sheet."""
    return {sheet.anchor(address): derived for address, derived in result.derived.items()}


def _read_records(sheet: Sheet) -> dict[tuple[str, str], str]:
    """(sheet, cell) → the fill text a previous run kept on the 原底色 sheet."""
    records = {}
    for ref in sheet.cells:
        row, col = split_ref(ref)
        if col != 1:
            continue
        where, fill = sheet.value(ref), sheet.value(a1(row, 2))
        if isinstance(where, str) and isinstance(fill, str):
            name, _, address = where.rpartition("!")
            records[(name, address.upper())] = fill
    return records


def _findings_sheet_file_name(sheet: Sheet) -> str | None:
    """The file name a 校验结果 sheet perfxl wrote names (None: not perfxl's, a user's own sheet)."""
    from perfxl.mark.marks import findings_sheet_file_name

    rows = sorted({row for row, col in map(split_ref, sheet.cells) if col == 1})
    return findings_sheet_file_name(lambda row, col: sheet.value(a1(row, col)), rows)


def _undo_marks(sheet: Sheet, comments: Comments, styles: Styles, records: dict, honoured: dict) -> None:
    """Undo a previous perfxl run on ``sheet``: its comments and highlights go (user comments and
    fills return); the cells whose records the check honoured (``honoured``: A1 → Record, see
    :mod:`perfxl.checks.trust`) get the value the record says the form stated — a value, never a formula."""
    from perfxl.mark.marks import USER_COMMENT_MARKER, is_perfxl_comment

    comments.threads.remove_perfxl()
    for ref, comment in comments.items().items():
        text = comments.text_of(comment)
        if not is_perfxl_comment(comments.author_of(comment), text):
            continue
        style = sheet.style(ref)
        if is_highlight(styles.fill(style)):  # perfxl's colour, not one the user gave it since
            record = records.get((sheet.name, ref))
            fill = fill_from_record(sheet.package, record) if record else None
            sheet.set_style(ref, styles.derive(style, fill=fill, restore=True) if fill is not None else styles.derive(style, fill_none=True))
        if ref in honoured:  # the cell shows what perfxl wrote by the rules: give it back what the form said
            _restore(sheet, ref, honoured[ref].original)
        if USER_COMMENT_MARKER in text:
            comments.restore_user(ref, comment)
        else:
            comments.remove(ref)


def _restore(sheet: Sheet, ref: str, original: str) -> None:
    """Put a recorded original back: a number, or text (always as text, however it looks)."""
    from perfxl.read.workbook import typed_value

    value = typed_value(original)
    if isinstance(value, (int, float)):
        sheet.set_number(ref, value)
    elif isinstance(value, str):
        sheet.set_text(ref, value)
    else:
        sheet.clear(ref)


def _annotate(sheet: Sheet, comments: Comments, styles: Styles, result, derived: dict, originals: dict[str, str], honoured: dict | None = None) -> None:
    """Write the derived cells of one form and flag every finding's cell.

    A derived cell is changed only where a finding names it, so check and fill agree: a cell is
    highlighted if and only if the findings list it. It then gets the recalculated value, and the
    value it stated goes into the comment when that differs.
    """
    from perfxl.mark.marks import derived_comment, findings_text, worst_severity

    form = result.form
    by_cell: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.cell and finding.sheet == form.sheet:
            by_cell.setdefault(sheet.anchor(finding.cell), []).append(finding)
    for address, item in derived.items():
        findings = by_cell.pop(address, [])
        if not findings:
            continue  # right as the form states it: left exactly as it is
        value, kind = item.value, item.kind
        formula = sheet.formula(address)
        formula_text = f"={formula.text}" if formula is not None and formula.text else None
        keep = formula is not None and not item.differs  # a formula that gives the right value is the form's own
        if kind == "grade":
            sheet.set_text(address, str(value), keep_formula=keep)
        else:
            sheet.set_number(address, value, keep_formula=keep)
        number_format = {"rate": RATE_NUMFMT, "score": SCORE_NUMFMT}.get(kind)
        if number_format is not None:
            style = sheet.style(address)
            xf = styles.xf(style)
            if xf is None or xf.get("numFmtId") != str(number_format):
                sheet.set_style(address, styles.derive(style, num_fmt=number_format))
        record = (honoured or {}).get(address)
        text = derived_comment(item, findings, formula=formula_text, record=record.written if record is not None else None)
        _flag(sheet, comments, styles, address, text, worst_severity(findings), originals)
    for address, findings in by_cell.items():
        _flag(sheet, comments, styles, address, findings_text(findings), worst_severity(findings), originals)


def _flag(sheet: Sheet, comments: Comments, styles: Styles, ref: str, text: str, severity: str, originals: dict[str, str]) -> None:
    from perfxl.mark.marks import highlight_color

    style = sheet.style(ref)
    fill = styles.fill(style)
    if has_fill(fill) and not is_highlight(fill):
        originals.setdefault(f"{sheet.name}!{ref}", fill_record(fill))
    sheet.set_style(ref, styles.derive(style, fill=styles.solid_fill(highlight_color(severity))))
    comments.put(Note(ref, text))


# ---------------------------------------------------------------- perfxl's own sheets


def _cell_xml(ref: str, text: str, style: int) -> str:
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    style_attr = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{style_attr} t="inlineStr"><is><t{space}>{escape(xml_text(text))}</t></is></c>'


def _sheet_xml(rows: dict[int, list[str]], *, head: str = "", cols: str = "", tail: str = "", heights: dict[int, float] | None = None) -> bytes:
    heights = heights or {}
    body = []
    for number in sorted(rows):
        height = f' ht="{heights[number]:g}" customHeight="1"' if number in heights else ""
        body.append(f'<row r="{number}"{height}>{"".join(rows[number])}</row>')
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet xmlns="{MAIN}" xmlns:r="{R_NS}">'
           f'{head}<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>{"".join(body)}</sheetData>{tail}</worksheet>')
    return xml.encode("utf-8")


def records_sheet_xml(originals: dict[str, str]) -> bytes:
    """The very hidden 原底色 sheet: which cell had which fill before perfxl highlighted it."""
    rows = {}
    for number, (where, fill) in enumerate(sorted(originals.items()), start=1):
        rows[number] = [_cell_xml(f"A{number}", where, 0), _cell_xml(f"B{number}", fill, 0)]
    return _sheet_xml(rows, tail='<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')


def findings_sheet_xml(styles: Styles, file_name: str, results, sheet_names: set[str]) -> bytes:
    """The 校验结果 sheet (content and layout: :func:`perfxl.mark.marks.findings_sheet`) as worksheet XML."""
    from perfxl.mark import marks as M

    layout = M.findings_sheet(file_name, results, sheet_names)
    song = f'<name val="{M.FONT_NAME}"/><family val="3"/><charset val="134"/>'
    thin = f'<color rgb="FF{M.BORDER_COLOR}"/>'
    border = f'<border><left style="thin">{thin}</left><right style="thin">{thin}</right><top style="thin">{thin}</top><bottom style="thin">{thin}</bottom><diagonal/></border>'
    solid = lambda color: f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/><bgColor rgb="FF{color}"/></patternFill></fill>'  # noqa: E731
    wrap = '<alignment vertical="top" wrapText="1"/>'
    body_font = f'<font><sz val="{M.BODY_SIZE}"/>{song}</font>'
    title = styles.new_format(font=f'<font><b/><sz val="{M.TITLE_SIZE}"/>{song}</font>')
    body = styles.new_format(font=body_font)
    header = styles.new_format(font=f'<font><b/><sz val="{M.HEADER_SIZE}"/>{song}</font>', fill=solid(M.HEADER_FILL), border=border,
                               alignment='<alignment horizontal="center" vertical="center"/>')
    cell_style = styles.new_format(font=body_font, border=border, alignment=wrap)
    severity_style = {s: styles.new_format(font=body_font, fill=solid(M.SEVERITY_FILL[s]), border=border, alignment=wrap)
                      for s in M.SEVERITY_FILL}
    link_style = styles.new_format(font=f'<font><u/><sz val="{M.BODY_SIZE}"/><color rgb="FF{M.LINK_COLOR}"/>{song}</font>', border=border, alignment=wrap)
    empty_border = styles.new_format(font=body_font, border=border)

    rows: dict[int, list[str]] = {}

    def put(row: int, col: int, text: str, style: int) -> None:
        rows.setdefault(row, []).append(_cell_xml(a1(row, col), text, style))

    put(1, 1, M.FINDINGS_TITLE, title)
    for row, line in enumerate(layout.lines, start=2):
        put(row, 1, line, body)
    for col, text in enumerate(M.FINDINGS_HEADERS, 1):
        put(layout.header_row, col, text, header)
    links = []
    for item in layout.rows:
        for col, value in enumerate(item.values, 1):
            style = severity_style[item.severity] if col == 1 else link_style if (col == 3 and item.link) else cell_style
            put(item.row, col, value, style)
        if item.link:
            quoted = {chr(34): "&quot;"}
            links.append(f'<hyperlink ref="C{item.row}" location="{escape(item.link, quoted)}" display="{escape(item.values[2], quoted)}"/>')
    if layout.empty_row:
        put(layout.empty_row, 1, M.NO_FINDINGS, empty_border)
        for col in range(2, 5):
            rows[layout.empty_row].append(f'<c r="{a1(layout.empty_row, col)}" s="{empty_border}"/>')
    cols = "<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(layout.widths, 1)) + "</cols>"
    header_row, first = layout.header_row, layout.header_row + 1
    head = (f'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:D{layout.last_row}"/>'
            f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="A{first}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{first}" sqref="A{first}"/></sheetView></sheetViews>')
    tail = ((f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            + '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
    return _sheet_xml(rows, head=head, cols=cols, tail=tail, heights=layout.heights)
