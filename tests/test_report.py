"""The Word 绩效自评报告: content generated from the checked form, 公文 layout, editable template."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document

import perfxl
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from perfxl.model import Cell, FormError
from perfxl.read.reader import read_form
from perfxl.report.context import NARRATIVE_KEYS, STANDARD_TEXT, _date_line, build_context
from perfxl.report.document import default_template, render_report, write_report
from perfxl.checks.rules import check

from conftest import ROOT, spec_copy
from helpers import BROKEN_JOINS, section_texts

SIX_SECTIONS = [
    "一、项目概况",
    "二、绩效自评工作开展情况",
    "三、综合评价结论",
    "四、绩效目标实现情况分析",
    "五、存在的问题和改进措施",
    "六、绩效自评结果拟应用和公开情况",
]
SUBSECTIONS = [
    "（一）绩效自评目的",
    "（二）绩效自评过程",
    "（一）项目资金使用及管理情况",
    "（二）总体绩效目标完成情况分析",
    "（三）绩效指标完成情况分析",
]
# The seed's indicators scored below their 分值 although 实际完成值 says 已完成, with their notes.
SEED_DEDUCTED_DONE = {
    "建设全市政务资源管理、应用支撑、数据共享、服务保障的总枢纽": ("10", "8", "数据共享不全面，有待进一步加强数据共享"),
    "促进智慧城市项目建设": ("5", "4", "2020年智慧城市项目建设进度缓慢。推进力度有待加强"),
    "简政放权": ("10", "8", "各部门简政放权力度有待加强，应提高认识，加强简政放权力度"),
    "节能情况": ("10", "9", "进一步加强节能宣传，提高节能意识"),
}


def report_of(form_path: Path, tmp_path: Path, template: Path | None = None) -> Document:
    target = tmp_path / "out" / f"{form_path.stem}_自评报告.docx"
    write_report(check(read_form(form_path)), target, template=template)
    return Document(str(target))


def body_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def styled(document, style_name: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style_name]


def highlighted_texts(document) -> list[str]:
    return [run.text for p in document.paragraphs for run in p.runs if run._r.find(qn("w:rPr") + "/" + qn("w:highlight")) is not None]


# ---------------------------------------------------------------- the seed


@pytest.fixture
def seed_report(seed_form, tmp_path):
    return report_of(seed_form, tmp_path)


def test_seed_outline_follows_the_published_report(seed_report):
    title = styled(seed_report, "Title")
    assert [t.replace("\n", "") for t in title] == ["2020年度益阳智慧大脑+政务服务项目绩效自评报告"]
    assert styled(seed_report, "Heading 1") == SIX_SECTIONS
    assert styled(seed_report, "Heading 2") == SUBSECTIONS
    text = body_text(seed_report)
    assert "附件：2020年度项目支出绩效自评表" in text
    assert styled(seed_report, "附件标题") == ["2020年度项目支出绩效自评表"]
    # No template tag survives rendering.
    assert "{{" not in text and "{%" not in text


def test_seed_numbers_and_conclusion_come_from_the_checked_data(seed_report):
    text = body_text(seed_report)
    assert "预算执行率100%" in text
    assert "年初预算数918万元，全年预算数918万元（其中当年财政拨款918万元），全年执行数918万元" in text
    # The form states 总分 92; its parts add up to 102 (优): the report uses 102 and says so.
    assert "预算执行率得分与各项指标得分合计102分。【请核实：分值合计 110 分，不是 100 分，绩效评价等级暂无法确定，请改正后重新生成本报告】" in text
    assert "绩效评价等级为" not in text
    assert "自评表填写的总分为92分" in text
    assert "绩效自评得分92分" not in text
    # Each 一级 group out of its recomputed weight; 效益指标 is labelled 30 on the form but holds 40.
    assert "1.产出指标：分值50分，得分46分。其中，数量指标（10分）得10分，质量指标（10分）得10分，时效指标（10分）得8分，成本指标（20分）得18分。" in text
    assert "2.效益指标：分值40分【请核实：自评表标注为30分】，得分36分" in text
    assert "可持续影响指标（10分）得10分" in text
    assert "3.满意度指标：分值10分，得分10分" in text
    assert "实际完成情况：建成以益阳新型智慧城市" in text


def test_seed_lists_every_deducted_indicator_with_its_note(seed_report):
    paragraphs = [p.text for p in seed_report.paragraphs]
    assert "扣分指标共5项，扣分原因及改进措施如下：" in paragraphs
    for name, (weight, score, note) in SEED_DEDUCTED_DONE.items():
        [line] = [p for p in paragraphs if p.startswith("（") and f"“{name}”" in p]
        assert f"实际完成值为“已完成”，分值{weight}分，得分{score}分" in line
        assert note in line
        assert "【请核实：实际完成值填写为“已完成”却未得满分" in line
    [partly] = [p for p in paragraphs if p.startswith("（") and "“全市数据共融共享”" in p]
    assert "实际完成值为“有待完善”" in partly and "进一步打通各部门政务数据" in partly
    assert "请核实" not in partly


def test_seed_annex_table_holds_the_form(seed_form, seed_report):
    form = read_form(seed_form)
    header, indicators = seed_report.tables
    first_rows = [[cell.text for cell in row.cells] for row in header.rows]
    assert first_rows[0][:3] == ["项目名称", "项目名称", "益阳智慧大脑+政务服务项目"]
    assert "益阳市行政审批服务局" in first_rows[1] and "益阳市智慧城市和大数据中心" in first_rows[1]
    total_row = next(row for row in first_rows if row[2] == "年度资金总额")
    assert total_row[3:] == ["918", "918", "918", "10", "100%", "10"]

    rows = [[cell.text for cell in row.cells] for row in indicators.rows]
    assert [h.replace("\n", "") for h in rows[0][2:]] == ["二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    assert indicators.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on every page
    body = rows[1:-1]
    assert len(body) == len(form.indicators) == 13
    for row, indicator in zip(body, form.indicators):
        assert row[3] == indicator.level3.text
        assert row[4] == indicator.target.text
        assert row[5] == indicator.actual.text
        assert row[6] == indicator.weight.text and row[7] == indicator.score.text
        assert row[8] == indicator.deviation.text
    assert body[0][0] == "产出指标\n（50分）"
    assert body[7][0] == body[11][0] == "效益指标\n（40分）"  # the 可持续影响 row joins its 一级 group
    assert rows[-1][0] == "总分" and rows[-1][6:] == ["110", "102", "等级：待定【请核实】"]


def test_text_and_annex_agree(seed_report):
    """Every deducted indicator's numbers in the text are the numbers in its annex row."""
    text = body_text(seed_report)
    _, indicators = seed_report.tables
    for row in indicators.rows[1:-1]:
        cells = [cell.text for cell in row.cells]
        if cells[6] != cells[7]:
            assert f"“{cells[3]}”" in text
            assert f"分值{cells[6]}分，得分{cells[7]}分" in text


def test_seed_error_note_lists_the_errors(seed_form, seed_report):
    result = check(read_form(seed_form))
    errors = [f for f in result.findings if f.severity == "error"]
    assert len(errors) == 4
    assert styled(seed_report, "校验说明标题") == ["自评表校验发现的问题"]
    notes = styled(seed_report, "校验说明")
    assert "发现以下 4 项错误" in notes[0]
    for number, finding in enumerate(errors, 1):
        assert notes[number] == f"{number}. 单元格 {finding.cell}：{finding.message}"


def test_missing_prose_is_a_highlighted_placeholder_and_standard_text_is_used(seed_report):
    marked = highlighted_texts(seed_report)
    assert any(t.startswith("【待补充：项目背景") for t in marked)
    assert any(t.startswith("【待补充：绩效自评工作过程") for t in marked)
    assert "【请核实】" in marked  # 存在的问题 drafted from the data, for the author to review
    text = body_text(seed_report)
    assert STANDARD_TEXT["purpose"] in text
    assert STANDARD_TEXT["application"] in text
    # Every 【…】 the tool adds is highlighted, so the user cannot overlook it.
    for paragraph in seed_report.paragraphs:
        for run in paragraph.runs:
            if run.text.startswith(("【待补充", "【请核实")):
                assert run.text in marked


# ---------------------------------------------------------------- 报告信息 and other forms


def test_report_info_sheet_supplies_the_prose(info_form, tmp_path):
    document = report_of(info_form, tmp_path)
    text = body_text(document)
    assert "2017年8月，市人民政府第9次常务会议决定建设益阳" in text
    assert "根据《益阳市财政局关于开展2020年度部门绩效自评工作的通知》" in text
    assert "该项目资金支付严格按照合同要求" in text
    assert "一是数据资源共享方面" in text and "建立健全项目后期维护管理和培训考核制度" in text
    assert "并将绩效自评结果在我单位进行公开" in text
    assert STANDARD_TEXT["application"] not in text
    assert not [t for t in highlighted_texts(document) if t.startswith("【待补充")]


def test_report_info_labels_are_matched_by_synonym(make_form, seed_spec, tmp_path):
    spec = spec_copy(seed_spec)
    spec.report_info = {
        "项目背景": "背景文字甲。",
        "（二）工作过程": "过程文字乙。\n第二段过程。",
        "问题": "问题文字丙。",
        "整改措施": "措施文字丁。",
        "公开情况": "公开文字戊。",
        "评价目的": "目的文字己。",
    }
    document = report_of(make_form(spec), tmp_path)
    paragraphs = [p.text for p in document.paragraphs]
    for expected in ("背景文字甲。", "过程文字乙。", "第二段过程。", "问题文字丙。", "措施文字丁。", "公开文字戊。", "目的文字己。"):
        assert expected in paragraphs
    assert STANDARD_TEXT["purpose"] not in paragraphs


def test_every_narrative_key_maps_to_one_field():
    seen: dict[str, str] = {}
    for field, labels in NARRATIVE_KEYS.items():
        for label in labels:
            assert seen.setdefault(label, field) == field, f"{label} maps to {seen[label]} and {field}"


PROJECT_FIELDS = {"overview", "purpose", "process", "conclusion", "funds", "goal", "indicators", "problems", "measures", "application"}
DEPARTMENT_FIELDS = {"overview", "duties", "organisation", "funds", "goal", "indicators", "conclusion", "problems", "measures"}


@pytest.mark.parametrize("rows, fields", [("REPORT_INFO_ROWS", PROJECT_FIELDS), ("DEPARTMENT_REPORT_INFO_ROWS", DEPARTMENT_FIELDS)])
def test_report_info_rows_cover_every_field_the_report_reads(rows, fields):
    """Every 报告信息 label a 【待补充】 placeholder names has its row, and every field the report reads has one."""
    import perfxl.read.labels as labels_module
    import perfxl.report.context as report

    labels = getattr(labels_module, rows)
    by_label = {label: field for field, synonyms in NARRATIVE_KEYS.items() for label in synonyms}
    assert {by_label[label] for label in labels} == fields
    assert all(hint and "\n" not in hint for hint in labels.values())
    department_todos = ("duties", "organisation", "department_funds", "department_problems", "department_measures")
    todos = [text for key, text in report.TODO_TEXT.items() if (key in department_todos) == (rows != "REPORT_INFO_ROWS")]
    named = {m for text in todos for m in re.findall(r"“报告信息”工作表中填写“([^”]+)”", text)}
    assert named and named <= set(labels), named - set(labels)


def test_blank_template_has_a_report_info_row_for_every_field(tmp_path, run_cli):
    """`perfxl template` writes every 报告信息 row with its hint; each row filled in reaches the report."""
    import openpyxl

    from perfxl.read.labels import REPORT_INFO_ROWS

    blank = tmp_path / "空白.xlsx"
    assert run_cli("template", "-o", blank).exit_code == 0
    wb = openpyxl.load_workbook(blank)
    sheet = wb["报告信息"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["项目", "内容", "填写说明"]
    assert [(row[0], row[2]) for row in rows[1:]] == list(REPORT_INFO_ROWS.items())
    assert not read_form(blank).narrative  # hints are not content
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 2, f"第{row}行的内容。")
    wb.save(blank)
    document = report_of(blank, tmp_path)
    text = body_text(document)
    for row in range(2, sheet.max_row + 1):
        assert f"第{row}行的内容" in text, sheet.cell(row, 1).value
    assert "报告信息" not in text  # no 【待补充：…（可在“报告信息”工作表中填写…）】 left


def test_clean_form_report(clean_form, tmp_path):
    document = report_of(clean_form, tmp_path)
    text = body_text(document)
    assert "预算执行率95.83%" in text
    assert "全年预算数1200万元（其中当年财政拨款1100万元、上年结转资金100万元）" in text
    assert "绩效自评得分99.36分，绩效评价等级为“优”" in text
    assert "扣分指标共1项" in text and "部分小区施工期间噪音扰民" in text
    assert "自评表校验发现的问题" not in text
    before, problems = text.split("五、存在的问题和改进措施")
    assert "请核实" not in before
    problems = problems.split("六、")[0]
    assert "一是部分绩效指标未完全实现：“居民满意度”（服务对象满意度指标）扣0.22分，部分小区施工期间噪音扰民。【请核实】" in problems
    assert "二是预算执行率为95.83%，全年预算数1200万元，全年执行数1150万元，尚有50万元未支出。【请核实】" in problems
    assert "改进措施：针对“居民满意度”指标：下一步加强施工管理、错峰施工。【请核实】" in problems
    assert len(document.tables) == 2 and len(document.tables[1].rows) == 1 + 8 + 1


def test_text_from_the_form_is_escaped(clean_form, tmp_path):
    form = read_form(clean_form)
    form.project = Cell("B2", "A&B<改造>项目\x07")  # a control character openpyxl itself would refuse
    target = tmp_path / "escaped.docx"
    write_report(check(form), target)
    document = Document(str(target))
    assert styled(document, "Title")[0].replace("\n", "") == "2021年度A&B<改造>项目绩效自评报告"
    assert document.tables[0].rows[0].cells[2].text == "A&B<改造>项目"


# ---------------------------------------------------------------- 公文 layout and fonts


def test_every_run_has_east_asian_fonts(seed_report):
    runs = [r for p in seed_report.paragraphs for r in p.runs]
    runs += [r for t in seed_report.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert len(runs) > 100
    for run in runs:
        fonts = run._r.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), run.text
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    heading_runs = [r for p in seed_report.paragraphs if p.style.name == "Heading 1" for r in p.runs]
    assert {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in heading_runs} == {"黑体"}


def _style_east_asia(style) -> str | None:
    return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def test_gb9704_styles_and_page(seed_report):
    styles = seed_report.styles
    expectations = {
        "Title": ("方正小标宋简体", 22),
        "Normal": ("仿宋_GB2312", 16),
        "Heading 1": ("黑体", 16),
        "Heading 2": ("楷体_GB2312", 16),
        "表格文字": ("仿宋_GB2312", 9),
    }
    for name, (font, size) in expectations.items():
        assert _style_east_asia(styles[name]) == font, name
        assert styles[name].font.size == Pt(size), name
    normal = styles["Normal"].paragraph_format
    assert normal.line_spacing == Pt(28)
    assert styles["Normal"].element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    assert styles["Title"].paragraph_format.alignment == 1  # centred
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsiaTheme")) is None
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert seed_report.settings.element.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"
    section = seed_report.sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(size / Mm(1)) for size in sizes] == [210, 297, 37, 35, 28, 26]


def test_page_numbers_in_the_footer(seed_report):
    section = seed_report.sections[0]
    assert seed_report.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, 2), (section.even_page_footer, 0)):  # odd right, even left
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "PAGE" in "".join(t.text for t in paragraph._p.iter(qn("w:instrText")))
        assert xml.count('w:fldCharType="begin"') == 1 and 'w:fldCharType="end"' in xml
        assert paragraph.text == "— 1 —"
        assert paragraph.alignment == align


def test_annex_table_fits_the_type_area(seed_report):
    width = Mm(210) - Mm(28) - Mm(26)
    for table in seed_report.tables:
        grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert len(grid) == 9
        assert sum(grid) * 635 <= width  # twips → EMU
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


# ---------------------------------------------------------------- the template


def _part_texts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml")]
        return {name: archive.read(name).decode("utf-8") for name in names}


@pytest.mark.parametrize("kind, flag", [("project", []), ("department", ["--department"])])
def test_committed_template_matches_its_generator(tmp_path, kind, flag):
    built = tmp_path / "built.docx"
    subprocess.run([sys.executable, str(ROOT / "templates" / "make_report_template.py"), *flag, str(built)], check=True, capture_output=True)
    committed = _part_texts(default_template(kind))
    fresh = _part_texts(built)
    assert committed.keys() == fresh.keys()
    for name in committed:
        assert committed[name] == fresh[name], f"{name} differs: run python templates/make_report_template.py"


@pytest.mark.parametrize("kind", ["project", "department"])
def test_template_is_clean_zh_cn(tmp_path, kind):
    parts = _part_texts(default_template(kind))
    assert "ja-JP" not in parts["word/settings.xml"]
    assert "minorEastAsia" not in parts["word/styles.xml"] and "majorEastAsia" not in parts["word/styles.xml"]
    assert '<w:altName w:val="宋体"/>' in parts["word/fontTable.xml"]  # 方正小标宋简体 falls back to 宋体
    with zipfile.ZipFile(default_template(kind)) as archive:
        assert not any("thumbnail" in name for name in archive.namelist())


def test_department_template_is_shipped_and_chosen_by_kind():
    from perfxl.templates import DEPARTMENT_REPORT_TEMPLATE

    assert default_template("department").name == DEPARTMENT_REPORT_TEMPLATE == "部门整体支出自评报告模板.docx"
    assert default_template("department").is_file() and default_template("project") == default_template()
    document = Document(str(default_template("department")))
    assert "部门整体支出绩效自评报告" in document.paragraphs[0].text and "{{ unit_name }}" in document.paragraphs[0].text


def _edited_template(tmp_path: Path) -> Path:
    """A user's edit in Word: new wording around the placeholders, a misspelt one."""
    document = Document(str(default_template()))
    for paragraph in document.paragraphs:
        if paragraph.text == "三、综合评价结论":
            paragraph.runs[0].text = "三、自评结论"
            extra = paragraph.insert_paragraph_before("本单位自评总分{{ total_score }}分，等级{{ grade }}，执行率{{ rate }}。{{ totl }}")
            extra.style = document.styles["Normal"]
    path = tmp_path / "我单位模板.docx"
    document.save(str(path))
    return path


def test_custom_template(seed_form, tmp_path):
    document = report_of(seed_form, tmp_path, template=_edited_template(tmp_path))
    text = body_text(document)
    assert "三、自评结论" in styled(document, "Heading 1")
    assert "本单位自评总分102分，等级待定，执行率100%。【模板占位符“totl”不存在】" in text
    assert len(document.tables) == 2


def test_cli_report_with_template(seed_form, tmp_path, run_cli):
    template = _edited_template(tmp_path)
    out = tmp_path / "结果"
    result = run_cli("report", seed_form, "--template", template, "-o", out)
    assert result.exit_code == 1  # the seed has errors; the report is still written
    report = out / f"{seed_form.stem}_自评报告.docx"
    assert report.is_file()
    assert "本单位自评总分102分" in body_text(Document(str(report)))


def test_broken_templates_are_findings_not_crashes(seed_form, tmp_path, run_cli):
    not_docx = tmp_path / "坏模板.docx"
    not_docx.write_text("这不是 Word 文件", encoding="utf-8")
    result = check(read_form(seed_form))
    with pytest.raises(FormError) as info:
        render_report(result, not_docx)
    assert info.value.code == "template-unreadable" and "坏模板.docx" in info.value.message

    document = Document(str(default_template()))
    document.add_paragraph("{% for x in %}")
    bad_tags = tmp_path / "标签错误.docx"
    document.save(str(bad_tags))
    with pytest.raises(FormError) as info:
        render_report(result, bad_tags)
    assert info.value.code == "template-error"

    cli = run_cli("report", seed_form, "--template", bad_tags, "-o", tmp_path / "o")
    assert cli.exit_code == 2
    assert "标签错误.docx" in cli.stderr and "Traceback" not in cli.stderr
    assert not (tmp_path / "o" / f"{seed_form.stem}_自评报告.docx").exists()


def test_template_is_parsed_once_per_process(seed_form, tmp_path, monkeypatch):
    """Two reports with the same (not yet used) template compile it once; a changed file is compiled again."""
    import perfxl.report.engine as wordtemplate

    compiled = []
    original = wordtemplate.CompiledTemplate

    class Counting(original):
        def __init__(self, *args, **kwargs):
            compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(wordtemplate, "CompiledTemplate", Counting)
    template = Path(shutil.copy(default_template(), tmp_path / "模板.docx"))
    for out in ("一", "二"):
        perfxl.write_report(seed_form, tmp_path / out, template=template)
    assert len(compiled) == 1
    template.write_bytes(template.read_bytes())  # rewritten: a new modification time
    os.utime(template, ns=(time.time_ns(), time.time_ns() + 10**9))
    perfxl.write_report(seed_form, tmp_path / "三", template=template)
    assert len(compiled) == 2


def test_docxtpl_has_what_the_adapter_needs():
    """perfxl renders with docxtpl methods that are not documented API (perfxl/report/docxtpl_adapter.py):
    a docxtpl release that drops or changes them fails here by name, before any report does.
    To try a new docxtpl: pip install docxtpl==<new>, run this file, then widen the pin in pyproject.toml."""
    import docxtpl

    from perfxl.report.docxtpl_adapter import DocxtplTags, missing_methods
    from perfxl.report.engine import W_NS, cached_template

    assert missing_methods() == [], f"docxtpl {docxtpl.__version__} lacks {missing_methods()}: keep docxtpl within the range pinned in pyproject.toml"
    tags = DocxtplTags()
    split = f'<w:body xmlns:w="{W_NS}"><w:p><w:r><w:t>{{{{ na</w:t></w:r><w:r><w:t>me }}}}</w:t></w:r></w:p></w:body>'
    source = tags.patch(split)
    assert "{{ name }}" in source, source  # Word's run split inside a tag is removed
    rendered = tags.render(source, {"name": "示例项目"}, cached_template(default_template()).environment)
    assert "示例项目" in rendered and "{{" not in rendered
    body = tags.fix_tables(rendered)
    assert body.tag == f"{{{W_NS}}}body" and "示例项目" in "".join(body.itertext())


# ---------------------------------------------------------------- CLI and --strict


def test_cli_report_writes_docx_beside_the_form(seed_form, run_cli):
    result = run_cli("report", seed_form)
    target = seed_form.with_name(f"{seed_form.stem}_自评报告.docx")
    assert target.is_file()
    assert f"已写出：{target}" in result.stdout
    assert result.exit_code == 1


def test_strict_refuses_a_report_for_a_form_with_errors(seed_form, clean_form, tmp_path, run_cli):
    out = tmp_path / "out"
    result = run_cli("report", seed_form, "--strict", "-o", out)
    assert result.exit_code == 1
    assert not list(out.glob("*.docx")) if out.exists() else True
    assert "未生成自评报告" in result.stderr and "4 项错误" in result.stderr

    result = run_cli("report", clean_form, "--strict", "-o", out)
    assert result.exit_code == 0
    assert (out / f"{clean_form.stem}_自评报告.docx").is_file()
    assert "未生成" not in result.stderr


def test_context_has_the_documented_names(seed_form):
    """docs/report.md documents these placeholder names; renaming one breaks users' templates."""
    context = build_context(check(read_form(seed_form)))
    documented = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    for name in ("year", "project", "department", "implementer", "budget", "executed", "rate", "total_score", "grade",
                 "overview", "purpose", "process", "conclusion", "funds", "goal", "indicators", "problems",
                 "application", "errors", "annex_table", "level1", "deducted"):
        assert name in context
        assert f"`{name}`" in documented or f"{{{{ {name} }}}}" in documented, name


def test_department_context_has_the_documented_names(tmp_path):
    from typedforms import department_rows, write_form

    rows, merges = department_rows()
    context = build_context(check(read_form(write_form(tmp_path / "部门.xlsx", rows, merges))))
    documented = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    for name in ("unit_name", "duties", "organisation", "funds", "management", "goal", "indicators", "conclusion", "problems",
                 "measures", "breakdowns", "overview", "year", "budget", "rate", "grade", "unit", "date", "annex_table"):
        assert name in context
        assert f"`{name}`" in documented or f"{{{{ {name} }}}}" in documented, name
    assert [b["name"] for b in context["breakdowns"]] == ["按收入性质分", "按支出性质分"]
    assert context["breakdowns"][1]["parts"][0] == {"label": "基本支出", "initial": "1200", "budget": "1250", "executed": "1100",
                                                    "rate": "88%", "inline": ""}


# ---------------------------------------------------------------- rendered pages


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_seed_report_renders_to_a_sane_number_of_pages(seed_report, seed_form, tmp_path):
    report = tmp_path / "out" / f"{seed_form.stem}_自评报告.docx"
    profile = tmp_path / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(report)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = (tmp_path / "pdf" / report.name).with_suffix(".pdf")
    data = pdf.read_bytes()
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    if pages <= 0:  # compressed object streams: ask pdfinfo
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    # Body ≈ 5 pages, annex 2, error note 1 (GB/T 9704: 22 lines a page).
    assert 6 <= pages <= 10, pages


# ---------------------------------------------------------------- blank and half-filled forms


@pytest.fixture(scope="module")
def partial_reports(tmp_path_factory) -> dict[str, Document]:
    """Reports of the blank template, a form with only the header, one with funds but no scores, the seed."""
    from helpers import partial_forms

    folder = tmp_path_factory.mktemp("partial")
    out = {}
    for name, form in partial_forms(folder).items():
        target = folder / f"{name}_自评报告.docx"
        write_report(check(read_form(form)), target)
        out[name] = Document(str(target))
    return out


@pytest.mark.parametrize("name", ["blank", "header", "funds", "seed"])
def test_every_sentence_reads_right(partial_reports, name):
    document = partial_reports[name]
    body = [p.text for p in document.paragraphs if p.style.name not in ("校验说明", "校验说明标题")]
    for text in body:
        for join in BROKEN_JOINS:
            assert join not in text, (join, text)
    assert styled(document, "Heading 1") == SIX_SECTIONS
    conclusion = section_texts(document, "三、综合评价结论")
    assert len(conclusion) == 1 and "绩效评价等级暂无法确定" in conclusion[0] and "【请核实：" in conclusion[0]
    if name != "blank" and name != "seed":
        assert "各项三级指标均得满分" not in "".join(section_texts(document, "（三）绩效指标完成情况分析"))
    # every 【…】 is highlighted, the title's included
    marked = highlighted_texts(document)
    for p in document.paragraphs:
        for mark in re.findall(r"【(?:待补充|请核实)[^】]*】", p.text):
            assert mark in marked, (mark, p.text)


def test_blank_form_sentences(partial_reports):
    document = partial_reports["blank"]
    assert styled(document, "Title")[0].replace("\n", "") == "【待补充：年度】年度【待补充：项目名称】绩效自评报告"
    assert {"【待补充：年度】", "【待补充：项目名称】"} <= set(highlighted_texts(document))
    assert section_texts(document, "三、综合评价结论")[0].startswith("经自评，本项目的自评表尚未填写预算执行情况和绩效指标得分，绩效评价等级暂无法确定。")
    assert section_texts(document, "（一）项目资金使用及管理情况")[0].startswith("自评表未填写本年度项目资金的预算数和执行数。【请核实：")
    indicators = section_texts(document, "（三）绩效指标完成情况分析")
    assert indicators == ["自评表尚未填写三级绩效指标。【请核实：请在自评表中填写三级指标、指标值、分值和得分】"
                          "预算执行率指标分值10分，因预算执行率无法计算，暂未评分。"]
    assert styled(document, "落款") + styled(document, "成文日期") == ["【待补充：单位名称】", _date_line()]


def test_header_only_form_sentences(partial_reports):
    document = partial_reports["header"]
    assert section_texts(document, "一、项目概况")[1] == "本项目主管部门为示例县交通运输局，实施单位为示例县公路事务中心。"
    assert section_texts(document, "三、综合评价结论")[0].startswith("经自评，城区道路维修项目的自评表尚未填写预算执行情况和绩效指标得分")
    assert section_texts(document, "（一）项目资金使用及管理情况")[0].startswith("自评表未填写2023年度项目资金的预算数和执行数。")
    assert styled(document, "落款") + styled(document, "成文日期") == ["示例县公路事务中心", _date_line()]


def test_funds_without_scores_sentences(partial_reports):
    document = partial_reports["funds"]
    assert section_texts(document, "三、综合评价结论")[0].startswith(
        "经自评，城区道路维修项目2023年度预算执行率为75%，总分因部分数值未填写或无法识别暂无法计算。【请核实：2 项三级指标")
    indicators = section_texts(document, "（三）绩效指标完成情况分析")
    assert indicators[0] == "本项目共设置三级绩效指标2项。预算执行率指标分值10分，得分7.5分（预算执行率75%）。"
    assert indicators[1:3] == ["1.产出指标：分值50分，尚未评分。", "2.效益指标：分值40分，尚未评分。"]
    assert indicators[3].startswith("有2项三级指标尚未评分：“维修道路里程”、“群众出行便利”。【请核实")
    problems = section_texts(document, "五、存在的问题和改进措施")
    assert problems[0] == "一是预算执行率为75%，全年预算数120万元，全年执行数90万元，尚有30万元未支出。【请核实】"
    assert problems[1] == "二是自评表填报不完整，有2项必填内容未填写。【请核实】"
    assert problems[-1].startswith("【待补充：针对上述问题的改进措施")


def test_seed_problems_are_drafted_from_the_data(partial_reports):
    problems = section_texts(partial_reports["seed"], "五、存在的问题和改进措施")
    assert problems[0].startswith("一是部分绩效指标未完全实现，5项指标共扣8分：“全市数据共融共享”（时效指标）扣2分【待补充：扣分原因】；")
    assert "；“简政放权”（社会效益指标）扣2分，各部门简政放权力度有待加强；" in problems[0] and problems[0].endswith("。【请核实】")
    assert not any("未支出" in p for p in problems)  # 100 % executed
    # one sentence per kind of error, as a unit writes it (no cells, no formulas: those are on the 校验 page)
    assert problems[1:3] == [
        "二是自评总分填报有误，按规则各项得分合计为102分，等级暂无法确定。【请核实】",
        "三是绩效指标分值设置不规范，“效益指标”标注30分，其下三级指标分值合计40分；预算执行率与各项指标分值合计110分，"
        "不等于100分；总分行的分值与各项分值合计不一致。【请核实】",
    ]
    at = problems.index("改进措施：")
    assert at == 3
    assert problems[at + 1:] == [
        "1.针对“全市数据共融共享”指标：进一步打通各部门政务数据，强化政务数据共享。【请核实】",
        "2.针对“简政放权”指标：应提高认识，加强简政放权力度。【请核实】",
        "3.针对“节能情况”指标：进一步加强节能宣传，提高节能意识。【请核实】",
    ]


_CHECKER_WORDS = re.compile(r"单元格|[A-Z]{1,2}[0-9]{1,4}|min\(|×|请改正|请填写|应为")


@pytest.mark.parametrize("name", ["blank", "header", "funds", "seed"])
def test_drafted_problems_are_in_official_wording(partial_reports, name):
    """存在的问题 never pastes checker messages: no cell addresses, formulas or instructions, one
    sentence per kind (at most one per kind of error); a blank form gets the placeholder only."""
    problems = section_texts(partial_reports[name], "五、存在的问题和改进措施")
    drafted = [p for p in problems if re.match(r"^[一二三四五六七八九十]+是", p)]
    for text in drafted:
        assert not _CHECKER_WORDS.search(text), text
        assert text.count("。") == 1, text
    assert len(drafted) <= 2 + 6
    if name in ("blank", "header"):
        assert problems == ["【待补充：项目实施中存在的问题（可在“报告信息”工作表中填写“存在的问题”）】",
                            "【待补充：针对上述问题的改进措施（可在“报告信息”工作表中填写“改进措施”）】"]


def test_each_kind_of_recomputed_value_is_told_with_its_corrected_value(tmp_path):
    from typedforms import department_rows, write_form

    rows, merges = department_rows()
    context = build_context(check(read_form(write_form(tmp_path / "部门整体.xlsx", rows, merges))))
    texts = [re.sub("<[^>]+>", "", p.xml) for p in context["problems"]]
    assert texts[1] == "二是预算执行率、预算执行率得分、自评总分填报有误，已按规则分别更正为80%、8分、98分。【请核实】"


def test_report_info_problems_win_over_the_draft(info_form, tmp_path):
    problems = section_texts(report_of(info_form, tmp_path), "五、存在的问题和改进措施")
    assert problems[0].startswith("一是数据资源共享方面") and not any("【请核实】" in p for p in problems)


def test_form_text_loses_stray_punctuation_at_joins(partial_reports):
    text = body_text(partial_reports["seed"])
    assert "提升益阳市的整体城市发展水平”，实际完成值" in text
    assert "发展水平，”" not in text


def test_signature_follows_the_annex_note(partial_reports):
    document = partial_reports["seed"]
    texts = [p.text for p in document.paragraphs]
    at = texts.index("附件：2020年度项目支出绩效自评表")
    assert [t for t in texts[at + 1:at + 5] if t] == ["益阳市智慧城市和大数据中心", _date_line()]
    style = document.styles["落款"]
    assert style.paragraph_format.alignment == 2  # right
    assert style.element.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"


def test_date_line_is_written_in_full():
    import datetime as dt

    assert _date_line(dt.date(2021, 3, 5)) == "2021年3月5日"


def _twips_needed(text: str) -> int:
    return max(int(sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in line) * 180) for line in text.split("\n")) + 114


@pytest.mark.parametrize("name", ["blank", "funds", "seed"])
def test_annex_columns_fit_numbers_and_labels_on_one_line(partial_reports, name):
    document = partial_reports[name]
    header, indicators = document.tables
    grid = [int(col.get(qn("w:w"))) for col in header._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(grid) == 8844
    assert grid[7] >= _twips_needed("100.00%") and grid[7] >= _twips_needed("95.83%")
    assert grid[0] + grid[1] >= _twips_needed("年度总体目标")
    for row in header.rows:
        label = row.cells[2].text
        if label.startswith("其中"):
            assert label == "其中：\n当年财政拨款"
            assert grid[2] >= _twips_needed(label)
    for row in indicators.rows[1:-1]:
        assert grid[2] >= _twips_needed(row.cells[2].text)  # 二级指标 breaks only between words


def test_clean_form_rates_fit(clean_form, tmp_path):
    document = report_of(clean_form, tmp_path)
    grid = [int(col.get(qn("w:w"))) for col in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    rates = [row.cells[7].text for row in document.tables[0].rows if "%" in row.cells[7].text]
    assert "95.83%" in rates and all(grid[7] >= _twips_needed(rate) for rate in rates)


def test_annex_heading_keeps_with_the_table(seed_report):
    for style in ("附件标注", "附件标题"):
        assert seed_report.styles[style].paragraph_format.keep_with_next
    header = seed_report.tables[0]
    for row in header.rows:
        for cell in row.cells:
            assert cell.paragraphs[0].paragraph_format.keep_with_next  # the whole header block moves with it


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


@pytest.fixture(scope="module")
def printed_reports(tmp_path_factory) -> dict[str, list[str]]:
    """The reports of the seed, the clean sample, a blank form and a department form, printed by
    LibreOffice (one run for all four) and read back page by page with pdftotext."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice/poppler not installed")
    sys.path.insert(0, str(ROOT / "docs"))
    import make_images
    from helpers import partial_forms

    folder = tmp_path_factory.mktemp("printed")
    forms = {**partial_forms(folder), "clean": ROOT / "samples" / "2021年度示例项目绩效自评表（无误）.xlsx",
             "department": ROOT / "samples" / "2022年度某县农业农村局部门整体支出绩效自评表.xlsx"}
    reports = []
    for name in ("seed", "clean", "blank", "department"):
        reports.append(folder / f"{name}_report.docx")
        write_report(check(read_form(forms[name])), reports[-1])
    pdfs = make_images.to_pdfs(reports, folder, dict(__import__("os").environ))
    return {name: [page.replace(" ", "") for page in make_images.page_texts(pdf)]
            for name, pdf in zip(("seed", "clean", "blank", "department"), pdfs)}


@pytest.mark.office
@pytest.mark.parametrize("name", ["seed", "clean", "blank", "department"])
def test_printed_signature_shares_its_page_with_the_body(printed_reports, name):
    """GB/T 9704: the 落款 is never alone on a page; the page that holds it holds the end of the 正文 too."""
    pages = printed_reports[name]
    [signed] = [page for page in pages if _date_line() in page]
    lines = [line.strip() for line in signed.splitlines() if line.strip()]
    at = next(i for i, line in enumerate(lines) if line.startswith("附件："))
    body = [line for line in lines[:at] if not _HEADING.match(line)]
    assert len(body) >= 2, signed  # two lines of 正文 at least (widow control), not a heading alone
    assert lines[at + 1:at + 3][-1] == _date_line(), lines[at:]  # 附件说明, unit, date, nothing between


@pytest.mark.office
@pytest.mark.parametrize("name", ["seed", "blank"])
def test_printed_annex_heading_shares_its_page_with_the_table(printed_reports, name):
    """Through LibreOffice: the 附件 heading is never alone on a page, labels stay whole."""
    [annex] = [page for page in printed_reports[name] if page.lstrip().startswith("附件\n")]
    assert "项目名称" in annex and "年度总体目标" in annex and "当年财政拨款" in annex
