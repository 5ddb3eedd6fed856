"""The zip package: parts read once, edited parts serialised on save, the others copied as stored.

One :class:`Package` serves every reading of a file (the integrity guard, the values' XML, the
records, provenance, the losses inspection) and the in-place writer: a part is decompressed once
and parsed once per opening, whoever asks for it. Relationships and content types are here too,
with the one resolver of relationship targets (:func:`resolve`).
"""

from __future__ import annotations

import copy
import posixpath
import struct
import zipfile
from pathlib import Path, PurePosixPath

from perfxl.xlsx.xml import CT_NS, PKG_REL, R_NS, UnsafeXml, local, q, xml_parser

REL_OFFICE_DOCUMENT = f"{R_NS}/officeDocument"
REL_WORKSHEET = f"{R_NS}/worksheet"
REL_STYLES = f"{R_NS}/styles"
REL_SHARED_STRINGS = f"{R_NS}/sharedStrings"
REL_COMMENTS = f"{R_NS}/comments"
REL_VML = f"{R_NS}/vmlDrawing"
REL_CALC_CHAIN = f"{R_NS}/calcChain"
REL_EXTENDED_PROPERTIES = f"{R_NS}/extended-properties"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
#: The workbook part where a package does not say otherwise (readers that look at the usual place).
WORKBOOK_PART = "xl/workbook.xml"

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


class Package:
    """An .xlsx/.xlsm zip opened once: parts read on demand and kept (bytes and parsed trees), edited
    parts serialised on :meth:`save`, the rest copied raw. Use it as a context manager, or :meth:`close`.

    Raises what :class:`zipfile.ZipFile` raises for a file that is not a readable zip.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._parser = xml_parser()
        self.zip = zipfile.ZipFile(self.path)
        self.infos = self.zip.infolist()
        self.names = [info.filename for info in self.infos]
        self._stored = set(self.names)
        self._bytes: dict[str, bytes] = {}  # parts as stored, decompressed once
        self._trees: dict[str, object] = {}
        self._dirty: set[str] = set()
        self._new: dict[str, bytes] = {}
        self._removed: set[str] = set()
        self.serialisers: dict[str, object] = {}  # part → a function giving its bytes (see Sheet.serialise)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()
        self._bytes.clear()

    # -- reading

    def exists(self, name: str) -> bool:
        return name not in self._removed and (name in self._new or name in self._trees or name in self._stored)

    def stored(self, name: str) -> bytes:
        """The part's bytes as the input holds them (decompressed once, then kept)."""
        data = self._bytes.get(name)
        if data is None:
            data = self._bytes[name] = self.zip.read(name)
        return data

    def read(self, name: str) -> bytes:
        """The part's bytes as they are now: set by :meth:`set_bytes`, else as stored."""
        if name in self._new:
            return self._new[name]
        return self.stored(name)

    def stream(self, info: zipfile.ZipInfo):
        """A file object over one entry, for scanning a part without keeping it (binary parts)."""
        return self.zip.open(info)

    def xml(self, name: str):
        """The parsed part (parsed once; edit it in place and call :meth:`touch`)."""
        if name not in self._trees:
            self._trees[name] = self.parse(self.read(name))
        return self._trees[name]

    def parse(self, data: bytes):
        """XML bytes parsed by the package's parser; :class:`UnsafeXml` for a part with a DTD."""
        from lxml import etree

        root = etree.fromstring(data, self._parser)
        if root.getroottree().docinfo.internalDTD is not None:
            raise UnsafeXml("a DTD in a package part")
        return root

    # -- editing

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
        from lxml import etree

        return _DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)

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
    part is damaged in a way no one needed to read. False when the entry is unusual (then the
    caller recompresses it)."""
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


# ---------------------------------------------------------------- part names


def resolve(source: str, target: str) -> str:
    """A relationship target, relative to part ``source``, as a path inside the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(source).parent) + "/" + target).split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def relative(source: str, part: str) -> str:
    """Target of ``part`` as written in the relationships of ``source``."""
    return posixpath.relpath(part, str(PurePosixPath(source).parent))


def rels_part(part: str) -> str:
    """The relationships part of ``part`` (``xl/worksheets/_rels/sheet1.xml.rels``; ``_rels/.rels`` for the package)."""
    folder, _, file_name = part.rpartition("/")
    return f"{folder}/_rels/{file_name}.rels" if folder else f"_rels/{file_name}.rels"


def sheet_parts(package: Package, parse=None) -> dict[str, str]:
    """Sheet name → its worksheet part, from xl/workbook.xml and its relationships (targets
    resolved as paths, ``..`` and absolute ones included; a missing part is left out).

    ``parse``: part name → its XML root, or None where it cannot be read (by default the
    package's parsed part, None where it is absent).
    """
    if parse is None:
        parse = lambda name: package.xml(name) if package.exists(name) else None  # noqa: E731
    workbook, rels = parse(WORKBOOK_PART), parse(rels_part(WORKBOOK_PART))
    if workbook is None or rels is None:
        return {}
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    parts = {}
    for sheet in workbook.iter(q("sheet")):
        target = targets.get(sheet.get(q("id", R_NS)))
        if target and package.exists(part := resolve(WORKBOOK_PART, target)):
            parts[sheet.get("name")] = part
    return parts


# ---------------------------------------------------------------- relationships and content types


class Relationships:
    """One .rels part: read, add, remove."""

    def __init__(self, package: Package, source: str):
        self.package = package
        self.name = rels_part(source)
        self.source = source
        if package.exists(self.name):
            self.root = package.xml(self.name)
        else:
            self.root = package.parse(f'<Relationships xmlns="{PKG_REL}"/>'.encode())
        self.changed = False

    def items(self):
        return [rel for rel in self.root if local(rel.tag) == "Relationship"]

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


def main_part(package: Package) -> str:
    """The workbook part the package's root relationships name (xl/workbook.xml when they name none that exists)."""
    found = Relationships(package, "").by_type(REL_OFFICE_DOCUMENT)
    return found[0][1] if found and package.exists(found[0][1]) else WORKBOOK_PART


class ContentTypes:
    """[Content_Types].xml: Override entries added and dropped."""

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
            if local(element.tag) == "Override" and element.get("PartName", "").lstrip("/") == part:
                self.root.remove(element)
                self.package.touch(self.NAME)

    def has_default(self, extension: str) -> bool:
        return any(local(e.tag) == "Default" and e.get("Extension", "").lower() == extension for e in self.root)
