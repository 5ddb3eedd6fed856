"""Namespaces, the one XML parser, and the small helpers every part's editing shares."""

from __future__ import annotations

import re

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
EP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: Excel 365 threaded comments and the workbook's list of the people who wrote in threads.
TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"

#: CT_Worksheet's children in schema order; a child added to a sheet is placed by this list.
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
#: CT_Workbook's children in schema order.
WORKBOOK_CHILDREN = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches",
    "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
)


class UnsafeXml(ValueError):
    """A part declares a DTD (``<!DOCTYPE``): no OOXML part has one, so no reading accepts it."""


def xml_parser():
    """The one XML parser every reading and writing of a package part uses (lxml, no entities, no
    network, no huge text nodes): what it refuses, every path refuses."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False, load_dtd=False)


def q(tag: str, ns: str = MAIN) -> str:
    """``tag`` in ``ns`` (the main namespace by default), as lxml names it: ``{uri}tag``."""
    return f"{{{ns}}}{tag}"


def local(tag) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def insert_in_order(parent, child, order: tuple[str, ...]):
    """Insert ``child`` into ``parent`` before the first existing child that comes after it in ``order``."""
    rank = order.index(local(child.tag))
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
    name = local(element.tag)
    if name != "AlternateContent":
        return name
    for choice in element:
        for inner in choice:
            if isinstance(inner.tag, str):
                return local(inner.tag)
    return name


def signature(element) -> tuple:
    """What an element says, whatever prefixes its namespaces have (to find an identical one)."""
    if not isinstance(element.tag, str):
        return ()
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(), tuple(signature(child) for child in element))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text XML can hold: control characters (which cells can carry, read from ``_x0001_``) as
    OOXML writes them, ``_xHHHH_``."""
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
