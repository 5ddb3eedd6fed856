"""Build the Word templates of the 绩效自评报告: templates/自评报告模板.docx (项目支出) and
templates/部门整体支出自评报告模板.docx (部门整体支出, chosen for department forms).

    python templates/make_report_template.py                          # rewrites both templates
    python templates/make_report_template.py OUT.docx                 # the project template, elsewhere
    python templates/make_report_template.py --department OUT.docx    # the department template, elsewhere

The template is an ordinary .docx: users open it in Word/WPS, change wording, fonts and styles,
and keep the ``{{ … }}`` / ``{%p … %}`` placeholders that perfxl fills (docs/report.md lists them).
It is laid out after GB/T 9704 (党政机关公文格式): A4, margins 37/35/28/26 mm, 22 lines of 28
characters, title 方正小标宋简体 二号, body 仿宋_GB2312 三号 with a fixed 28-point line, 一级标题
黑体, 二级标题 楷体_GB2312, page numbers "— 1 —" in 四号宋体 (odd pages right, even pages left).

python-docx's bundled template is American/Japanese: its theme sends East-Asian text to a
Japanese font (``themeFontLang eastAsia="ja-JP"``, ``eastAsiaTheme="minorEastAsia"``). This script
replaces every theme font reference with explicit fonts (w:eastAsia included) and declares zh-CN.
tests/test_report.py checks that the committed file matches what this script builds.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
TARGET = HERE / "自评报告模板.docx"
DEPARTMENT_TARGET = HERE / "部门整体支出自评报告模板.docx"

# Fonts of GB/T 9704 and what Word should use where a PC lacks them (declared as w:altName).
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FONT_FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", HEADING2_FONT: "楷体", HEADING1_FONT: "SimHei", "宋体": "SimSun"}

# Chinese type sizes in points.
ERHAO, XIAOER, SANHAO, SIHAO, XIAOWU = 22, 18, 16, 14, 9
LINE = Pt(28)  # GB/T 9704: 22 lines on a 225 mm type area
INDENT_CHARS = 200  # w:firstLineChars is in hundredths of a character

# Styles the template uses (built-in ones keep their English ids so Word shows 标题 1, 页脚 …).
KEEP_STYLES = {
    "Normal", "Default Paragraph Font", "Normal Table", "No List", "Title", "Heading 1", "Heading 2",
    "Header", "Footer", "Table Grid",
}

MARKER_TABLE = "{{ annex_table }}"


def set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Explicit fonts for every script; theme references dropped (they would win over w:eastAsia)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def style_font(style, east_asia: str, size: float, bold: bool = False, latin: str = LATIN_FONT) -> None:
    rpr = style.element.get_or_add_rPr()
    for child in list(rpr):  # start clean: no theme colours, no inherited bold
        rpr.remove(child)
    set_fonts(rpr, east_asia, latin)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False


def style_paragraph(style, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, line=LINE, indent_chars: int = 0,
                    before: float = 0, after: float = 0, keep_next: bool = False, outline: int | None = None,
                    page_break_before: bool = False, right_chars: int = 0, widow_control: bool = False) -> None:
    ppr = style.element.get_or_add_pPr()
    for child in list(ppr):
        ppr.remove(child)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    fmt.keep_with_next = keep_next
    fmt.widow_control = widow_control
    fmt.page_break_before = page_break_before
    if right_chars:
        ppr.append(parse_xml(f'<w:ind {nsdecls("w")} w:rightChars="{right_chars}" w:right="{int(right_chars / 100 * SANHAO * 20)}" w:firstLineChars="0" w:firstLine="0"/>'))
    elif indent_chars:
        # firstLineChars wins in Word/WPS; firstLine (16 pt per character) is the fallback.
        ind = parse_xml(f'<w:ind {nsdecls("w")} w:firstLineChars="{indent_chars}" w:firstLine="{int(indent_chars / 100 * SANHAO * 20)}"/>')
        ppr.append(ind)
    else:
        ppr.append(parse_xml(f'<w:ind {nsdecls("w")} w:firstLineChars="0" w:firstLine="0"/>'))
    if outline is not None:
        ppr.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{outline}"/>'))
    _sort_ppr(ppr)


# Schema order of w:pPr children that we use (Word rejects out-of-order elements).
_PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "widowControl", "spacing", "ind", "jc", "outlineLvl"]


def _sort_ppr(ppr) -> None:
    children = list(ppr)
    for child in children:
        ppr.remove(child)
    children.sort(key=lambda el: _PPR_ORDER.index(el.tag.split("}")[1]) if el.tag.split("}")[1] in _PPR_ORDER else 99)
    for child in children:
        ppr.append(child)


def add_style(document, style_id: str, name: str, base: str = "Normal"):
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.element.set(qn("w:styleId"), style_id)
    style.base_style = document.styles[base]
    style.quick_style = True
    return style


def prune_styles(document) -> None:
    """Drop python-docx's dozens of unused styles (a smaller styles.xml loads faster, and several
    carry Japanese/theme fonts); keep the used ones and the character styles linked to them."""
    root = document.styles.element
    keep = {name.lower() for name in KEEP_STYLES}
    styles = root.findall(qn("w:style"))
    kept_ids = {s.get(qn("w:styleId")) for s in styles if s.find(qn("w:name")).get(qn("w:val")).lower() in keep}
    for style in styles:
        link = style.find(qn("w:link"))
        linked = link is not None and link.get(qn("w:val")) in kept_ids
        if style.get(qn("w:styleId")) not in kept_ids and not linked:
            root.remove(style)
    for latent in root.findall(qn("w:latentStyles")):
        root.remove(latent)


def fix_defaults(document) -> None:
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    rpr.find(qn("w:sz")).set(qn("w:val"), str(SANHAO * 2))
    rpr.find(qn("w:szCs")).set(qn("w:val"), str(SANHAO * 2))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(parse_xml(f'<w:spacing {nsdecls("w")} w:after="0" w:line="240" w:lineRule="auto"/>'))

    settings = document.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    for rsids in settings.findall(qn("w:rsids")):
        settings.remove(rsids)
    for proof in settings.findall(qn("w:proofState")):
        settings.remove(proof)
    document.settings.odd_and_even_pages_header_footer = True


def fix_parts(document) -> None:
    """zh-CN theme fonts, font fallbacks in the font table, no python-docx thumbnail."""
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail") or rel.reltype.endswith("/custom-properties"):
            package.rels.pop(rel_id)
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects") or rel.reltype.endswith("/customXml"):
            document.part.rels.pop(rel_id)
    for part in package.iter_parts():
        name = str(part.partname)
        if name == "/word/theme/theme1.xml":
            xml = part.blob.decode("utf-8")
            xml = re.sub(r'(<a:majorFont>.*?)<a:ea typeface=""/>', r'\1<a:ea typeface="黑体"/>', xml, count=1, flags=re.S)
            xml = re.sub(r'(<a:minorFont>.*?)<a:ea typeface=""/>', r'\1<a:ea typeface="宋体"/>', xml, count=1, flags=re.S)
            part._blob = xml.encode("utf-8")
        elif name == "/word/fontTable.xml":
            xml = part.blob.decode("utf-8")
            entries = "".join(
                f'<w:font w:name="{font}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
                for font, alt, family in (
                    (TITLE_FONT, FONT_FALLBACKS[TITLE_FONT], "script"),
                    (BODY_FONT, FONT_FALLBACKS[BODY_FONT], "modern"),
                    (HEADING2_FONT, FONT_FALLBACKS[HEADING2_FONT], "script"),
                    (HEADING1_FONT, FONT_FALLBACKS[HEADING1_FONT], "modern"),
                    ("宋体", FONT_FALLBACKS["宋体"], "auto"),
                )
            )
            part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def build_styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    style_font(normal, BODY_FONT, SANHAO)
    style_paragraph(normal, indent_chars=INDENT_CHARS)

    title = styles["Title"]
    style_font(title, TITLE_FONT, ERHAO)
    style_paragraph(title, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), after=28, outline=None)
    h1 = styles["Heading 1"]
    style_font(h1, HEADING1_FONT, SANHAO)
    style_paragraph(h1, indent_chars=INDENT_CHARS, keep_next=True, outline=0)
    h2 = styles["Heading 2"]
    style_font(h2, HEADING2_FONT, SANHAO)
    style_paragraph(h2, indent_chars=INDENT_CHARS, keep_next=True, outline=1)
    for name in ("Title Char", "Heading 1 Char", "Heading 2 Char"):
        if name in [s.name for s in styles]:
            style_font(styles[name], {"Title Char": TITLE_FONT, "Heading 1 Char": HEADING1_FONT, "Heading 2 Char": HEADING2_FONT}[name],
                       {"Title Char": ERHAO}.get(name, SANHAO))
    footer = styles["Footer"]
    style_font(footer, PAGE_NUMBER_FONT, SIHAO, latin=PAGE_NUMBER_FONT)
    style_paragraph(footer, line=None)
    header = styles["Header"]
    style_font(header, BODY_FONT, SIHAO)
    style_paragraph(header, line=None)

    label = add_style(document, "AnnexLabel", "附件标注")
    style_font(label, HEADING1_FONT, SANHAO)
    style_paragraph(label, align=WD_ALIGN_PARAGRAPH.LEFT, page_break_before=True, keep_next=True)
    annex_title = add_style(document, "AnnexTitle", "附件标题")
    style_font(annex_title, TITLE_FONT, XIAOER)
    style_paragraph(annex_title, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(30), before=6, after=12, keep_next=True)
    table_text = add_style(document, "TableText", "表格文字")
    style_font(table_text, BODY_FONT, XIAOWU)
    style_paragraph(table_text, line=None)
    table_head = add_style(document, "TableHeading", "表格表头", base="表格文字")
    style_font(table_head, HEADING1_FONT, XIAOWU)
    style_paragraph(table_head, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)
    # GB/T 9704 7.3.5: the 落款 never stands alone on a page. The last paragraph of the 正文 (two
    # lines at least: widow control), the 附件说明, the blank lines and the unit are each kept with
    # the next paragraph, so a page break before the 落款 takes the end of the 正文 along.
    body_last = add_style(document, "BodyLast", "正文末段")
    style_font(body_last, BODY_FONT, SANHAO)
    style_paragraph(body_last, indent_chars=INDENT_CHARS, keep_next=True, widow_control=True)
    annex_note = add_style(document, "AnnexNote", "附件说明")
    style_font(annex_note, BODY_FONT, SANHAO)
    style_paragraph(annex_note, indent_chars=INDENT_CHARS, keep_next=True)
    # 落款 (GB/T 9704 7.3.5): unit and date at the right, four characters in from the margin.
    signature = add_style(document, "Signature", "落款")
    style_font(signature, BODY_FONT, SANHAO)
    style_paragraph(signature, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=400, keep_next=True)
    date = add_style(document, "SignatureDate", "成文日期", base="落款")
    style_font(date, BODY_FONT, SANHAO)
    style_paragraph(date, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=400)
    note_head = add_style(document, "CheckNoteHeading", "校验说明标题")
    style_font(note_head, HEADING1_FONT, SANHAO)
    style_paragraph(note_head, align=WD_ALIGN_PARAGRAPH.LEFT, before=28, keep_next=True, page_break_before=True)
    note = add_style(document, "CheckNote", "校验说明")
    style_font(note, BODY_FONT, SIHAO)
    style_paragraph(note, line=Pt(22), indent_chars=0)


def page_setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(24)
    sect_pr = section._sectPr
    for grid in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(grid)
    # No document grid: every style sets its own line spacing (body: exactly 28 pt, 22 lines a page).
    # A grid would snap the title and the small table text to 28 pt lines, and a character grid
    # ("linesAndChars") is rendered with huge letter spacing by LibreOffice.
    sect_pr.append(parse_xml(f'<w:docGrid {nsdecls("w")} w:linePitch="560"/>'))
    _page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _page_number_footer(footer, align) -> None:
    """— 1 — with a PAGE field, one character in from the outer edge."""
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = "Footer"
    paragraph.alignment = align
    side = "right" if align == WD_ALIGN_PARAGRAPH.RIGHT else "left"
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:ind {nsdecls("w")} w:{side}="{SIHAO * 20}"/>'))
    _sort_ppr(ppr)  # the schema puts w:ind before w:jc (Word refuses or "repairs" the other order)
    fonts = f'<w:rFonts w:ascii="{PAGE_NUMBER_FONT}" w:hAnsi="{PAGE_NUMBER_FONT}" w:eastAsia="{PAGE_NUMBER_FONT}" w:cs="{PAGE_NUMBER_FONT}" w:hint="eastAsia"/>'
    size = f'<w:sz w:val="{SIHAO * 2}"/><w:szCs w:val="{SIHAO * 2}"/>'

    def run(inner: str) -> str:
        return f"<w:r><w:rPr>{fonts}{size}</w:rPr>{inner}</w:r>"

    runs = (
        run('<w:t xml:space="preserve">— </w:t>')
        + run('<w:fldChar w:fldCharType="begin"/>')
        + run('<w:instrText xml:space="preserve"> PAGE </w:instrText>')
        + run('<w:fldChar w:fldCharType="separate"/>')
        + run("<w:t>1</w:t>")
        + run('<w:fldChar w:fldCharType="end"/>')
        + run('<w:t xml:space="preserve"> —</w:t>')
    )
    for element in parse_xml(f"<w:p {nsdecls('w')}>{runs}</w:p>"):
        paragraph._p.append(element)


# The report's outline: (style, text). Text may hold docxtpl tags; ``{%p … %}`` lines vanish on rendering.
BODY: list[tuple[str, str]] = [
    ("Title", "{{ year }}年度{{ project }}{{ title_break }}绩效自评报告"),
    ("Heading 1", "一、项目概况"),
    ("Normal", "{%p for p in overview %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "二、绩效自评工作开展情况"),
    ("Heading 2", "（一）绩效自评目的"),
    ("Normal", "{%p for p in purpose %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（二）绩效自评过程"),
    ("Normal", "{%p for p in process %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "三、综合评价结论"),
    ("Normal", "{%p for p in conclusion %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "四、绩效目标实现情况分析"),
    ("Heading 2", "（一）项目资金使用及管理情况"),
    ("Normal", "{%p for p in funds %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（二）总体绩效目标完成情况分析"),
    ("Normal", "{%p for p in goal %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（三）绩效指标完成情况分析"),
    ("Normal", "{%p for p in indicators %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "五、存在的问题和改进措施"),
    ("Normal", "{%p for p in problems %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "六、绩效自评结果拟应用和公开情况"),
    ("Normal", "{%p for p in application[:-1] %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("BodyLast", "{{r application[-1] }}"),
    ("AnnexNote", ""),
    ("AnnexNote", "附件：{{ year }}年度项目支出绩效自评表"),
    ("AnnexNote", ""),
    ("AnnexNote", ""),
    ("Signature", "{{ unit }}"),
    ("SignatureDate", "{{ date }}"),
    ("AnnexLabel", "附件"),
    ("AnnexTitle", "{{ year }}年度项目支出绩效自评表"),
    ("TableText", MARKER_TABLE),
    ("CheckNoteHeading", "{%p if errors %}"),
    ("CheckNoteHeading", "自评表校验发现的问题"),
    ("CheckNote", "{%p for p in errors %}"), ("CheckNote", "{{r p }}"), ("CheckNote", "{%p endfor %}"),
    ("CheckNote", "{%p endif %}"),
]


# The 部门整体支出绩效自评报告 (the outline such reports use); same styles, page and mechanism.
DEPARTMENT_BODY: list[tuple[str, str]] = [
    ("Title", "{{ year }}年度{{ unit_name }}{{ title_break }}部门整体支出绩效自评报告"),
    ("Heading 1", "一、部门基本情况"),
    ("Normal", "{%p for p in overview %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（一）部门职能"),
    ("Normal", "{%p for p in duties %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（二）机构设置及人员情况"),
    ("Normal", "{%p for p in organisation %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "二、部门整体支出管理及使用情况"),
    ("Heading 2", "（一）预算收支及执行情况"),
    ("Normal", "{%p for p in funds %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（二）资金管理情况"),
    ("Normal", "{%p for p in management %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "三、绩效目标实现情况"),
    ("Heading 2", "（一）总体目标完成情况"),
    ("Normal", "{%p for p in goal %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（二）绩效指标完成情况"),
    ("Normal", "{%p for p in indicators %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "（三）自评得分及等级"),
    ("Normal", "{%p for p in conclusion %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "四、存在的问题及原因"),
    ("Normal", "{%p for p in problems %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("Heading 1", "五、改进措施及建议"),
    ("Normal", "{%p for p in measures[:-1] %}"), ("Normal", "{{r p }}"), ("Normal", "{%p endfor %}"),
    ("BodyLast", "{{r measures[-1] }}"),
    ("AnnexNote", ""),
    ("AnnexNote", "附件：{{ year }}年度部门整体支出绩效自评表"),
    ("AnnexNote", ""),
    ("AnnexNote", ""),
    ("Signature", "{{ unit }}"),
    ("SignatureDate", "{{ date }}"),
    ("AnnexLabel", "附件"),
    ("AnnexTitle", "{{ year }}年度部门整体支出绩效自评表"),
    ("TableText", MARKER_TABLE),
    ("CheckNoteHeading", "{%p if errors %}"),
    ("CheckNoteHeading", "自评表校验发现的问题"),
    ("CheckNote", "{%p for p in errors %}"), ("CheckNote", "{{r p }}"), ("CheckNote", "{%p endfor %}"),
    ("CheckNote", "{%p endif %}"),
]


def build(body_spec: list[tuple[str, str]] | None = None, title: str = "绩效自评报告模板") -> Document:
    """The template document: ``body_spec`` is BODY (项目支出) or DEPARTMENT_BODY (部门整体支出)."""
    document = Document()
    fix_defaults(document)
    fix_parts(document)
    prune_styles(document)
    build_styles(document)
    page_setup(document)
    body = document.element.body
    for paragraph in list(body.findall(qn("w:p"))):
        body.remove(paragraph)
    styles = {style.style_id: style for style in document.styles if style.type == WD_STYLE_TYPE.PARAGRAPH}
    by_name = {style.name: style for style in styles.values()}
    for style_key, text in body_spec or BODY:
        style = styles.get(style_key) or by_name[style_key]
        paragraph = document.add_paragraph(style=style)
        if text:
            run = paragraph.add_run(text)
            set_fonts(run._r.get_or_add_rPr(), _east_asia_of(style))
    props = document.core_properties
    props.author = "perfxl"
    props.last_modified_by = "perfxl"
    props.title = title
    props.subject = ""
    props.comments = "perfxl 绩效自评报告模板：可在 Word/WPS 中修改文字、字体和样式，保留双花括号占位符（说明见 docs/report.md）。"
    props.keywords = ""
    props.category = ""
    props.revision = 1
    props.created = props.modified = _dt.datetime(2024, 1, 1)
    props.last_printed = _dt.datetime(2024, 1, 1)
    props.language = "zh-CN"
    return document


def _east_asia_of(style) -> str:
    while style is not None:
        fonts = style.element.rPr.find(qn("w:rFonts")) if style.element.rPr is not None else None
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia"))
        style = style.base_style
    return BODY_FONT


def build_department() -> Document:
    return build(DEPARTMENT_BODY, "部门整体支出绩效自评报告模板")


def main(argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        jobs = [(build, TARGET), (build_department, DEPARTMENT_TARGET)]
    elif args[0] == "--department":
        jobs = [(build_department, Path(args[1]) if len(args) > 1 else DEPARTMENT_TARGET)]
    else:
        jobs = [(build, Path(args[0]))]
    for builder, target in jobs:
        builder().save(target)
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
