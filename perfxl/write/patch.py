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

This module decides perfxl's edits; how a part is read, edited and written back is the package
layer's (:mod:`perfxl.xlsx`: the package, styles, shared strings, the sheet splice, comments with
VML and threads, the workbook part), which knows nothing of forms.
"""

from __future__ import annotations

import copy
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from perfxl.mark.format import (FINDINGS_HEADERS, FINDINGS_SHEET, ORIGINAL_FILLS_SHEET, PERFXL_AUTHOR, PERFXL_PERSON_ID,
                                USER_COMMENT_MARKER, comments_by_perfxl, findings_sheet_file_name, is_perfxl_comment)
from perfxl.model import Finding, FormError
from perfxl.atomic import atomic_path
from perfxl.xlsx.cells import a1, split_ref
from perfxl.xlsx.comments import Comments, Person, RunFont, text_run
from perfxl.xlsx.package import CT_STYLES, REL_COMMENTS, REL_STYLES, ContentTypes, Package, Relationships
from perfxl.xlsx.sharedstrings import SharedStrings, item_text
from perfxl.xlsx.sheet import Sheet
from perfxl.xlsx.styles import Styles, fill_from_text, fill_rgb, fill_text, has_fill
from perfxl.xlsx.workbookpart import AppProperties, SheetEntry, Workbook
from perfxl.xlsx.xml import MAIN, R_NS, local, q, xml_text

#: perfxl as a person of Excel 365 threads (a fixed id: a re-run finds and removes its own replies).
PERFXL_PERSON = Person(display_name=PERFXL_AUTHOR, id=PERFXL_PERSON_ID, user_id=PERFXL_AUTHOR)
#: The font of perfxl's comment text: 宋体 9 pt (family and charset as Excel writes them for GB2312 fonts).
COMMENT_FONT = RunFont("宋体", size=9, family=3, charset=134)

RATE_NUMFMT = 10  # built-in "0.00%"
SCORE_NUMFMT = 2  # built-in "0.00"


def is_highlight(fill) -> bool:
    """One of perfxl's highlight fills (whatever alpha byte a later save gave its colour)."""
    from perfxl.mark.marks import HIGHLIGHT_COLORS

    rgb = fill_rgb(fill)
    return rgb is not None and rgb[-6:].upper() in HIGHLIGHT_COLORS


# ---------------------------------------------------------------- perfxl's comments


@dataclass
class Note:
    """A comment perfxl puts on a cell."""

    ref: str
    text: str


class MarkedComments(Comments):
    """A sheet's comments as perfxl writes them: its note first, a user's comment on the same cell
    kept inside it (after :data:`~perfxl.mark.format.USER_COMMENT_MARKER`), and given back on a re-run."""

    def restore_user(self, ref: str, comment) -> None:
        """Turn a perfxl comment that carries a user's comment back into the user's comment."""

        text = comment.find(q("text"))
        runs = [r for r in text if local(r.tag) == "r"] if text is not None else []
        marker_at = next((i for i, r in enumerate(runs) if item_text(r).startswith(USER_COMMENT_MARKER)), None)
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
        self.touch()

    def put(self, note: Note) -> None:
        """perfxl's comment on ``note.ref``; a user's comment there is kept inside it (after ours)."""

        comment_list = self.comment_list()
        existing = self.items().get(note.ref)
        self.threads.reply(note.ref, note.text, PERFXL_PERSON)  # Excel 365 shows the thread, not the legacy comment
        text = comment_list.makeelement(q("text"), {})
        text.append(text_run(text, note.text, COMMENT_FONT))
        if existing is not None:
            author = self.author_of(existing) or "原作者"
            text.append(text_run(text, f"{USER_COMMENT_MARKER}（{author}）】\n", COMMENT_FONT, bold=True))
            old = existing.find(q("text"))
            for child in (old if old is not None else []):
                if local(child.tag) == "r":
                    text.append(copy.deepcopy(child))
                elif local(child.tag) == "t":
                    text.append(text_run(text, child.text or "", COMMENT_FONT))
            existing.replace(old, text) if old is not None else existing.append(text)
            existing.set("authorId", self.author_id(PERFXL_AUTHOR))
        else:
            comment = comment_list.makeelement(q("comment"), {"ref": note.ref, "authorId": self.author_id(PERFXL_AUTHOR)})
            comment.append(text)
            comment_list.append(comment)
            self.add_shape(note.ref, note.text)
        self.touch()


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
        workbook.rels.add(REL_STYLES, styles.part)
        content_types.override(styles.part, CT_STYLES)
    strings = SharedStrings(package, workbook.rels)
    names_before = workbook.names()

    def sheet_of(entry: SheetEntry) -> Sheet:
        return Sheet(package, entry.name, entry.part, entry.element.get("sheetId", ""), strings, styles)

    records: dict[tuple[str, str], str] = {}
    file_name = None
    for entry in list(workbook.entries):
        if not entry.part or not package.exists(entry.part):
            continue
        if entry.name == ORIGINAL_FILLS_SHEET:
            records = _read_records(sheet_of(entry))
            workbook.remove_sheet(entry, content_types)
        elif entry.name.startswith(FINDINGS_SHEET):
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
        comments = MarkedComments.load(sheet)
        derived = _derived(sheet, result) if result is not None else {}
        honoured = {a1(*key): record for key, record in (getattr(book, "honoured", None) or {}).get(entry.name, {}).items()}
        _undo_marks(sheet, comments, styles, records, honoured)
        if result is not None:
            _annotate(sheet, comments, styles, result, derived, originals, honoured)
        comments.finish(content_types)
        sheet.rels.save()
        lost_formulas[sheet.sheet_id] = sheet.formula_removed

    name = FINDINGS_SHEET
    number = 2
    while name.lower() in {n.lower() for n in workbook.names()}:
        name, number = f"{FINDINGS_SHEET}{number}", number + 1
    sheet_names = set(workbook.names())
    workbook.add_sheet(name, findings_sheet_xml(styles, file_name or Path(book.path).name, results, sheet_names), content_types)
    if originals:
        workbook.add_sheet(ORIGINAL_FILLS_SHEET, records_sheet_xml(originals), content_types, state="veryHidden")
    workbook.full_calc_on_load()
    workbook.drop_from_calc_chain(lost_formulas, content_types)
    workbook.save(AppProperties(package, names_before))
    with atomic_path(target) as temp:
        package.save(temp)


def _has_perfxl_comments(package: Package, part: str) -> bool:
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
    rows = sorted({row for row, col in map(split_ref, sheet.cells) if col == 1})
    return findings_sheet_file_name(lambda row, col: sheet.value(a1(row, col)), rows)


def _undo_marks(sheet: Sheet, comments: MarkedComments, styles: Styles, records: dict, honoured: dict) -> None:
    """Undo a previous perfxl run on ``sheet``: its comments and highlights go (user comments and
    fills return); the cells whose records the check honoured (``honoured``: A1 → Record, see
    :mod:`perfxl.checks.trust`) get the value the record says the form stated — a value, never a formula."""
    comments.threads.remove_by(PERFXL_PERSON_ID)
    for ref, comment in comments.items().items():
        text = comments.text_of(comment)
        if not is_perfxl_comment(comments.author_of(comment), text):
            continue
        style = sheet.style(ref)
        if is_highlight(styles.fill(style)):  # perfxl's colour, not one the user gave it since
            record = records.get((sheet.name, ref))
            fill = fill_from_text(sheet.package, record) if record else None
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


def _flag(sheet: Sheet, comments: MarkedComments, styles: Styles, ref: str, text: str, severity: str, originals: dict[str, str]) -> None:
    from perfxl.mark.marks import highlight_color

    style = sheet.style(ref)
    fill = styles.fill(style)
    if has_fill(fill) and not is_highlight(fill):
        originals.setdefault(f"{sheet.name}!{ref}", fill_text(fill))
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

    put(1, 1, FINDINGS_SHEET, title)
    for row, line in enumerate(layout.lines, start=2):
        put(row, 1, line, body)
    for col, text in enumerate(FINDINGS_HEADERS, 1):
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
