"""Read right or say so (issue 20): ordinary words never change the reading, every cell is accounted for.

Each case of the issue is a workbook typed cell by cell (tests/realforms.py writes at a cursor the way
a 财政部 template copy looks; ``write_form`` writes rows as given) — not perfxl's own form builder,
which shares the reader's vocabulary. Each asserts the reading and the exact findings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

import perfxl
import realforms as R
from conftest import CLEAN, SEED, WITH_INFO
from helpers import check_json, codes
from typedforms import write_form

import perfxl.read.labels as L

#: The clean form's reading, as a careful person reads it: 8 indicators, 总分 99.36.
CLEAN_NAMES = [name for name, _, _ in R.STD_EXPECTED]


def reading(doc: dict) -> tuple:
    form = doc["form"]
    return ([(i["level3"], i["target"], i["weight"], i["score"]) for i in form["indicators"]],
            form["total"]["score_computed"], form["total"]["weight"], form["grade"])


def read_one(path: Path):
    [result] = perfxl.check(path)
    return result


def std_doc(run_cli, tmp_path, rows, name="form.xlsx", **kwargs) -> tuple[dict, R.FormSheet]:
    form = R.standard_form(rows=rows, **kwargs)
    return check_json(run_cli, form.save(tmp_path / name)), form


# ---------------------------------------------------------------- words in name and note cells


def test_a_deviation_note_with_a_header_word_in_the_bundled_sample(tmp_path, run_cli):
    """督促施工单位加快进度 in I12 of the clean sample: 单位 made the first indicator row a sub-header."""
    path = Path(shutil.copy(CLEAN, tmp_path / "clean.xlsx"))
    wb = openpyxl.load_workbook(path)
    wb["自评表"]["I12"] = "督促施工单位加快进度"
    wb.save(path)
    doc = check_json(run_cli, path)
    assert [i["level3"] for i in doc["form"]["indicators"]][0] == "改造老旧小区数量"
    assert len(doc["form"]["indicators"]) == 8
    assert (doc["form"]["total"]["score_computed"], doc["form"]["total"]["weight"], doc["form"]["grade"]) == (99.36, 100, "优")
    assert codes(doc) == []
    result = run_cli("fill", path, "-o", tmp_path / "out", "--no-report")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = openpyxl.load_workbook(tmp_path / "out" / "clean_自评结果.xlsx")["自评表"]
    assert out["H20"].value == 99.36 and out["I12"].value == "督促施工单位加快进度"


@pytest.mark.parametrize("change", [
    {"dev": "督促施工单位加快进度"},
    {"l3": "参建单位数量"},
    {"dev": "度量单位：公里"},
    {"l3": "指标性质"},
])
def test_a_header_word_in_the_first_indicator_row_changes_nothing(tmp_path, run_cli, change):
    rows = R.std_rows()
    rows[0] = {**rows[0], **change}
    doc, _ = std_doc(run_cli, tmp_path, rows)
    names = [i["level3"] for i in doc["form"]["indicators"]]
    assert names == [change.get("l3", CLEAN_NAMES[0]), *CLEAN_NAMES[1:]]
    assert [i["target"] for i in doc["form"]["indicators"]][:2] == ["≥12处", "≥35公里"]
    assert reading(doc)[1:] == (99.36, 100, "优")
    assert codes(doc) == []


def test_a_name_that_says_target_does_not_move_the_target_column(tmp_path, run_cli):
    """年度目标任务完成率 (目标) in the row under the header: every target was read as the name, and the
    under-target full score went unflagged."""
    rows = R.std_rows()
    rows[0] = {**rows[0], "l3": "年度目标任务完成率", "target": "≥95%", "actual": "90%"}
    doc, _ = std_doc(run_cli, tmp_path, rows)
    assert [i["target"] for i in doc["form"]["indicators"]] == ["≥95%", "≥35公里", "100%", "12月底前完工", "≤1200万元", "≥3.2万人", "建立", "≥90%"]
    assert codes(doc) == [("full-but-incomplete", "H12")]
    assert doc["ok"]  # a warning: the score is the evaluator's, perfxl only points at it
    assert doc["form"]["indicators"][0]["rule_score"] == 9.47


def test_placeholders_written_with_a_colon_are_not_indicators(tmp_path, run_cli):
    out = R.OUT
    rows = R.std_rows()
    rows[2:2] = [dict(l1=out, l2="数量指标", l3="指标1："),
                 dict(l1=out, l2="数量指标", l3="指标2：/", target="/", actual="/", weight="/", score="/", dev="/")]
    doc, _ = std_doc(run_cli, tmp_path, rows)
    assert [i["level3"] for i in doc["form"]["indicators"]] == CLEAN_NAMES
    assert reading(doc)[1:] == (99.36, 100, "优")
    assert codes(doc) == []


# ---------------------------------------------------------------- merged scores, outline parents


def merged_pair_form(dev: str | None = None) -> R.FormSheet:
    """The first two indicators sharing one 分值 20 and one 得分 18, each merged over both rows."""
    rows = R.std_rows()
    rows[0] = {**rows[0], "weight": 20, "score": 18, "dev": dev}
    rows[1] = {**rows[1], "weight": None, "score": None}
    form = R.standard_form(rows=rows, total=(100, 97.36))
    first = form.rows["first_indicator"]
    for key in ("weight", "score"):
        col = form.ind_cols[key]
        form.ws.merge_cells(start_row=first, start_column=col, end_row=first + 1, end_column=col)
    return form


def test_a_score_merged_over_two_indicators_is_one_scored_group(tmp_path, run_cli):
    """分值 20 and 得分 18 merged over two 三级 rows: counted once, shown as one group."""
    doc = check_json(run_cli, merged_pair_form("管网施工受汛期影响").save(tmp_path / "merged.xlsx"))
    inds = doc["form"]["indicators"]
    assert [i["group"] for i in inds[:3]] == ["H12:H13", "H12:H13", None]
    assert (inds[0]["weight"], inds[0]["score"], inds[1]["weight"], inds[1]["score"]) == (20, 18, 20, 18)  # the group's numbers, on each member
    assert (doc["form"]["total"]["weight"], doc["form"]["total"]["score_computed"]) == (100, 97.36)
    assert doc["form"]["level1"][0]["weight"] == 50 and doc["form"]["level1"][0]["score"] == 48
    assert codes(doc) == [("score-grouped", "H12")]
    grouped = doc["findings"][0]
    assert "新建集中供水工程、改造供水管网长度" in grouped["message"] and "H12:H13" in grouped["message"]


def test_a_merged_score_group_still_needs_its_deviation(tmp_path, run_cli):
    doc = check_json(run_cli, merged_pair_form().save(tmp_path / "merged.xlsx"))
    assert codes(doc) == [("deviation-missing", "I12"), ("score-grouped", "H12")]


def outline_rows(parent_weight=15, parent_score=15):
    out = R.OUT
    std = R.std_rows()
    return [
        dict(l1=out, l2="数量指标", l3="一、示范区建立", target="建成", actual="已建成", weight=parent_weight, score=parent_score),
        dict(l1=out, l2="数量指标", l3="1、示范村个数", target="≥3个", actual="3个", weight=5, score=5),
        dict(l1=out, l2="数量指标", l3="2、示范户数", target="≥30户", actual="32户", weight=5, score=5),
        dict(l1=out, l2="数量指标", l3="3、培训人次", target="≥300人次", actual="320人次", weight=5, score=5),
        {**std[2], "weight": 15, "score": 15}, std[3], std[4], std[5], std[6], std[7],
    ]


def test_an_outline_parent_is_counted_once_through_its_children(tmp_path, run_cli):
    doc, _ = std_doc(run_cli, tmp_path, outline_rows())
    names = [i["level3"] for i in doc["form"]["indicators"]]
    assert names[:3] == ["1、示范村个数", "2、示范户数", "3、培训人次"] and "一、示范区建立" not in names
    assert doc["form"]["outline"] == [{"name": "一、示范区建立", "cell": "D12", "weight": 15, "score": 15, "children": [13, 14, 15]}]
    assert reading(doc)[1:] == (99.36, 100, "优")
    assert codes(doc) == []


def test_an_outline_parent_that_does_not_add_up_is_caught(tmp_path, run_cli):
    doc, _ = std_doc(run_cli, tmp_path, outline_rows(parent_weight=20, parent_score=12))
    assert codes(doc) == [("outline-sum-mismatch", "G12"), ("outline-sum-mismatch", "H12")]
    assert reading(doc)[1:] == (99.36, 100, "优")  # the children are what counts
    weight = doc["findings"][0]
    assert (weight["expected"], weight["actual"]) == (15, 20) and "第 13～15 行" in weight["message"]


# ---------------------------------------------------------------- the 四川 funds header


def sichuan_rows(rate="95.83%"):
    """四川 510000_0013zp: 预算执行情况（10分） down column A, 年度预算数（万元） over the row labels."""
    rows = [
        ["项目支出绩效自评表", None, None, None, None, None, None, None, None],
        ["项目名称", "农村饮水安全巩固提升工程", None, None, None, None, None, None, None],
        ["主管部门", "示例县水利局", None, None, "实施单位", "示例县农村供水管理站", None, None, None],
        ["预算执行情况（10分）", "年度预算数（万元）", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", None],
        [None, "年度资金总额", 1000, 1200, 1150, rate, 10, 9.58, None],
        [None, "其中：财政拨款", 1000, 1100, 1050, "95.45%", None, None, None],
        [None, "上年结转资金", None, 100, 100, "100%", None, None, None],
        [None, "其他资金", None, None, None, None, None, None, None],
        ["年度总体目标", "预期目标", None, None, None, "实际完成情况", None, None, None],
        [None, R.GOAL_EXPECTED, None, None, None, R.GOAL_ACTUAL, None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
    ]
    for r in R.std_rows():
        rows.append([None, r["l1"], r["l2"], r["l3"], r["target"], r["actual"], r["weight"], r["score"], r.get("dev")])
    rows.append(["总分", None, None, None, None, None, 100, 99.36, "优"])
    merges = ("A1:I1", "B2:I2", "B3:D3", "F3:I3", "A4:A8", "A9:A10", "B9:E9", "F9:I9", "B10:E10", "F10:I10", "A11:A19", "A20:F20")
    return rows, merges


def test_the_sichuan_funds_header_keeps_its_budget_column(tmp_path, run_cli):
    rows, merges = sichuan_rows()
    doc = check_json(run_cli, write_form(tmp_path / "sc.xlsx", rows, merges))
    funds = doc["form"]["funds"]
    assert (funds["budget"], funds["executed"], funds["initial"], funds["rate"], funds["weight"], funds["score"]) == (1200, 1150, 1000, 0.9583, 10, 9.58)
    assert codes(doc) == []


def test_the_sichuan_funds_header_catches_a_wrong_rate(tmp_path, run_cli):
    rows, merges = sichuan_rows(rate="98%")
    doc = check_json(run_cli, write_form(tmp_path / "sc.xlsx", rows, merges))
    assert codes(doc) == [("rate-mismatch", "F5")]


# ---------------------------------------------------------------- never correct toward an unknown


def test_a_blank_budget_is_never_corrected_toward(tmp_path, run_cli):
    """全年预算数 and 执行率 blank, 得分 10 stated: the total cannot be verified — no 应为 90."""
    fund_rows = R.std_fund_rows(score=10)
    fund_rows[0] = (fund_rows[0][0], [1000, None, 1150, 10, None, 10])
    fund_rows[1:] = [(label, [None] * 6) for label, _ in fund_rows[1:]]
    form = R.standard_form(fund_rows=fund_rows, total=(100, 99.78))
    path = form.save(tmp_path / "blank-budget.xlsx")
    doc = check_json(run_cli, path)
    total_row = form.rows["total"]
    assert codes(doc) == [("required-missing", "E5"), ("cannot-verify", f"H{total_row}")]
    assert doc["form"]["total"]["score_computed"] is None and doc["form"]["grade"] == "待定"
    assert "应为" not in "".join(f["message"] for f in doc["findings"])
    result = run_cli("fill", path, "-o", tmp_path / "out", "--no-report")
    assert result.exit_code == 1, result.stdout + result.stderr
    out = openpyxl.load_workbook(tmp_path / "out" / "blank-budget_自评结果.xlsx").worksheets[0]
    assert out[f"H{total_row}"].value == 99.78  # the stated total stays: nothing to put in its place
    text = run_cli("check", path).stdout
    assert "无法重算" in text and "重算 —" not in text


# ---------------------------------------------------------------- department forms


def department_heading_rows(income_subtotal=2030.12):
    rows = [
        ["2022年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None],
        ["预算部门、单位名称", "某县教育局", None, None, None, None, None, None, None],
        ["年度预算申请（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额", 2000, 2030.12, 2030.12, 10, "100%", 10, None],
        [None, "按收入性质分：", None, income_subtotal, income_subtotal, None, None, None, None],
        [None, "一般公共预算", None, 1930.12, 1930.12, None, None, None, None],
        [None, "其他资金", None, 100, 100, None, None, None, None],
        [None, "按支出性质分：", None, 2030.12, 2030.12, None, None, None, None],
        [None, "基本支出", None, 1530.12, 1530.12, None, None, None, None],
        [None, "项目支出", None, 500, 500, None, None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "在校学生数", "≥12000人", "12350人", 50, 50, None],
        [None, "效益指标", "社会效益指标", "义务教育巩固率", "≥99%", "99.5%", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "家长满意度", "≥90%", "95%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 100, "优"],
    ]
    merges = ("A1:I1", "B2:I2", "A3:B3", "A4:A10", "A11:A14", "A15:F15")
    return rows, merges


def test_a_breakdown_heading_with_its_own_subtotal_is_not_added_to_its_parts(tmp_path, run_cli):
    rows, merges = department_heading_rows()
    doc = check_json(run_cli, write_form(tmp_path / "dept.xlsx", rows, merges))
    assert doc["form"]["kind"] == "department" and doc["form"]["unit"] == "某县教育局"
    assert codes(doc) == []


def test_a_breakdown_heading_subtotal_that_differs_is_caught(tmp_path, run_cli):
    rows, merges = department_heading_rows(income_subtotal=2000)
    doc = check_json(run_cli, write_form(tmp_path / "dept.xlsx", rows, merges))
    assert sorted(set(codes(doc))) == [("funds-sum-mismatch", "D5"), ("funds-sum-mismatch", "E5")]
    assert all("按收入性质分" in f["message"] for f in doc["findings"])


def stacked_inline_rows(basic="900.47万元"):
    rows = [
        ["2021年度部门整体支出绩效自评表", None, None, None, None, None, None, None, None],
        ["一级预算单位名称", "某市住房和城乡建设局", None, None, None, None, None, None, None],
        ["年度预算申请（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", None],
        [None, "年度资金总额：", 1900, 1925.67, 1925.67, 10, "100%", 10, None],
        [None, "按支出性质分：1925.67万元", None, None, None, None, None, None, None],
        [None, f"其中：基本支出：{basic}", None, None, None, None, None, None, None],
        [None, "项目支出：1025.2万元", None, None, None, None, None, None, None],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "老旧小区改造数量", "≥20个", "21个", 50, 50, None],
        [None, "效益指标", "社会效益指标", "居民居住条件", "改善", "改善", 30, 30, None],
        [None, "满意度指标", "服务对象满意度指标", "居民满意度", "≥90%", "93%", 10, 10, None],
        ["总分", None, None, None, None, None, 100, 100, None],
    ]
    merges = ("A1:I1", "B2:I2", "A3:B3", "A4:A7", "B5:E5", "B6:E6", "B7:E7", "A8:A11", "A12:F12")
    return rows, merges


def test_stacked_inline_breakdowns_are_read(tmp_path, run_cli):
    rows, merges = stacked_inline_rows()
    doc = check_json(run_cli, write_form(tmp_path / "dept.xlsx", rows, merges))
    assert (doc["form"]["kind"], doc["form"]["unit"]) == ("department", "某市住房和城乡建设局")  # 一级预算单位名称 names it
    assert codes(doc) == []


def test_a_stacked_inline_breakdown_short_of_the_total_is_caught(tmp_path, run_cli):
    rows, merges = stacked_inline_rows(basic="800.47万元")
    doc = check_json(run_cli, write_form(tmp_path / "dept.xlsx", rows, merges))
    found = codes(doc)
    assert ("funds-sum-mismatch", "B6") in found  # the parts 1825.67 against the total 1925.67
    assert ("funds-sum-mismatch", "B5") in found  # the heading's 1925.67 against its parts
    assert {code for code, _ in found} == {"funds-sum-mismatch"}


# ---------------------------------------------------------------- the accounting


def fixture_paths(tmp_path_factory) -> list[Path]:
    from realvariants import VARIANTS
    from typedforms import department_rows, inline_rows

    folder = tmp_path_factory.mktemp("accounted")
    paths = [SEED, CLEAN, WITH_INFO]
    for variant in VARIANTS:
        paths.append(variant.build().save(folder / f"{variant.id}.xlsx"))
    for i, (rows, merges) in enumerate([department_rows(), inline_rows(), department_heading_rows(), stacked_inline_rows(), sichuan_rows()]):
        paths.append(write_form(folder / f"dept-{i}.xlsx", rows, merges))
    return paths


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> list[Path]:
    return fixture_paths(tmp_path_factory)


def test_every_cell_of_every_fixture_is_accounted_for(fixtures):
    assert len(fixtures) > 40
    for path in fixtures:
        for form in perfxl.read_forms(path):
            assert form.unread == [], f"{path.name}: {form.unread}"
            assert form.roles, path.name


def test_an_extra_text_row_is_named_wherever_it_stands(tmp_path, run_cli):
    """One plain row of text under the last indicator (before 总分) and one above the funds table."""
    form = R.FormSheet()
    form.title("（2022年度）项目支出绩效自评表")
    form.identity(R.PROJECT, R.DEPARTMENT, R.IMPLEMENTER)
    above = form.line("以上数据经单位负责人审核", border=True)
    form.funds("项目资金\n（万元）", R.STD_FUND_COLUMNS, R.std_fund_rows())
    form.goals(R.GOAL_EXPECTED, R.GOAL_ACTUAL)
    form.indicators(R.STD_COLUMNS, R.std_rows())
    inside = form.row
    form.put(inside, 2, "资金已全部拨付到位", 1, 8, left=True)
    form.row += 1
    form.total(100, 99.36)
    doc = check_json(run_cli, form.save(tmp_path / "extra.xlsx"))
    assert codes(doc) == [(code, cell) for code, cell in [("row-unread", f"A{above}"), ("row-unread", f"B{inside}")]]
    assert reading(doc)[1:] == (99.36, 100, "优") and len(doc["form"]["indicators"]) == 8
    assert "以上数据经单位负责人审核" in doc["findings"][0]["message"]
    result = run_cli("fill", tmp_path / "extra.xlsx", "-o", tmp_path / "out", "--no-report")
    assert result.exit_code == 0, result.stdout + result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "out" / "extra_自评结果.xlsx").worksheets[0]
    for cell in (f"A{above}", f"B{inside}"):  # the unread row is marked where the user looks
        assert sheet[cell].comment is not None and "没有被读取" in sheet[cell].comment.text


def test_a_stray_cell_right_of_the_table_is_named(tmp_path, run_cli):
    form = R.standard_form()
    first = form.rows["first_indicator"]
    form.ws.cell(first, 11, "已整改")
    doc = check_json(run_cli, form.save(tmp_path / "stray.xlsx"))
    assert codes(doc) == [("cell-unread", f"K{first}")]


@pytest.mark.parametrize("forget", ["FOOTNOTE", "SIGNOFF_WORDS"])
def test_a_row_kind_the_reader_forgets_is_a_finding_not_a_drop(tmp_path, monkeypatch, forget):
    """The accounting is the safety net: take away the reader's knowledge of one kind of row and the
    rows of that kind are named as unread, never silently dropped."""
    form = R.standard_form(notes=("注：1.一级指标分值统一设置为：产出指标50分、效益指标30分、满意度指标10分。", "填表人：张三　联系电话：0737-1234567"))
    path = form.save(tmp_path / "notes.xlsx")
    assert read_one(path).form.unread == []
    monkeypatch.setattr(L, forget, __import__("re").compile("^$(?!x)x") if forget == "FOOTNOTE" else ())
    result = read_one(path)
    unread = [(f.code, f.cell) for f in result.findings if f.code == "row-unread"]
    row = form.rows["total"] + (1 if forget == "FOOTNOTE" else 2)
    assert unread == [("row-unread", f"A{row}")]


def test_explain_lists_each_row_with_its_role(tmp_path, run_cli):
    rows = R.std_rows()
    form = R.standard_form(rows=rows)
    form.ws.cell(form.rows["first_indicator"], 11, "已整改")
    path = form.save(tmp_path / "explain.xlsx")
    result = run_cli("check", path, "--explain")
    assert result.exit_code == 0
    out = result.stdout
    first = form.rows["first_indicator"]
    line = next(line for line in out.splitlines() if line.startswith(f"  第 {first} 行："))
    assert f"D{first} 指标：三级指标" in line and f"G{first} 指标：分值" in line and f"K{first} 【未读取】“已整改”" in line
    assert f"第 {form.rows['total']} 行：A{form.rows['total']} 总分行：标签" in out
    assert "cell-unread" in out  # then the usual verdict


def test_the_report_shows_a_merged_score_once(tmp_path, run_cli):
    """The Word report: the group's 分值/得分 cells merged in the 附件 table as on the form, and the
    deduction spoken of once, with the group's numbers."""
    from docx import Document
    from docx.oxml.ns import qn

    path = merged_pair_form("管网施工受汛期影响，下一步合理安排工期").save(tmp_path / "merged.xlsx")
    result = run_cli("report", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stdout + result.stderr
    document = Document(next((tmp_path / "out").glob("*.docx")))
    table = document.tables[1]
    body = [row for row in table.rows[1:]]
    merges = [[tc.tcPr.find(qn("w:vMerge")) is not None for tc in row._tr.findall(qn("w:tc"))[-3:-1]] for row in body[:3]]
    assert merges == [[True, True], [True, True], [False, False]]
    assert [body[0].cells[-3].text, body[0].cells[-2].text] == ["20", "18"]
    deductions = [p.text for p in document.paragraphs if "扣" in p.text and "”" in p.text]
    assert any("新建集中供水工程" in line and "分值20分，得分18分，扣2分" in line for line in deductions), deductions
    assert not any("改造供水管网长度" in line for line in deductions), deductions  # the group is spoken of once


@pytest.mark.parametrize("heads, deviation", [
    # 改进措施 left of 偏差原因: both read, the cause first, findings at the cause's column
    ([("fix", "改进措施"), ("dev", "偏差原因")], "部分村组供水时段不稳定；加强管网巡查和水源调度"),
    # a 备注 column between the two halves: the halves joined, the remark read as a remark
    ([("dev", "偏差原因"), ("note", "备注"), ("fix", "改进措施")], "部分村组供水时段不稳定；加强管网巡查和水源调度"),
])
def test_deviation_halves_in_any_order_and_a_remark_beside_them(tmp_path, run_cli, heads, deviation):
    columns = R.STD_COLUMNS[:-1] + heads
    rows = R.std_rows()
    for row in rows:
        row.pop("dev", None)
    rows[-1] = {**rows[-1], "dev": "部分村组供水时段不稳定", "fix": "加强管网巡查和水源调度", "note": "已报主管部门"}
    form = R.standard_form(columns=columns, rows=rows, ncols=len(columns) + 1)
    doc = check_json(run_cli, form.save(tmp_path / "dev.xlsx"))
    assert doc["form"]["indicators"][-1]["deviation"] == deviation
    assert codes(doc) == [] and reading(doc)[1:] == (99.36, 100, "优")
    [result] = perfxl.check(tmp_path / "dev.xlsx")
    assert result.form.unread == []
    if any(key == "note" for key, _ in heads):
        row = form.rows["first_indicator"] + len(rows) - 1
        assert result.form.roles[(row, form.ind_cols["note"])] == "指标：备注（不校验）"
