"""One worksheet part: cells by address, rows by number, merged ranges; edits written back by
splicing the changed cells into the input's bytes (:meth:`Sheet.serialise`)."""

from __future__ import annotations

import re

from perfxl.xlsx.cells import a1, split_ref
from perfxl.xlsx.package import Package, Relationships
from perfxl.xlsx.sharedstrings import SharedStrings, item_text
from perfxl.xlsx.styles import Styles
from perfxl.xlsx.xml import CELL_CHILDREN, WORKSHEET_CHILDREN, XML_NS, insert_in_order, local, q, signature, xml_text

_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)


def number_text(value) -> str:
    """A number as a cell's ``<v>`` holds it (integers without a decimal point)."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def stored_value(cell, strings: SharedStrings):
    """A ``<c>``'s value as stored (number, text, truth value or None); a formula's cached result."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(q("is"))
        return item_text(inline) if inline is not None else ""
    v = cell.find(q("v"))
    if v is None or v.text is None:
        return None
    if kind == "s":
        try:
            return strings.text(int(v.text))
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


def cell_values(root, strings: SharedStrings, wanted, count: int | None = None) -> dict[str, object]:
    """The stored values of the cells of a parsed sheet whose reference (as written) is ``wanted``;
    reading stops once ``count`` of them are found. Lighter than a :class:`Sheet` for a few cells."""
    found: dict[str, object] = {}
    for cell in root.iter(q("c")):
        ref = cell.get("r")
        if ref is None or not wanted(ref):
            continue
        found[ref] = stored_value(cell, strings)
        if len(found) == count:
            break
    return found


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
            if local(row.tag) != "row":
                continue
            number = int(row.get("r") or next_row + 1)
            next_row = number
            self.rows[number] = row
            next_col = 0
            for cell in row:
                if local(cell.tag) != "c":
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
        self.changed_cells: set[str] = set()  # cells whose XML was rewritten
        self.changed_rows: set[int] = set()  # rows added, or added cells to
        self.changed_children: set[str] = set()  # worksheet children added or removed
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

        source = self.package.stored(self.part).decode("utf-8")
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
            if number in rows_seen:  # an input row cells were added to: the whole row
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
                    name = (f"{following.prefix}:" if following.prefix else "") + local(following.tag)
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
        """The top-left cell of the merged range holding ``ref`` (or ``ref`` itself)."""
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
        return stored_value(cell, self.strings)

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
            if local(existing.tag) == "c" and split_ref(existing.get("r"))[1] > col:
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
        v.text = number_text(value)
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
            name = local(child.tag)
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
