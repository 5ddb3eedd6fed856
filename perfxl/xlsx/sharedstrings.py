"""The one reading of a string item: shared strings (``<si>``), inline strings (``<is>``) and
comment text (``<text>``) all hold CT_Rst — plain ``<t>``, or rich-text runs ``<r>`` each with its
``<t>``, plus phonetic guides ``<rPh>`` whose ``<t>`` is a reading aid, not the cell's text.

The text is every ``<t>`` of the item and of its runs, in order; phonetic guides are left out (as
Excel, calamine and openpyxl show a cell).
"""

from __future__ import annotations

from perfxl.xlsx.package import REL_SHARED_STRINGS, Package, Relationships
from perfxl.xlsx.xml import MAIN, local

_SI = f"{{{MAIN}}}si"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"


def item_text(element) -> str:
    """Text of an ``<si>``/``<is>``/``<text>``: its ``<t>`` and its runs' ``<t>``, without phonetic runs."""
    parts = []
    for child in element:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if local(t.tag) == "t")
    return "".join(parts)


class SharedStrings:
    """The workbook's shared strings, by index (read on first use): the ``<si>`` items in order."""

    def __init__(self, package: Package, workbook_rels: Relationships | None = None):
        self.package = package
        parts = workbook_rels.by_type(REL_SHARED_STRINGS) if workbook_rels is not None else []
        self.part = parts[0][1] if parts else SHARED_STRINGS_PART
        self._texts: list[str] | None = None

    def texts(self) -> list[str]:
        if self._texts is None:
            root = self.package.xml(self.part) if self.package.exists(self.part) else ()
            self._texts = [item_text(item) for item in root if item.tag == _SI]
        return self._texts

    def text(self, index: int) -> str:
        texts = self.texts()
        return texts[index] if 0 <= index < len(texts) else ""
