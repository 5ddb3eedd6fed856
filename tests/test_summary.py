"""汇总.xlsx as a 财政局 prints and reads it: page setup, the 合计 row, the 按主管部门 sheet (pandas)
and the charts, with text from forms kept as text."""

from __future__ import annotations

import copy
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, SEED

from perfxl.write.formbuilder import build_workbook
from perfxl.batch.summary import CHART_SHEET, COLUMNS, DEPARTMENT_COLUMNS, DEPARTMENT_SHEET, SHEET_NAME
from perfxl.templates import blank_form_bytes

FORMULA_DEPARTMENT = '=HYPERLINK("http://example.com","点我")'
LONG_NAME = "g_公式部门（名称很长的一份自评表，打印时也要整个印出来）"


def _folder(folder: Path, clean_spec) -> Path:
    """Three departments: two clean forms (优, 良), the seed twice (待定), a blank form, a broken file."""
    folder.mkdir(parents=True)
    shutil.copy(CLEAN, folder / "a_优.xlsx")
    good = copy.deepcopy(clean_spec)
    good.project, good.department = "背街小巷整治项目", "示例市城市管理局"
    good.funds = dict(good.funds, funds_total=(500, 800, 600, 10, 0.75, 7.5))
    good.blocks[0][0].score = 2  # 10 → 2: 良 (82.36 … after the rate score)
    good.blocks[0][0].deviation = "部分小巷施工延期，下一步加快进度"
    good.total_score = None
    build_workbook(good).save(folder / "b_良.xlsx")
    shutil.copy(SEED, folder / "c_种子.xlsx")
    shutil.copy(SEED, folder / "d_种子副本.xlsx")
    (folder / "e_空白.xlsx").write_bytes(blank_form_bytes())
    (folder / "f_坏文件.xlsx").write_bytes(b"not a workbook")
    odd = copy.deepcopy(clean_spec)
    odd.department = FORMULA_DEPARTMENT
    build_workbook(odd).save(folder / f"{LONG_NAME}.xlsx")
    return folder


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> Path:
    import make_samples
    from typer.testing import CliRunner

    from perfxl.cli.main import app

    base = tmp_path_factory.mktemp("summary")
    folder = _folder(base / "收件", make_samples.clean_spec())
    result = CliRunner().invoke(app, ["fill", str(folder), "-o", str(base / "结果"), "--no-report", "--jobs", "1"])
    assert result.exit_code in (1, 2), result.output
    return base / "结果" / "汇总.xlsx"


def _rows(ws) -> list[dict]:
    """The rows of a sheet up to its 合计 row (included), keyed by header (line breaks removed)."""
    header = [c.value.replace("\n", "") for c in ws[1]]
    rows = []
    for row in ws.iter_rows(min_row=2):
        rows.append(dict(zip(header, (c.value for c in row))))
        if str(row[0].value).startswith("合计"):
            break
    return rows


def _counts(ws) -> dict[str, dict]:
    """The counts below the 合计 row of 汇总: {等级: {优: 2, …}, 状态: {通过: 2, …}}, one cell each."""
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=len(_rows(ws)) + 2)]
    values = [row for row in values if any(v is not None for v in row)]
    counts = {}
    for names, numbers in zip(values[::2], values[1::2]):
        assert numbers[0] == "份数"
        counts[names[0]] = {name: number for name, number in zip(names[1:], numbers[1:]) if name is not None}
    return counts


def test_sheets(summary):
    assert openpyxl.load_workbook(summary).sheetnames == [SHEET_NAME, DEPARTMENT_SHEET, CHART_SHEET]


@pytest.mark.parametrize("sheet", [SHEET_NAME, DEPARTMENT_SHEET, CHART_SHEET])
def test_every_sheet_prints_on_a4_landscape_one_page_wide(summary, sheet):
    ws = openpyxl.load_workbook(summary)[sheet]
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == (1 if sheet == CHART_SHEET else 0)
    assert ws.print_title_rows == "$1:$1"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def test_status_wraps_in_its_own_cell(summary):
    ws = openpyxl.load_workbook(summary)[SHEET_NAME]
    status = COLUMNS.index("状态") + 1
    broken = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "f_坏文件.xlsx")
    cell = broken[status - 1]
    assert cell.value.startswith("无法读取：") and cell.alignment.wrap_text
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(status)].width
    assert width <= 30 and ws.row_dimensions[cell.row].height >= 30  # the row grows instead of the text spilling


def test_totals_row(summary):
    ws = openpyxl.load_workbook(summary)[SHEET_NAME]
    rows = _rows(ws)
    forms, total = rows[:-1], rows[-1]
    assert total["文件"] == "合计（7 个文件，6 份自评表）"
    budgets = [r["全年预算数（万元）"] for r in forms if r["全年预算数（万元）"] is not None]
    executed = [r["全年执行数（万元）"] for r in forms if r["全年执行数（万元）"] is not None]
    assert total["全年预算数（万元）"] == pytest.approx(sum(budgets)) == 1200 + 800 + 918 * 2 + 1200
    assert total["全年执行数（万元）"] == pytest.approx(sum(executed)) == 1150 + 600 + 918 * 2 + 1150
    assert total["执行率"] == pytest.approx(round(sum(executed) / sum(budgets), 4))
    graded = [r["总分（重算）"] for r in forms if r["等级"] in ("优", "良", "中", "差")]
    assert len(graded) == 3 and total["总分（重算）"] == pytest.approx(round(sum(graded) / 3, 2))
    assert ws.cell(len(rows) + 1, COLUMNS.index("总分（重算）") + 1).number_format == '"平均 "0.00'
    # counts in cells of their own below the 合计 row (a sentence of counts wrapped and was cut when printed)
    assert total["等级"] is None and total["状态"] is None
    assert _counts(ws) == {"等级": {"优": 2, "良": 1, "中": 0, "差": 0, "待定": 3}, "状态": {"通过": 2, "有错误": 4, "无法读取": 1}}
    assert total["错误数"] == sum(r["错误数"] or 0 for r in forms)
    assert ws.auto_filter.ref.endswith(str(len(rows)))


def test_amount_headers_say_their_unit(summary):
    wb = openpyxl.load_workbook(summary)
    for sheet in (SHEET_NAME, DEPARTMENT_SHEET):
        headers = [c.value for c in wb[sheet][1]]
        assert "全年预算数\n（万元）" in headers and "全年执行数\n（万元）" in headers, sheet


def test_one_font_and_every_row_sized_to_its_text(summary):
    """宋体 everywhere (header, links, the 合计 row included); each row as high as its wrapped text."""
    from perfxl.numbers import text_width
    from perfxl.batch.summary import FONT_NAME

    wb = openpyxl.load_workbook(summary)
    for ws in wb.worksheets:
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
        assert fonts == {FONT_NAME}, (ws.title, fonts)
    ws = wb[SHEET_NAME]
    for row in ws.iter_rows(max_row=ws.max_row):
        height = ws.row_dimensions[row[0].row].height
        assert height, row[0].row  # LibreOffice draws a row without a height one line high, whatever it holds
        for cell in row:
            if isinstance(cell.value, str) and cell.alignment.wrap_text and cell.hyperlink is None:
                width = ws.column_dimensions[cell.column_letter].width
                lines = sum(max(1, -(-text_width(part) // int(width))) for part in cell.value.split("\n"))
                assert height >= lines * 14, (cell.coordinate, cell.value, height)
    [long_row] = [row for row in ws.iter_rows(min_row=2) if str(row[0].value).startswith("g_公式部门")]
    assert long_row[0].hyperlink is None and long_row[0].alignment.wrap_text  # a link would not wrap in LibreOffice
    assert long_row[COLUMNS.index("原表")].hyperlink.target == f"../收件/{LONG_NAME}.xlsx"


def test_department_sheet_is_a_groupby_of_the_forms(summary):
    wb = openpyxl.load_workbook(summary)
    assert tuple(c.value.replace("\n", "") for c in wb[DEPARTMENT_SHEET][1]) == DEPARTMENT_COLUMNS
    table = {r["主管部门"]: r for r in _rows(wb[DEPARTMENT_SHEET])}
    forms = [r for r in _rows(wb[SHEET_NAME])[:-1] if not r["状态"].startswith("无法读取")]
    names = [name for name in table if not name.startswith("合计")]
    assert names == [FORMULA_DEPARTMENT, "示例市城市管理局", "示例市住房和城乡建设局", "益阳市行政审批服务局", "（未填写主管部门）"]  # pinyin
    seed = table["益阳市行政审批服务局"]
    assert (seed["项目数"], seed["全年预算数（万元）"], seed["全年执行数（万元）"], seed["执行率"]) == (2, 1836, 1836, 1)
    assert seed["平均分"] is None and seed["待定"] == 2 and seed["有错误的表"] == 2
    housing = table["示例市住房和城乡建设局"]
    assert (housing["项目数"], housing["优"], housing["有错误的表"]) == (1, 1, 0)
    assert housing["执行率"] == pytest.approx(round(1150 / 1200, 4))
    city = table["示例市城市管理局"]
    assert city["良"] == 1 and city["执行率"] == 0.75
    for name in names:
        mine = [r for r in forms if (r["主管部门"] or "（未填写主管部门）") == name]
        assert table[name]["项目数"] == len(mine)
        assert sum(table[name][g] for g in ("优", "良", "中", "差", "待定")) == len(mine)
    total = table["合计（5 个主管部门）"]
    assert total["项目数"] == 6 and total["全年预算数（万元）"] == _rows(wb[SHEET_NAME])[-1]["全年预算数（万元）"]
    for name in ("项目数", "部门整体表", "优", "良", "中", "差", "待定", "有错误的表"):  # the 合计 adds up as printed
        assert total[name] == sum(table[n][name] for n in names), name


def test_department_text_stays_text(summary):
    wb = openpyxl.load_workbook(summary)
    [cell] = [row[0] for row in wb[DEPARTMENT_SHEET].iter_rows(min_row=2) if row[0].value == FORMULA_DEPARTMENT]
    assert cell.data_type == "s"
    with zipfile.ZipFile(summary) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name


def test_charts_show_grades_and_rates_by_department(summary):
    with zipfile.ZipFile(summary) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))
        assert len(charts) == 2
        grades, rates = (archive.read(name).decode("utf-8") for name in charts)
    assert "自评等级分布" in grades and "'图表'!$B$2:$B$6" in grades and "'图表'!$A$2:$A$6" in grades
    assert "各主管部门预算执行率" in rates and "'按主管部门'!$F$2:$F$6" in rates and "'按主管部门'!$A$2:$A$6" in rates
    for xml in (grades, rates):
        assert '<c:delete val="1"/>' not in xml  # axes shown
    ws = openpyxl.load_workbook(summary)[CHART_SHEET]
    assert [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2, max_row=6)] == [("优", 2), ("良", 1), ("中", 0), ("差", 0), ("待定", 3)]


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None, reason="LibreOffice/poppler not installed")
def test_summary_prints_through_libreoffice(summary, tmp_path):
    """Printed: three pages, the 合计 and the counts below it whole, a long file name whole (wrapped)."""
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(summary)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "汇总.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == 3  # 汇总, 按主管部门, 图表: each one page here
    assert "第 1 页，共 3 页" in pages[0] and "合计（7 个文件" in pages[0]
    lines = [line.split() for line in pages[0].splitlines()]
    assert ["等级", "优", "良", "中", "差", "待定"] in lines and ["份数", "2", "1", "0", "0", "3"] in lines
    assert ["状态", "通过", "有错误", "无法读取"] in lines and ["份数", "2", "4", "1"] in lines
    first_column = "".join(line.split()[0] for line in pages[0].splitlines() if line[:1].strip())
    assert f"{LONG_NAME}.xlsx" in first_column  # wrapped over two lines, nothing cut
    assert "益阳市行政审批服务局" in pages[1] and "合计（5 个主管部门）" in pages[1]
    assert "自评等级分布" in pages[2] and "各主管部门预算执行率" in pages[2]


def _record(name: str, department: str, kind: str = "project", grade: str = "优", errors: int = 0):
    from perfxl.batch.records import FileRecord, FormRow

    form = FormRow(sheet="自评表", project=name, department=department, budget=100.0, executed=90.0, rate=0.9,
                   score_stated=None, score_computed=95.0, grade=grade, errors=errors, warnings=0, ok=not errors, kind=kind)
    return FileRecord(Path(f"{name}.xlsx"), forms=[form])


def test_department_totals_add_up_with_department_forms_and_sort_by_pinyin(tmp_path):
    """The 合计 row of 按主管部门 is the sum of its columns (项目数 and 部门整体表 apart); departments in
    pinyin order (某 mǒu < 示 shì < 益 yì; code points would give 某 < 益 < 示)."""
    from perfxl.batch.summary import write_summary

    records = [_record("甲", "益阳市财政局"), _record("乙", "示例市城市管理局", grade="良", errors=2),
               _record("丙", "某县农业农村局", kind="department"), _record("丁", "某县农业农村局"),
               _record("戊", "Zeta 局"), _record("己", "")]
    wb = openpyxl.load_workbook(write_summary(records, tmp_path))
    table = _rows(wb[DEPARTMENT_SHEET])
    assert [r["主管部门"] for r in table] == ["某县农业农村局", "示例市城市管理局", "益阳市财政局", "Zeta 局", "（未填写主管部门）",
                                          "合计（5 个主管部门）"]
    total = table[-1]
    assert (total["项目数"], total["部门整体表"], total["优"], total["良"], total["有错误的表"]) == (5, 1, 5, 1, 1)
    for name in ("项目数", "部门整体表", "优", "良", "中", "差", "待定", "有错误的表"):
        assert total[name] == sum(r[name] for r in table[:-1]), name
    assert table[0]["项目数"] == 1 and table[0]["部门整体表"] == 1


def test_summary_of_nothing_readable(tmp_path):
    from perfxl.batch.records import FileRecord
    from perfxl.batch.summary import write_summary

    broken = FileRecord(tmp_path / "坏.xlsx", label="坏.xlsx", error_code="not-a-workbook", error_message="坏.xlsx 不是 Excel 工作簿。")
    wb = openpyxl.load_workbook(write_summary([broken], tmp_path))
    assert wb.sheetnames == [SHEET_NAME, DEPARTMENT_SHEET, CHART_SHEET]
    assert _counts(wb[SHEET_NAME])["状态"] == {"通过": 0, "有错误": 0, "无法读取": 1}
    assert [r["主管部门"] for r in _rows(wb[DEPARTMENT_SHEET])] == ["合计（0 个主管部门）"]
