"""The Word template engine: a .docx with Jinja2 tags typed in Word, compiled once, rendered many times.

docxtpl's own DocxTemplate.render() re-opens and re-saves the whole package with python-docx for
every report (≈70 ms). We use docxtpl's tag handling (:mod:`perfxl.report.docxtpl_adapter`: the same code
its render() runs) on the parts that hold tags, and copy every other part of the template
unchanged. Each template is read, patched and compiled once per process (:func:`cached_template`).

Rendering also puts a block of Word XML (the 附件 table) where the template's ``{{ annex_table }}``
paragraph renders :data:`ANNEX_TOKEN`, gives every run explicit East-Asian fonts (w:eastAsia) from
its paragraph style (runs written with :data:`FONT_SLOTS` get them filled in), and highlights
【待补充…】/【请核实…】 marks. The engine knows Word XML only, not what a report says.
"""

from __future__ import annotations

import io
import re
import threading
from html import escape
from pathlib import Path
from typing import Callable

from perfxl.model import FormError
from perfxl.systext import read_error_text

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ANNEX_MARKER = "{{ annex_table }}"
ANNEX_TOKEN = "\u2063perfxl-annex-table\u2063"  # what the marker renders to; replaced by the annex XML
#: Yellow highlighting, as run properties (what the user must write or check).
HIGHLIGHT = '<w:highlight w:val="yellow"/>'
#: Fonts of a run the engine fills in from its paragraph's style (Latin and East-Asian slots).
FONT_SLOTS = '<w:rFonts w:ascii="\ue000L" w:hAnsi="\ue000L" w:eastAsia="\ue000E" w:cs="\ue000L"/>'
#: Characters XML 1.0 cannot hold (forms can carry them); text for Word XML drops them.
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def run_xml(text: str, properties: str = "") -> str:
    """A ``<w:r>`` holding ``text`` (newlines → line breaks; characters XML cannot hold dropped),
    with ``properties`` as its ``<w:rPr>`` content."""
    lines = XML_UNSAFE.sub("", str(text)).split("\n")
    inner = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line, quote=False)}</w:t>' for line in lines)
    props = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f"<w:r>{props}{inner}</w:r>"


_TAGS = re.compile(r"\{[\{%#]")
_BODY = re.compile(r"<w:body\b[^>]*>.*</w:body>", re.S)


class CompiledTemplate:
    """One report template, ready to render many times."""

    def __init__(self, data: bytes, name: str):
        import zipfile

        from lxml import etree

        from perfxl.report.docxtpl_adapter import DocxtplTags

        self.name = name
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
            # Every entry is written with the template's own timestamp, never the clock's: the same
            # form and template give the same bytes, whenever and wherever (fill, serve) they are made.
            self.stamp = archive.infolist()[0].date_time if archive.infolist() else (1980, 1, 1, 0, 0, 0)
        parts = dict(self.entries)
        self.main = _main_part(parts)
        self.tags = DocxtplTags()
        environment = _CACHE.jinja()
        document = parts[self.main].decode("utf-8")
        body = _BODY.search(document)
        if body is None:
            raise ValueError("no w:body")
        # docxtpl works on the body serialised on its own (with its namespace declarations).
        root = etree.fromstring(parts[self.main])
        body_xml = etree.tostring(root.find(f"{{{W_NS}}}body"), encoding="unicode")
        self.head, self.tail = document[: body.start()], document[body.end():]
        self.body = self._compile(body_xml, environment)
        self.parts: dict[str, object] = {}  # other parts with tags (headers, footers, footnotes)
        for filename, blob in self.entries:
            if filename != self.main and filename.startswith("word/") and filename.endswith(".xml") and _TAGS.search(blob.decode("utf-8", "ignore")):
                self.parts[filename] = self._compile(blob.decode("utf-8"), environment)
        self.fonts = _style_fonts(parts.get("word/styles.xml"))
        self.environment = environment
        self.core = parts.get("docProps/core.xml")
        # Every part that does not change, zipped once; each report appends its own parts to a copy.
        changing = {self.main, "docProps/core.xml", *self.parts}
        base = io.BytesIO()
        with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename, blob in self.entries:
                if filename not in changing:
                    archive.writestr(self._entry(filename), blob)
        self.base = base.getvalue()

    def _compile(self, xml: str, environment):
        source = self.tags.patch(xml)
        environment.from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", source))  # compile now: errors surface here
        return source

    def render(self, context: dict, title: str, annex: Callable[[], str] | None = None) -> bytes:
        """The finished .docx as bytes; ``annex()`` gives the Word XML that replaces the
        :data:`ANNEX_TOKEN` paragraph (called only when the template has one); ``title`` goes
        into the document properties."""
        import zipfile

        xml = self.tags.render(self.body, context, self.environment)
        xml = _highlight_marks(_fill_run_fonts(xml.replace(_EMPTY_RUN, ""), self.fonts))
        has_tables = "<w:tbl>" in xml or "<w:tbl " in xml
        xml = _insert_annex(xml, annex)
        if has_tables or _RUN_WITHOUT_EAST_ASIA.search(xml):
            # docxtpl's table repair (as its render() does) and fonts for runs the template left bare.
            from lxml import etree

            body = self.tags.fix_tables(xml)
            _apply_fonts(body, self.fonts)
            xml = etree.tostring(body, encoding="unicode")
        rendered = {self.main: (self.head + xml + self.tail).encode("utf-8")}
        for filename, source in self.parts.items():
            rendered[filename] = _highlight_marks(self.tags.render(source, context, self.environment)).encode("utf-8")
        if self.core is not None:
            rendered["docProps/core.xml"] = _with_title(self.core, title)
        out = io.BytesIO(self.base)
        out.seek(0, io.SEEK_END)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
            for filename, blob in rendered.items():
                archive.writestr(self._entry(filename), blob)
        return out.getvalue()

    def _entry(self, filename: str):
        import zipfile

        info = zipfile.ZipInfo(filename, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info


def _main_part(parts: dict[str, bytes]) -> str:
    rels = parts.get("_rels/.rels", b"").decode("utf-8", "ignore")
    match = re.search(r'Target="/?([^"]+)"[^>]*Type="[^"]*/officeDocument"|Type="[^"]*/officeDocument"[^>]*Target="/?([^"]+)"', rels)
    name = (match.group(1) or match.group(2)) if match else "word/document.xml"
    if name not in parts:
        raise ValueError("no main document part")
    return name


def _with_title(core: bytes, title: str) -> bytes:
    text = core.decode("utf-8")
    safe = escape(title, quote=False)
    if re.search(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", text, re.S):
        text = re.sub(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", lambda _: f"<dc:title>{safe}</dc:title>", text, count=1, flags=re.S)
    elif "</cp:coreProperties>" in text and "xmlns:dc=" in text:
        text = text.replace("</cp:coreProperties>", f"<dc:title>{safe}</dc:title></cp:coreProperties>")
    return _with_keyword(text).encode("utf-8")


def _with_keyword(core: str) -> str:
    """Add perfxl's mark to the keywords (a re-run may replace a report that carries it: perfxl/mark/provenance.py)."""
    from perfxl.mark.format import REPORT_KEYWORD

    found = re.search(r"<cp:keywords\s*/>|<cp:keywords>(.*?)</cp:keywords>", core, re.S)
    if found:
        words = (found.group(1) or "").strip()
        if REPORT_KEYWORD in re.split(r"[\s,;，；]+", words):
            return core
        merged = f"{words} {REPORT_KEYWORD}".strip()
        return core[: found.start()] + f"<cp:keywords>{merged}</cp:keywords>" + core[found.end():]
    if "</cp:coreProperties>" in core:
        return core.replace("</cp:coreProperties>", f"<cp:keywords>{REPORT_KEYWORD}</cp:keywords></cp:coreProperties>")
    return core


class _TemplateCache:
    """Compiled templates by (path, mtime, size), one Jinja environment: everything parsed once per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.templates: dict[tuple, CompiledTemplate] = {}
        self.environment = None

    def get(self, path: Path) -> CompiledTemplate:
        try:
            stat = path.stat()
        except OSError:
            raise FormError("template-missing", f"找不到报告模板：{path}。请检查路径，或去掉 --template 使用内置模板。", path) from None
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        compiled = self.templates.get(key)
        if compiled is None:
            compiled = _compile_template(path)
            with self.lock:
                if len(self.templates) > 16:
                    self.templates.clear()
                self.templates[key] = compiled
        return compiled

    def jinja(self):
        if self.environment is None:
            self.environment = _make_environment()
        return self.environment


def _compile_template(path: Path) -> CompiledTemplate:
    import jinja2

    try:
        return CompiledTemplate(path.read_bytes(), path.name)
    except jinja2.TemplateError as exc:
        detail = f"（{exc.message}）" if getattr(exc, "message", None) else ""
        raise FormError("template-error", f"报告模板 {path.name} 中的占位符有误{detail}：请检查 {{{{ }}}} 与 {{%p %}} 是否成对、拼写是否正确，或去掉 --template 使用内置模板。", path) from None
    except OSError as exc:
        raise FormError("template-unreadable", f"无法读取报告模板 {path.name}：{read_error_text(exc)}。", path) from None
    except Exception as exc:  # not a zip, no document part, broken XML …
        raise FormError("template-unreadable", f"无法读取报告模板 {path.name}（{exc.__class__.__name__}）：请确认它是用 Word/WPS 保存的 .docx 文件。", path) from None


def _make_environment():
    import jinja2

    class VisibleUndefined(jinja2.Undefined):
        """A misspelt placeholder shows up in the report instead of vanishing silently."""

        def __str__(self):
            return f"【模板占位符“{self._undefined_name}”不存在】"

        def __iter__(self):
            return iter(())

        def __getitem__(self, key):  # ``missing[-1]`` shows the same mark instead of stopping the report
            return self

        def __bool__(self):
            return False

    class MemoEnvironment(jinja2.Environment):
        """docxtpl compiles the template source on every render; compile each source once instead."""

        def __init__(self, **options):
            super().__init__(**options)
            self.memo: dict[str, jinja2.Template] = {}

        def from_string(self, source, globals=None, template_class=None):
            if globals is not None or template_class is not None:
                return super().from_string(source, globals, template_class)
            template = self.memo.get(source)
            if template is None:
                template = super().from_string(source)
                if len(self.memo) > 64:
                    self.memo.clear()
                self.memo[source] = template
            return template

    return MemoEnvironment(autoescape=True, undefined=VisibleUndefined)


_CACHE = _TemplateCache()


def cached_template(path: Path) -> CompiledTemplate:
    """The report template at ``path``, compiled once per process (again when the file changes)."""
    return _CACHE.get(Path(path))


def _insert_annex(xml: str, annex: Callable[[], str] | None) -> str:
    """Put the annex XML (the 自评表 tables) where the template's ``{{ annex_table }}`` paragraph was."""
    at = xml.find(ANNEX_TOKEN)
    if at < 0 or annex is None:
        return xml
    start = max(xml.rfind("<w:p>", 0, at), xml.rfind("<w:p ", 0, at))
    end = xml.find("</w:p>", at)
    if start < 0 or end < 0:
        return xml
    end += len("</w:p>")
    tables = annex()
    if xml.startswith("</w:tc>", end):
        tables += "<w:p/>"  # a table cell must end with a paragraph
    return xml[:start] + tables + xml[end:]


_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.S)
_PSTYLE = re.compile(r'<w:pStyle w:val="([^"]*)"')
_RUN_WITHOUT_EAST_ASIA = re.compile(r"<w:r(?: [^>]*)?>(?!<w:rPr>(?:(?!</w:rPr>).)*?w:eastAsia=)", re.S)
_EMPTY_RUN = '<w:r><w:t xml:space="preserve"></w:t></w:r>'  # docxtpl leaves one after each {{r …}}


_MARK = re.compile(r"(【(?:待补充|请核实)[^】]*】)")
_MARKED_RUN = re.compile(r"<w:r>(?:<w:rPr>((?:(?!</w:rPr>).)*)</w:rPr>)?((?:<w:t(?: [^>]*)?>[^<]*</w:t>|<w:br/>)+)</w:r>", re.S)
_RUN_PIECE = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:br/>")
# CT_RPr children that come after w:highlight in the schema's sequence.
_AFTER_HIGHLIGHT = ("u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")


def _with_highlight(rpr: str) -> str:
    """Run properties with yellow highlighting added in its schema place."""
    if "<w:highlight " in rpr:
        return rpr
    match = re.search(r"<w:(?:%s)\b" % "|".join(_AFTER_HIGHLIGHT), rpr)
    at = match.start() if match else len(rpr)
    return rpr[:at] + HIGHLIGHT + rpr[at:]


def _highlight_marks(xml: str) -> str:
    """【待补充：…】 and 【请核实…】 that reached the document through plain ``{{ … }}`` tags (the title,
    a user's template) are highlighted like the ones the report writes itself."""
    if "【待补充" not in xml and "【请核实" not in xml:
        return xml

    def run(match: re.Match) -> str:
        rpr, content = match.group(1) or "", match.group(2)
        if "<w:highlight " in rpr or not _MARK.search(content):
            return match.group(0)
        runs = []
        for piece in _RUN_PIECE.finditer(content):
            if piece.group(1) is None:
                runs.append(f"<w:r><w:rPr>{rpr}</w:rPr><w:br/></w:r>")
                continue
            for part in _MARK.split(piece.group(1)):
                if part:
                    props = _with_highlight(rpr) if _MARK.fullmatch(part) else rpr
                    runs.append(f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{part}</w:t></w:r>')
        return "".join(runs)

    return _MARKED_RUN.sub(run, xml)


def _fill_run_fonts(xml: str, fonts: dict) -> str:
    """Fonts of the report's own runs (written with empty slots) from the style of their paragraph."""
    if "\ue000E" not in xml:
        return xml

    def paragraph(match: re.Match) -> str:
        text = match.group(0)
        if "\ue000E" not in text:
            return text
        style = _PSTYLE.search(text)
        latin, east_asia = fonts.get(style.group(1) if style else None, fonts[None])
        return text.replace("\ue000L", escape(latin)).replace("\ue000E", escape(east_asia))

    latin, east_asia = fonts[None]  # slots outside any paragraph (should not happen)
    return _PARAGRAPH.sub(paragraph, xml).replace("\ue000L", escape(latin)).replace("\ue000E", escape(east_asia))


def _apply_fonts(body, fonts: dict) -> None:
    """Give every run lacking them explicit fonts (w:eastAsia included), from its paragraph's style."""
    from lxml import etree

    w = f"{{{W_NS}}}"
    default = fonts[None]
    missing = body.xpath(".//w:r[not(w:rPr/w:rFonts/@w:eastAsia) or w:rPr/w:rFonts/@w:eastAsiaTheme]", namespaces={"w": W_NS})
    for run in missing:
        paragraph = next(run.iterancestors(f"{w}p"), None)
        style = paragraph.find(f"{w}pPr/{w}pStyle") if paragraph is not None else None
        latin, east_asia = fonts.get(style.get(f"{w}val") if style is not None else None, default)
        rpr = run.find(f"{w}rPr")
        if rpr is None:
            rpr = etree.Element(f"{w}rPr")
            run.insert(0, rpr)
        rfonts = rpr.find(f"{w}rFonts")
        if rfonts is None:
            rfonts = etree.Element(f"{w}rFonts")
            rpr.insert(1 if rpr.find(f"{w}rStyle") is not None else 0, rfonts)
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            rfonts.attrib.pop(f"{w}{attr}", None)
        rfonts.set(f"{w}ascii", rfonts.get(f"{w}ascii") or latin)
        rfonts.set(f"{w}hAnsi", rfonts.get(f"{w}hAnsi") or latin)
        rfonts.set(f"{w}eastAsia", east_asia)


def _style_fonts(styles_xml: bytes | None) -> dict:
    """Paragraph style id → (latin, eastAsia), following w:basedOn; key None = the default style."""
    from lxml import etree

    w = f"{{{W_NS}}}"
    fallback = ("Times New Roman", "仿宋_GB2312")
    if not styles_xml:
        return {None: fallback}
    root = etree.fromstring(styles_xml)
    styles = {s.get(f"{w}styleId"): s for s in root.findall(f"{w}style")}
    defaults = root.find(f"{w}docDefaults/{w}rPrDefault/{w}rPr/{w}rFonts")
    base = (
        (defaults.get(f"{w}ascii") if defaults is not None else None) or fallback[0],
        (defaults.get(f"{w}eastAsia") if defaults is not None else None) or fallback[1],
    )

    def resolve(style_id, depth=0):
        style = styles.get(style_id)
        if style is None or depth > 20:
            return base
        based = style.find(f"{w}basedOn")
        inherited = resolve(based.get(f"{w}val"), depth + 1) if based is not None else base
        rfonts = style.find(f"{w}rPr/{w}rFonts")
        if rfonts is None:
            return inherited
        return (rfonts.get(f"{w}ascii") or inherited[0], rfonts.get(f"{w}eastAsia") or inherited[1])

    fonts = {style_id: resolve(style_id) for style_id in styles}
    default_id = next((sid for sid, s in styles.items() if s.get(f"{w}type") == "paragraph" and s.get(f"{w}default") in ("1", "true")), None)
    fonts[None] = fonts.get(default_id, base)
    return fonts
