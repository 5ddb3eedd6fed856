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

from perfxl.formbuilder import build_workbook
from perfxl.summary import CHART_SHEET, COLUMNS, DEPARTMENT_COLUMNS, DEPARTMENT_SHEET, SHEET_NAME
from perfxl.templates import blank_form_bytes

FORMULA_DEPARTMENT = '=HYPERLINK("http://example.com","点我")'


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
    build_workbook(odd).save(folder / "g_公式部门.xlsx")
    return folder


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> Path:
    import make_samples
    from typer.testing import CliRunner

    from perfxl.cli import app

    base = tmp_path_factory.mktemp("summary")
    folder = _folder(base / "收件", make_samples.clean_spec())
    result = CliRunner().invoke(app, ["fill", str(folder), "-o", str(base / "结果"), "--no-report", "--jobs", "1"])
    assert result.exit_code in (1, 2), result.output
    return base / "结果" / "汇总.xlsx"


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]


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
    budgets = [r["全年预算数"] for r in forms if r["全年预算数"] is not None]
    executed = [r["全年执行数"] for r in forms if r["全年执行数"] is not None]
    assert total["全年预算数"] == pytest.approx(sum(budgets)) == 1200 + 800 + 918 * 2 + 1200
    assert total["全年执行数"] == pytest.approx(sum(executed)) == 1150 + 600 + 918 * 2 + 1150
    assert total["执行率"] == pytest.approx(round(sum(executed) / sum(budgets), 4))
    graded = [r["总分（重算）"] for r in forms if r["等级"] in ("优", "良", "中", "差")]
    assert len(graded) == 3 and total["总分（重算）"] == pytest.approx(round(sum(graded) / 3, 2))
    assert ws.cell(ws.max_row, COLUMNS.index("总分（重算）") + 1).number_format == '"平均 "0.00'
    assert total["等级"] == "优 2，良 1，中 0，差 0，待定 3"
    assert total["状态"] == "通过 2，有错误 4，无法读取 1"
    assert total["错误数"] == sum(r["错误数"] or 0 for r in forms)
    assert ws.auto_filter.ref.endswith(str(ws.max_row - 1))


def test_department_sheet_is_a_groupby_of_the_forms(summary):
    wb = openpyxl.load_workbook(summary)
    assert tuple(c.value for c in wb[DEPARTMENT_SHEET][1]) == DEPARTMENT_COLUMNS
    table = {r["主管部门"]: r for r in _rows(wb[DEPARTMENT_SHEET])}
    forms = [r for r in _rows(wb[SHEET_NAME])[:-1] if not r["状态"].startswith("无法读取")]
    names = [name for name in table if not name.startswith("合计")]
    assert names == sorted(names[:-1]) + ["（未填写主管部门）"]  # sorted, the blank form's last
    seed = table["益阳市行政审批服务局"]
    assert (seed["项目数"], seed["全年预算数"], seed["全年执行数"], seed["执行率"]) == (2, 1836, 1836, 1)
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
    assert total["项目数"] == 6 and total["全年预算数"] == _rows(wb[SHEET_NAME])[-1]["全年预算数"]


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
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(summary)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "汇总.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == 3  # 汇总, 按主管部门, 图表: each one page here
    assert "第 1 页，共 3 页" in pages[0] and "合计（7 个文件" in pages[0]
    assert "益阳市行政审批服务局" in pages[1] and "合计（5 个主管部门）" in pages[1]
    assert "自评等级分布" in pages[2] and "各主管部门预算执行率" in pages[2]


def test_summary_of_nothing_readable(tmp_path):
    from perfxl.batch import FileRecord
    from perfxl.summary import write_summary

    broken = FileRecord(tmp_path / "坏.xlsx", label="坏.xlsx", error_code="not-a-workbook", error_message="坏.xlsx 不是 Excel 工作簿。")
    wb = openpyxl.load_workbook(write_summary([broken], tmp_path))
    assert wb.sheetnames == [SHEET_NAME, DEPARTMENT_SHEET, CHART_SHEET]
    assert _rows(wb[SHEET_NAME])[-1]["状态"] == "通过 0，有错误 0，无法读取 1"
    assert [r["主管部门"] for r in _rows(wb[DEPARTMENT_SHEET])] == ["合计（0 个主管部门）"]
