"""The 部门整体支出绩效自评表: recognised by its title and labels, read with its two breakdowns of money.

Forms typed cell by cell in the layouts the 财政部 template and its provincial copies use.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from helpers import check_json, codes, section_texts
from typedforms import blank_department_rows, department_rows, half_filled_department_rows, inline_rows, write_form


def test_department_form_is_recognised_and_its_real_mistake_found(tmp_path, run_cli):
    """The published mistake: about 80 % executed, printed as 100 % and scored 10/10 — and nothing else."""
    rows, merges = department_rows()
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    form = doc["form"]
    assert form["kind"] == "department"
    assert (form["unit"], form["department"], form["project"], form["year"]) == ("某县农业农村局", "某县农业农村局", None, 2022)
    funds = form["funds"]
    assert (funds["budget"], funds["executed"], funds["rate"], funds["score"]) == (2000, 1600, 0.8, 8)
    assert sorted(codes(doc)) == [("budget-score-mismatch", "H5"), ("rate-mismatch", "G5"), ("total-mismatch", "H19")]
    assert [i["level3"] for i in form["indicators"]] == ["高标准农田建设面积", "项目验收合格率", "农业综合生产能力", "服务对象满意度"]
    text = run_cli("check", tmp_path / "部门整体.xlsx").stdout
    assert "部门整体支出绩效自评表" in text and "项目名称" not in text


def test_each_breakdown_is_checked_against_the_total_and_each_other(tmp_path, run_cli):
    rows, merges = department_rows(expenditure=[("基本支出", (1200, 1250, 1100)), ("项目支出", (700, 700, 500))])
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    found = codes(doc)
    # 支出 side: 1250 + 700 = 1950 ≠ 2000 (全年预算数); 收入 side adds up (1850 + 100 + 50 = 2000)
    assert ("funds-sum-mismatch", "D5") in found
    assert ("breakdowns-disagree", "D10") in found
    mismatch = next(f for f in doc["findings"] if f["code"] == "funds-sum-mismatch")
    assert "按支出性质分" in mismatch["message"] and (mismatch["expected"], mismatch["actual"]) == (1950, 2000)
    assert not [f for f in doc["findings"] if f["code"] == "funds-sum-mismatch" and "按收入性质分" in f["message"]]


def test_inline_amounts_under_side_by_side_headings(tmp_path, run_cli):
    rows, merges = inline_rows()
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    assert doc["form"]["kind"] == "department"
    assert (doc["form"]["department"], doc["form"]["unit"]) == ("某市文化和旅游局", "某市文化和旅游局")
    assert doc["form"]["funds"]["rate"] == 1.0
    assert codes(doc) == [], codes(doc)


def test_inline_breakdowns_that_disagree(tmp_path, run_cli):
    rows, merges = inline_rows(expenditure_amounts=("1500万元", "400万元"))
    doc = check_json(run_cli, write_form(tmp_path / "部门整体.xlsx", rows, merges))
    found = codes(doc)
    assert ("funds-sum-mismatch", "F6") in found  # 1500 + 400 = 1900: neither 全年预算数 nor 全年执行数 (1973.66)
    assert ("breakdowns-disagree", "F6") in found  # 收入 1973.66 against 支出 1900
    assert ("funds-sum-mismatch", "B6") not in found


def test_a_basic_data_sheet_is_kept_and_not_read(tmp_path, run_cli):
    rows, merges = department_rows(total=(1900, 2000, 1600, 10, "80%", 8))
    rows[18][7] = 98  # 总分: 8 + 90
    path = write_form(tmp_path / "部门整体.xlsx", rows, merges)
    wb = openpyxl.load_workbook(path)
    data = wb.create_sheet("基础数据表")
    for row in (["部门整体支出绩效自评基础数据表"], ["财政供养人员情况", "编制数", "实有人数"], ["", 120, 118], ["三公经费", "预算数", "决算数"], ["", 35.5, 30.2]):
        data.append(row)
    wb.save(path)
    result = run_cli("check", path, "--format", "json")
    [doc] = json.loads(result.stdout)
    assert doc["sheet"] == "自评表" and doc["ok"] is True, result.stdout


@pytest.mark.parametrize("title, says", [
    ("2023年度项目绩效目标申报表", "绩效目标申报表"),
    ("部门整体支出绩效自评基础数据表", "基础数据表"),
])
def test_a_form_of_neither_kind_is_refused_with_what_it_looks_like(tmp_path, run_cli, title, says):
    rows = [[title], ["项目名称", "某项目"], ["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "培训人次", "≥100人次"]]
    path = write_form(tmp_path / "其他表.xlsx", rows)
    result = run_cli("check", path)
    assert result.exit_code == 2
    out = result.stdout + result.stderr
    assert says in out and "其他表.xlsx" in out and "自评表" in out


def test_a_department_form_without_its_indicator_table_says_so(tmp_path, run_cli):
    """Its title says 部门整体支出绩效自评表; a 基础数据表 sheet beside it must not be what the refusal names."""
    rows, merges = department_rows()
    cut = next(i for i, row in enumerate(rows) if row[0] == "绩效指标")
    path = write_form(tmp_path / "部门整体.xlsx", rows[:cut], [m for m in merges if int(m.split(":")[1][1:]) <= cut])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("基础数据表").append(["部门整体支出绩效自评基础数据表"])
    wb.save(path)
    result = run_cli("check", path)
    assert result.exit_code == 2
    out = result.stdout + result.stderr
    assert "题为《部门整体支出绩效自评表》，但表中没有找到绩效指标表" in out and "基础数据表" not in out


def _mixed_folder(tmp_path: Path) -> Path:
    """A folder with a consistent department form (80 % executed, scored 8) and the clean project sample."""
    import shutil

    from conftest import CLEAN

    folder = tmp_path / "收件"
    folder.mkdir()
    rows, merges = department_rows(total=(1900, 2000, 1600, 10, "80%", 8))
    rows[18][7] = 98
    write_form(folder / "部门整体.xlsx", rows, merges)
    shutil.copy(CLEAN, folder / "项目.xlsx")
    return folder


def test_summary_lists_department_forms_with_their_kind(tmp_path, run_cli):
    folder = _mixed_folder(tmp_path)
    result = run_cli("fill", folder, "-o", tmp_path / "结果", "--no-report", "--jobs", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    wb = openpyxl.load_workbook(tmp_path / "结果" / "汇总.xlsx")
    header = [c.value for c in wb["汇总"][1]]
    lines = {row[0]: dict(zip(header, row)) for row in wb["汇总"].iter_rows(min_row=2, values_only=True) if not str(row[0]).startswith("合计")}
    assert (lines["部门整体.xlsx"]["类型"], lines["部门整体.xlsx"]["项目名称"]) == ("部门整体", "某县农业农村局")
    assert lines["项目.xlsx"]["类型"] == "项目"
    dep_header = [c.value for c in wb["按主管部门"][1]]
    by_department = {row[0]: dict(zip(dep_header, row)) for row in wb["按主管部门"].iter_rows(min_row=2, values_only=True)}
    assert (by_department["某县农业农村局"]["项目数"], by_department["某县农业农村局"]["部门整体表"]) == (0, 1)
    findings_sheet = openpyxl.load_workbook(tmp_path / "结果" / "部门整体_自评结果.xlsx")["校验结果"]
    assert "部门整体支出绩效自评表" in " ".join(str(c.value) for c in findings_sheet["A"][:4])


# ---------------------------------------------------------------- the Word 部门整体支出绩效自评报告

DEPARTMENT_SECTIONS = ["一、部门基本情况", "二、部门整体支出管理及使用情况", "三、绩效目标实现情况", "四、存在的问题及原因", "五、改进措施及建议"]
DEPARTMENT_SUBSECTIONS = ["（一）部门职能", "（二）机构设置及人员情况", "（一）预算收支及执行情况", "（二）资金管理情况",
                          "（一）总体目标完成情况", "（二）绩效指标完成情况", "（三）自评得分及等级"]


def _docx(path: Path):
    from docx import Document

    return Document(str(path))


def _styled(document, style: str) -> list[str]:
    return [p.text.replace("\n", "") for p in document.paragraphs if p.style.name == style]


def test_fill_writes_the_department_report(tmp_path, run_cli):
    rows, merges = department_rows()
    form = write_form(tmp_path / "部门整体.xlsx", rows, merges)
    result = run_cli("fill", form, "-o", tmp_path / "结果", "--jobs", "1")
    assert result.exit_code == 1, result.stdout + result.stderr  # the form's 100 % for 80 % is an error
    document = _docx(tmp_path / "结果" / "部门整体_自评报告.docx")
    assert _styled(document, "Title") == ["2022年度某县农业农村局部门整体支出绩效自评报告"]
    assert _styled(document, "Heading 1") == DEPARTMENT_SECTIONS
    assert _styled(document, "Heading 2") == DEPARTMENT_SUBSECTIONS
    assert document.core_properties.title == "2022年度某县农业农村局部门整体支出绩效自评报告"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "项目概况" not in text and "本项目" not in text

    money = section_texts(document, "（一）预算收支及执行情况")
    assert money[0] == ("2022年度，某县农业农村局年度资金总额年初预算数1900万元，全年预算数2000万元，全年执行数1600万元，"
                        "预算执行率80%，预算执行率得分8分（分值10分）。")
    assert money[1] == ("按收入性质分：一般公共预算全年预算数1850万元、全年执行数1500万元（执行率81.08%）；"
                        "政府性基金拨款全年预算数100万元、全年执行数60万元（执行率60%）；"
                        "纳入专户管理的非税收入拨款全年预算数50万元、全年执行数40万元（执行率80%）。")
    assert money[2] == ("按支出性质分：基本支出全年预算数1250万元、全年执行数1100万元（执行率88%）；"
                        "项目支出全年预算数750万元、全年执行数500万元（执行率66.67%）。")
    assert section_texts(document, "（一）总体目标完成情况") == ["部门年度总体目标：保障部门正常运转，完成农业农村重点工作。",
                                                       "实际完成情况：部门运转正常，重点工作按期完成。"]
    indicators = section_texts(document, "（二）绩效指标完成情况")
    assert indicators[0] == "本部门共设置三级绩效指标4项。预算执行率指标分值10分，得分8分（预算执行率80%）。"
    assert indicators[1] == "1.产出指标：分值50分，得分50分。其中，数量指标（30分）得30分，质量指标（20分）得20分。"
    [conclusion] = section_texts(document, "（三）自评得分及等级")
    assert conclusion.startswith("经自评，某县农业农村局部门整体支出2022年度预算执行率为80%，")
    assert "绩效自评得分98分，绩效评价等级为“优”。【请核实：自评表填写的总分为100分" in conclusion
    problems = section_texts(document, "四、存在的问题及原因")
    assert problems[0] == "一是预算执行率为80%，全年预算数2000万元，全年执行数1600万元，尚有400万元未支出。【请核实】"
    assert section_texts(document, "五、改进措施及建议")[0].startswith("【待补充：针对上述问题的改进措施及建议")
    assert section_texts(document, "（一）部门职能")[0].startswith("【待补充：部门主要职能职责")
    assert _styled(document, "附件标题") == ["2022年度部门整体支出绩效自评表"]
    assert "附件：2022年度部门整体支出绩效自评表" in text
    assert _styled(document, "落款")[0] == "某县农业农村局"

    header, table = document.tables
    cells = [[cell.text for cell in row.cells] for row in header.rows]
    assert cells[0][:3] == ["部门（单位）\n名称", "部门（单位）\n名称", "某县农业农村局"]
    by_label = {row[2].replace("\n", ""): row for row in cells}
    assert by_label["年度资金总额"][3:] == ["1900", "2000", "1600", "10", "80%", "8"]
    assert by_label["一般公共预算"][:2] == ["按收入性质分", "按收入性质分"] and by_label["一般公共预算"][3:6] == ["1800", "1850", "1500"]
    assert by_label["纳入专户管理的非税收入拨款"][0] == "按收入性质分" and by_label["纳入专户管理的非税收入拨款"][4:6] == ["50", "40"]
    assert by_label["基本支出"][:2] == ["按支出性质分", "按支出性质分"] and by_label["基本支出"][3:7] == ["1200", "1250", "1100", ""]
    assert by_label["项目支出"][3:8] == ["700", "750", "500", "", "66.67%"]
    order = [row[2].replace("\n", "") for row in cells[2:9]]
    assert order == ["年度资金总额", "一般公共预算", "政府性基金拨款", "纳入专户管理的非税收入拨款", "其他资金", "基本支出", "项目支出"]
    indicator_rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert [row[3] for row in indicator_rows[1:-1]] == ["高标准农田建设面积", "项目验收合格率", "农业综合生产能力", "服务对象满意度"]
    assert indicator_rows[-1][6:] == ["100", "98", "等级：优"]


def test_report_of_inline_amounts_and_disagreeing_breakdowns(tmp_path, run_cli):
    rows, merges = inline_rows(expenditure_amounts=("1500万元", "400万元"))
    form = write_form(tmp_path / "文旅局.xlsx", rows, merges)
    result = run_cli("report", form, "-o", tmp_path / "结果")
    assert result.exit_code == 1, result.stdout + result.stderr
    document = _docx(tmp_path / "结果" / "文旅局_自评报告.docx")
    assert _styled(document, "Title") == ["2021年度某市文化和旅游局部门整体支出绩效自评报告"]
    money = section_texts(document, "（一）预算收支及执行情况")
    assert money[1] == "按收入性质分：一般公共预算1873.66万元；政府性基金拨款100万元。"
    assert money[2].startswith("按支出性质分：基本支出1500万元；项目支出400万元。【请核实：按支出性质分各项合计与年度资金总额不一致】")
    assert "【请核实：按收入性质分与按支出性质分的合计不一致" in money[2]
    header = document.tables[0]
    by_label = {row.cells[2].text.replace("\n", ""): [cell.text for cell in row.cells] for row in header.rows}
    # an amount written after the label (its column not said) spans the amount columns
    assert by_label["一般公共预算"][3:] == ["1873.66万元"] * 6
    assert by_label["项目支出"][0] == "按支出性质分" and by_label["项目支出"][3] == "400万元"
    assert by_label["纳入专户管理的非税收入拨款"][3:] == [""] * 6


def test_report_info_feeds_the_department_sections(tmp_path, run_cli):
    rows, merges = department_rows(total=(1900, 2000, 1600, 10, "80%", 8))
    rows[18][7] = 98
    path = write_form(tmp_path / "部门整体.xlsx", rows, merges)
    wb = openpyxl.load_workbook(path)
    info = wb.create_sheet("报告信息")
    for row in (["项目", "内容"], ["部门职能", "负责全县农业农村经济发展规划。\n负责高标准农田建设。"],
                ["机构设置及人员情况", "内设股室8个，编制45名，实有42人。"], ["资金管理", "严格执行财务制度。"],
                ["存在的问题及原因", "项目支出执行进度偏慢。"], ["改进措施及建议", "加快项目实施进度。"]):
        info.append(row)
    wb.save(path)
    result = run_cli("report", path, "-o", tmp_path / "结果")
    assert result.exit_code == 0, result.stdout + result.stderr
    document = _docx(tmp_path / "结果" / "部门整体_自评报告.docx")
    assert section_texts(document, "（一）部门职能") == ["负责全县农业农村经济发展规划。", "负责高标准农田建设。"]
    assert section_texts(document, "（二）机构设置及人员情况") == ["内设股室8个，编制45名，实有42人。"]
    assert section_texts(document, "（二）资金管理情况") == ["严格执行财务制度。"]
    assert section_texts(document, "四、存在的问题及原因") == ["项目支出执行进度偏慢。"]
    assert section_texts(document, "五、改进措施及建议")[:2] == ["加快项目实施进度。", "附件：2022年度部门整体支出绩效自评表"]
    assert "【待补充" not in "\n".join(p.text for p in document.paragraphs)


def test_a_mixed_folder_gets_both_kinds_of_report(tmp_path, run_cli):
    folder = _mixed_folder(tmp_path)
    result = run_cli("fill", folder, "-o", tmp_path / "结果", "--jobs", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    department = _docx(tmp_path / "结果" / "部门整体_自评报告.docx")
    project = _docx(tmp_path / "结果" / "项目_自评报告.docx")
    assert _styled(department, "Heading 1") == DEPARTMENT_SECTIONS
    assert _styled(project, "Heading 1")[0] == "一、项目概况"
    assert _styled(project, "Title")[0].endswith("项目绩效自评报告") and "部门整体" not in _styled(project, "Title")[0]
    assert _styled(project, "附件标题")[0].endswith("年度项目支出绩效自评表")


def test_template_option_still_overrides(tmp_path, run_cli):
    from perfxl.report.document import default_template

    rows, merges = department_rows()
    form = write_form(tmp_path / "部门整体.xlsx", rows, merges)
    run_cli("report", form, "--template", default_template(), "-o", tmp_path / "结果")
    document = _docx(tmp_path / "结果" / "部门整体_自评报告.docx")
    assert _styled(document, "Heading 1")[0] == "一、项目概况"  # the project template, as asked


def test_blank_and_half_filled_department_reports_read_right(tmp_path):
    import re

    from docx.oxml.ns import qn

    from perfxl.read.reader import read_form
    from perfxl.report.document import write_report
    from perfxl.checks.rules import check
    from helpers import BROKEN_JOINS

    for name, (rows, merges) in (("blank", blank_department_rows()), ("half", half_filled_department_rows())):
        form = write_form(tmp_path / f"{name}.xlsx", rows, merges)
        result = check(read_form(form))
        assert result.form.kind == "department"
        target = tmp_path / f"{name}_自评报告.docx"
        write_report(result, target)
        document = _docx(target)
        assert _styled(document, "Heading 1") == DEPARTMENT_SECTIONS
        for p in document.paragraphs:
            if p.style.name in ("校验说明", "校验说明标题"):
                continue
            for join in BROKEN_JOINS:
                assert join not in p.text, (name, join, p.text)
        marked = [run.text for p in document.paragraphs for run in p.runs if run._r.find(qn("w:rPr") + "/" + qn("w:highlight")) is not None]
        for p in document.paragraphs:
            for mark in re.findall(r"【(?:待补充|请核实)[^】]*】", p.text):
                assert mark in marked, (name, mark, p.text)
        [conclusion] = section_texts(document, "（三）自评得分及等级")
        assert "绩效评价等级暂无法确定" in conclusion and "【请核实：" in conclusion
        if name == "blank":
            assert _styled(document, "Title") == ["【待补充：年度】年度【待补充：部门名称】部门整体支出绩效自评报告"]
            assert section_texts(document, "（一）预算收支及执行情况")[0].startswith("自评表未填写本年度部门资金的预算数和执行数。【请核实：")
            assert conclusion.startswith("经自评，本部门整体支出的自评表尚未填写预算执行情况和绩效指标得分")
            assert _styled(document, "落款")[0] == "【待补充：单位名称】"
        else:
            money = section_texts(document, "（一）预算收支及执行情况")
            assert money[0].endswith("预算执行率80%，预算执行率得分8分（分值10分）。")
            assert money[2].startswith("按支出性质分：基本支出全年预算数1250万元")
            assert section_texts(document, "（二）绩效指标完成情况")[1] == "1.产出指标：分值50分，尚未评分。"
            assert conclusion.startswith("经自评，某县农业农村局部门整体支出2022年度预算执行率为80%，总分因部分数值未填写或无法识别暂无法计算。")


@pytest.mark.office
@pytest.mark.skipif(__import__("shutil").which("soffice") is None or __import__("shutil").which("pdftotext") is None,
                    reason="LibreOffice/poppler not installed")
def test_printed_department_report(tmp_path):
    """Through LibreOffice: the 附件 page holds the heading and both breakdowns, the 落款 is printed."""
    import subprocess

    from perfxl.read.reader import read_form
    from perfxl.report.context import _date_line
    from perfxl.report.document import write_report
    from perfxl.checks.rules import check

    rows, merges = department_rows()
    report = tmp_path / "部门整体_自评报告.docx"
    write_report(check(read_form(write_form(tmp_path / "部门整体.xlsx", rows, merges))), report)
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(report)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(report.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace(" ", "")
    pages = text.split("\f")
    assert "部门整体支出绩效自评报告" in pages[0] and "一、部门基本情况" in pages[0]
    [annex] = [page for page in pages if page.lstrip().startswith("附件\n")]
    for label in ("部门（单位）", "年度资金总额", "按收入性质分", "一般公共预算", "按支出性质分", "基本支出", "项目支出", "年度总体目标"):
        assert label in annex, label
    assert _date_line() in text and 4 <= len([p for p in pages if p.strip()]) <= 8


def test_department_report_amounts_in_wanyuan_when_the_form_uses_yuan(tmp_path):
    import re

    from perfxl.read.reader import read_form
    from perfxl.report.context import build_context
    from perfxl.checks.rules import check

    rows, merges = department_rows(total=(19000000, 20000000, 16000000, 10, "80%", 8),
                                   income=[("一般公共预算", (18000000, 18500000, 15000000)), ("政府性基金拨款", (1000000, 1500000, 1000000))],
                                   expenditure=[("其中：基本支出", (12000000, 12500000, 11000000)), ("项目支出", (7000000, 7500000, 5000000))])
    rows[3][0] = "年度预算申请（元）"
    context = build_context(check(read_form(write_form(tmp_path / "元.xlsx", rows, merges))))
    funds = [re.sub("<[^>]+>", "", paragraph.xml) for paragraph in context["funds"]]
    assert "全年预算数2000万元，全年执行数1600万元" in funds[0]
    assert funds[1] == "按收入性质分：一般公共预算全年预算数1850万元、全年执行数1500万元（执行率81.08%）；政府性基金拨款全年预算数150万元、全年执行数100万元（执行率66.67%）。"
    assert funds[2].startswith("按支出性质分：基本支出全年预算数1250万元")
