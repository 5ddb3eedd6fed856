"""The workbook part (``xl/workbook.xml`` and its relationships: sheets, defined names, calcPr),
the calculation chain, and docProps/app.xml's list of sheet titles."""

from __future__ import annotations

from dataclasses import dataclass

from perfxl.xlsx.package import (CT_WORKSHEET, REL_CALC_CHAIN, REL_EXTENDED_PROPERTIES, REL_WORKSHEET, ContentTypes, Package,
                                 Relationships, main_part, rels_part)
from perfxl.xlsx.xml import EP_NS, R_NS, VT_NS, WORKBOOK_CHILDREN, insert_in_order, local, q


@dataclass
class SheetEntry:
    name: str
    element: object  # <sheet> in xl/workbook.xml
    part: str | None


class Workbook:
    """xl/workbook.xml with its relationships: the sheet list, defined names, calcPr."""

    def __init__(self, package: Package):
        self.package = package
        self.part = main_part(package)
        self.root = package.xml(self.part)
        self.rels = Relationships(package, self.part)
        self.sheets_element = self.root.find(q("sheets"))
        self.entries: list[SheetEntry] = []
        for element in self.sheets_element:
            if local(element.tag) != "sheet":
                continue
            target = self.rels.target(element.get(q("id", R_NS)) or "")
            self.entries.append(SheetEntry(element.get("name", ""), element, target))
        self.added: list[str] = []
        self.removed: list[str] = []

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def entry(self, name: str) -> SheetEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def remove_sheet(self, entry: SheetEntry, content_types: ContentTypes) -> None:
        """Take a sheet out of the workbook (part, relationships, its defined names, views)."""
        index = self.entries.index(entry)
        self.sheets_element.remove(entry.element)
        self.rels.remove(entry.element.get(q("id", R_NS)))
        self.entries.remove(entry)
        if entry.part:
            sheet_rels = rels_part(entry.part)
            for name in (entry.part, sheet_rels):
                if self.package.exists(name):
                    self.package.remove(name)
            content_types.drop(entry.part)
        names = self.root.find(q("definedNames"))
        for defined in list(names if names is not None else []):
            local_id = defined.get("localSheetId")
            if local_id is not None and local_id.isdigit():
                if int(local_id) == index:
                    names.remove(defined)
                elif int(local_id) > index:
                    defined.set("localSheetId", str(int(local_id) - 1))
        for view in self.root.iter(q("workbookView")):
            for attr in ("activeTab", "firstSheet"):
                value = view.get(attr)
                if value is not None and value.isdigit() and int(value) >= len(self.entries):
                    view.set(attr, "0")
        self.removed.append(entry.name)
        self.package.touch(self.part)

    def add_sheet(self, name: str, xml: bytes, content_types: ContentTypes, state: str | None = None) -> str:
        """A new worksheet ``name`` holding ``xml``, last in the sheet list; its part name."""
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
            calc = insert_in_order(self.root, self.root.makeelement(q("calcPr"), {}), WORKBOOK_CHILDREN)
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
        found = Relationships(package, "").by_type(REL_EXTENDED_PROPERTIES)
        self.part = found[0][1] if found else "docProps/app.xml"
        self.sheet_names = sheet_names

    def update(self, removed: list[str], added: list[str]) -> None:
        if not self.package.exists(self.part):
            return
        try:
            root = self.package.xml(self.part)
        except Exception:  # metadata only: never worth failing the edit
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
