"""xl/styles.xml: a cell format's fill and number format; derived formats appended, never changed."""

from __future__ import annotations

import copy

from perfxl.xlsx.package import REL_STYLES, Package, Relationships
from perfxl.xlsx.xml import MAIN, STYLESHEET_CHILDREN, insert_in_order, local, q, signature

STYLES_PART = "xl/styles.xml"


class Styles:
    """xl/styles.xml: look up a cell format's fill and number format; append derived formats.

    Formats are only appended (an identical one already there is reused), so every cell keeps the
    format index it had.
    """

    def __init__(self, package: Package, workbook_rels: Relationships):
        self.package = package
        found = [part for _, part in workbook_rels.by_type(REL_STYLES) if package.exists(part)]
        self.part = found[0] if found else STYLES_PART
        self.created = not package.exists(self.part)
        if not self.created:
            self.root = package.xml(self.part)
        else:  # a package without styles (rare, written by scripts): start a minimal one
            self.root = package.parse((
                f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>').encode())
            package.set_xml(self.part, self.root)
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
            self.package.touch(self.part)
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

        ``restore``: the fill is one the cell had before it was highlighted (its format then may
        not say applyFill).
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
        """A solid fill of ``color`` (RRGGBB), or an empty fill for None."""
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
        """A cell format from XML snippets (main namespace implied), for a sheet written from scratch."""
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


_APPLY = {"applyFill", "applyNumberFormat", "applyFont", "applyBorder", "applyAlignment", "applyProtection"}


def _loose(sig: tuple) -> tuple:
    """A cell format's signature without its apply* flags."""
    return (sig[0], tuple(item for item in sig[1] if item[0] not in _APPLY), *sig[2:])


def fill_text(fill) -> str:
    """A fill as text without namespaces (to keep it in a cell, and read it back with :func:`fill_from_text`)."""
    from lxml import etree

    clean = copy.deepcopy(fill)
    for element in clean.iter():
        if isinstance(element.tag, str):
            element.tag = local(element.tag)
    etree.cleanup_namespaces(clean)
    return etree.tostring(clean, encoding="unicode")


def fill_from_text(package: Package, text: str):
    """The fill element :func:`fill_text` wrote, in the main namespace; None when the text is not one."""
    try:
        root = package.parse(str(text).encode("utf-8"))
    except Exception:  # text edited by hand: no fill
        return None
    if local(root.tag) != "fill":
        return None
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = q(local(element.tag))
    from lxml import etree

    etree.cleanup_namespaces(root)
    return root


def fill_rgb(fill) -> str | None:
    """The foreground colour (ARGB) of a solid pattern fill; None for any other fill."""
    if fill is None:
        return None
    pattern = fill.find(q("patternFill"))
    if pattern is None or pattern.get("patternType") != "solid":
        return None
    color = pattern.find(q("fgColor"))
    rgb = color.get("rgb") if color is not None else None
    return rgb if isinstance(rgb, str) else None


def has_fill(fill) -> bool:
    """The fill shows something (a pattern other than none, or a gradient)."""
    if fill is None:
        return False
    pattern = fill.find(q("patternFill"))
    if pattern is None:
        return fill.find(q("gradientFill")) is not None
    return pattern.get("patternType", "none") != "none"
