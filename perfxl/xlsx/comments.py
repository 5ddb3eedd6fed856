"""A sheet's comments: the comments part, its VML drawing (the boxes Excel shows), and the Excel 365
threads with the workbook's persons. Comments already in the sheet are kept and merged with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfxl.xlsx.cells import split_ref
from perfxl.xlsx.package import CT_COMMENTS, CT_VML, REL_COMMENTS, REL_VML, ContentTypes, Package, Relationships, main_part
from perfxl.xlsx.sharedstrings import item_text
from perfxl.xlsx.sheet import Sheet
from perfxl.xlsx.xml import MAIN, R_NS, TC_NS, WORKSHEET_CHILDREN, XML_NS, insert_in_order, local, q, xml_text

REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
CT_PERSONS = "application/vnd.ms-excel.person+xml"
#: The time written on a reply: fixed, so the same edit gives the same bytes.
REPLY_TIME = "2000-01-01T00:00:00.00"


@dataclass(frozen=True)
class Person:
    """Someone who writes in Excel 365 threads (``xl/persons/person.xml``)."""

    display_name: str
    id: str  # a GUID in braces, fixed for a writer so a later edit finds its own replies
    user_id: str
    provider_id: str = "None"


@dataclass(frozen=True)
class RunFont:
    """The font of a comment's rich-text run."""

    name: str
    size: int = 9
    family: int | None = None
    charset: int | None = None


def text_run(parent, text: str, font: RunFont, bold: bool = False):
    """A rich-text run ``<r>`` of ``text`` (made with ``parent``'s factory, not appended)."""
    run = parent.makeelement(q("r"), {})
    props = run.makeelement(q("rPr"), {})
    if bold:
        props.append(props.makeelement(q("b"), {}))
    props.append(props.makeelement(q("sz"), {"val": str(font.size)}))
    props.append(props.makeelement(q("rFont"), {"val": font.name}))
    if font.family is not None:
        props.append(props.makeelement(q("family"), {"val": str(font.family)}))
    if font.charset is not None:
        props.append(props.makeelement(q("charset"), {"val": str(font.charset)}))
    run.append(props)
    t = run.makeelement(q("t"), {q("space", XML_NS): "preserve"})
    t.text = xml_text(text)
    run.append(t)
    return run


class Threads:
    """A sheet's Excel 365 threaded comments (``xl/threadedComments/…``). Excel 365 shows a cell's
    thread and hides its legacy comment (the placeholder), so a note on such a cell must also be a
    reply in the thread to be seen."""

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
            if local(comment.tag) == "threadedComment" and (comment.get("ref") or "").upper() == ref and not comment.get("parentId"):
                return comment.get("id")
        return None

    def remove_by(self, person_id: str) -> None:
        """Remove every comment of the person ``person_id``."""
        if self.root is None:
            return
        for comment in list(self.root):
            if local(comment.tag) == "threadedComment" and comment.get("personId") == person_id:
                self.root.remove(comment)
                self.sheet.package.touch(self.part)

    def reply(self, ref: str, text: str, person: Person) -> bool:
        """``text`` by ``person`` as the last reply of the thread on ``ref``; False when the cell has none.

        The reply's id is derived from the person, the part, the cell and the reply's position,
        so the same edit gives the same bytes."""
        parent = self.root_id(ref)
        if parent is None:
            return False
        import uuid

        ensure_person(self.sheet.package, person)
        number = sum(1 for c in self.root if local(c.tag) == "threadedComment")
        reply_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{person.user_id}:{self.part}:{ref}:{number}")).upper() + "}"
        element = self.root.makeelement(f"{{{TC_NS}}}threadedComment",
                                        {"ref": ref, "dT": REPLY_TIME, "personId": person.id, "id": reply_id, "parentId": parent})
        body = element.makeelement(f"{{{TC_NS}}}text", {})
        body.text = xml_text(text)
        element.append(body)
        last = max((i for i, c in enumerate(self.root) if (c.get("ref") or "").upper() == ref), default=len(self.root) - 1)
        self.root.insert(last + 1, element)
        self.sheet.package.touch(self.part)
        return True


def ensure_person(package: Package, person: Person) -> None:
    """``person`` in the workbook's persons part (made, with its relationship and content type, if absent)."""
    rels = Relationships(package, main_part(package))
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
    if any(existing.get("id") == person.id for existing in root):
        return
    root.append(root.makeelement(f"{{{TC_NS}}}person", {"displayName": person.display_name, "id": person.id,
                                                         "userId": person.user_id, "providerId": person.provider_id}))
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
        """Cell (upper case) → its ``<comment>``."""
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
        return item_text(text) if text is not None else ""

    def author_id(self, name: str) -> str:
        """The index of author ``name`` (added to the authors when new)."""
        self._ensure_part()
        authors = self.root.find(q("authors"))
        names = [a.text or "" for a in authors]
        if name in names:
            return str(names.index(name))
        author = authors.makeelement(q("author"), {})
        author.text = name
        authors.append(author)
        self.touch()
        return str(len(names))

    def _ensure_part(self) -> None:
        if self.root is None:
            package = self.sheet.package
            self.part = package.unused_name("xl/comments{}.xml")
            self.root = package.parse(f'<comments xmlns="{MAIN}"><authors/><commentList/></comments>'.encode())
            package.set_xml(self.part, self.root)
            self.sheet.rels.add(REL_COMMENTS, self.part)
            self.created = True

    def touch(self) -> None:
        self.sheet.package.touch(self.part)

    def comment_list(self):
        """The ``<commentList>`` (the part made when the sheet has none)."""
        self._ensure_part()
        element = self.root.find(q("commentList"))
        if element is None:
            element = self.root.makeelement(q("commentList"), {})
            self.root.append(element)
        return element

    def remove(self, ref: str) -> None:
        """Remove the comment on ``ref`` (its box goes in :meth:`finish`)."""
        comment = self.items().get(ref)
        if comment is not None:
            comment.getparent().remove(comment)
            self.touch()
        self.removed_shapes.add(ref)

    # -- VML

    def add_shape(self, ref: str, text: str) -> None:
        """The hidden note box of a new comment on ``ref`` (sized for ``text``); a box already there is kept."""
        if self.vml is None:
            self._new_vml()
        row, col = split_ref(ref)
        if _find_shape(self.vml, row - 1, col - 1) is not None:  # a box from an earlier edit (or the user's): keep it
            return
        numbers = [int(n) for n in re.findall(r'id="_x0000_s(\d+)"', self.vml)]
        shape_id = max(numbers, default=self._id_block() * 1024) + 1
        lines = sum(1 + len(line) // 24 for line in text.split("\n"))
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
        """No comment left: the comments part goes, and the VML drawing too when it holds nothing
        else (form controls stay)."""
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
    what is added here is ASCII)."""
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
