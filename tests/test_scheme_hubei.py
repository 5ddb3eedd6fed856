"""湖北 20/80 (issue 21, family 1): read and checked by its own scheme, forms typed cell by cell.

预算执行情况（万元）（20分） with 得分（20分*执行率） on the 年度财政资金总额 row; two blocks
年度绩效目标1（40分） / 年度绩效目标2（40分）, each title in the first cell of its header row and merged
down its rows; 一级 labels stating （N分）; no per-row 分值; an outline parent 一、… over 1、… / 2、…;
one 得分 merged over two 三级 rows; the 总分 row with one value; the narrative rows and the 备注 footnote.
"""

from __future__ import annotations


import openpyxl
import pytest
from docx import Document

from schemeforms import IDENTITY, edited, found, hubei_rows
from helpers import check_json
from typedforms import write_form

E, W, I = "error", "warning", "info"

TWO_BLOCKS = [
    ["2021年度项目支出绩效自评表", None, None, None, None, None, None],
    *IDENTITY,
    ["预算执行情况（万元）（20分）", None, "预算数（A）", "执行数（B）", "执行率（B/A）", "得分（20分*执行率）", None],
    ["年度财政资金总额", None, 800, 760, "95%", 19, None],
    ["年度绩效目标1（40分）", "一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "得分"],
    [None, "产出指标（30分）", "数量指标", "一、农村改厕", None, None, 20],
    [None, None, None, "1、改厕户数", "≥300户", "310户", 10],
    [None, None, None, "2、验收合格率", "100%", "100%", 10],
    [None, None, "进度指标", "完工时间", "11月底前", "11月20日", 10],
    [None, "满意度指标（10分）", "服务对象满意度", "群众满意度", "≥90%", "95%", 10],
    ["年度绩效目标2（40分）", "一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "得分"],
    [None, "产出指标（20分）", "质量指标", "污水处理达标率", "≥95%", "96%", 20],
    [None, None, None, "管网覆盖率", "≥80%", "85%", None],
    [None, "效益指标（20分）", "经济效益", "带动增收", "≥50万元", "45万元", 18],
    ["总分", None, None, None, None, None, 97],
    ["偏差大或目标未完成原因分析", "带动增收未达目标，受农产品价格下跌影响", None, None, None, None, None],
    ["改进措施及结果应用方案", "拓宽销售渠道，结果用于下年预算安排", None, None, None, None, None],
    ["备注：预算执行得分=20分×执行率；绩效目标得分由评价人根据完成情况评定，一个得分可对应几项指标。", None, None, None, None, None, None],
]
TWO_BLOCK_MERGES = ("A1:G1", "B2:G2", "B3:D3", "F3:G3", "A4:B4", "A5:B5", "A6:A11", "B7:B10", "C7:C9",
                    "A12:A15", "B13:B14", "C13:C14", "G13:G14", "A16:F16", "B17:G17", "B18:G18", "A19:G19")


def build(tmp_path, rows=TWO_BLOCKS, merges=TWO_BLOCK_MERGES, name="湖北.xlsx", **cells):
    """The form with some cells changed: ``G16=98`` → cells={"G16": 98}."""
    return edited(tmp_path / name, rows, merges, **cells)


def test_the_two_block_form_is_read_by_its_scheme(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path))
    form = doc["form"]
    assert form["scheme"] == "hubei-20-80"
    assert form["funds"] == {"initial": None, "budget": 800.0, "executed": 760.0, "rate": 0.95, "rate_stated": 0.95,
                             "weight": 20.0, "score": 19.0, "score_stated": 19.0}
    # the leaves are counted (一、农村改厕 is their outline parent), the merged 得分 is one group
    assert [(i["level1"], i["level3"], i["weight"], i["score"], i["group"]) for i in form["indicators"]] == [
        ("产出指标", "1、改厕户数", None, 10.0, None),
        ("产出指标", "2、验收合格率", None, 10.0, None),
        ("产出指标", "完工时间", None, 10.0, None),
        ("满意度指标", "群众满意度", None, 10.0, None),
        ("产出指标", "污水处理达标率", None, 20.0, "G13:G14"),
        ("产出指标", "管网覆盖率", None, 20.0, "G13:G14"),
        ("效益指标", "带动增收", None, 18.0, None),
    ]
    assert form["outline"] == [{"name": "一、农村改厕", "cell": "D7", "weight": None, "score": 20.0, "children": [8, 9]}]
    # the 一级 weights are the stated ones (产出 30 in block 1 and 20 in block 2)
    assert [(g["name"], g["weight"], g["score"]) for g in form["level1"]] == [("产出指标", 50.0, 50.0), ("满意度指标", 10.0, 10.0), ("效益指标", 20.0, 18.0)]
    # 总分 = 19 + (10 + 10 + 10 + 10) + (20 + 18): the one value of the 总分 row is its score, not a 分值
    assert form["total"] == {"weight": 100.0, "weight_stated": None, "score_stated": 97.0, "score_computed": 97.0}
    assert form["grade"] == "优"
    # a consistent form: only the note that the merged 得分 counts once
    assert found(doc) == [("score-grouped", I, "G13", None, 20.0)]
    assert doc["ok"] is True


def test_every_cell_is_accounted_for(tmp_path, run_cli):
    result = run_cli("check", build(tmp_path), "--explain")
    assert result.exit_code == 0, result.stdout
    text = result.stdout
    assert "A6 指标块标题（块的分值）" in text and "A12 指标块标题（块的分值）" in text
    assert "G16 总分行：得分" in text and "A19 脚注" in text
    assert "B17 叙述：偏差大或目标未完成原因分析" in text and "B18 叙述：改进措施及结果应用方案" in text
    assert "未读取" not in text
    assert "评分方式：湖北 20/80 评分的自评表" in text
    assert "预算执行率得分 19/20" in text


def test_the_one_block_form_of_the_first_step_is_read_and_clean(tmp_path, run_cli):
    rows, merges = hubei_rows()
    doc = check_json(run_cli, write_form(tmp_path / "一块.xlsx", rows, merges))
    assert doc["form"]["scheme"] == "hubei-20-80"
    assert doc["form"]["funds"]["weight"] == 20.0 and doc["form"]["funds"]["score"] == 19.2
    assert doc["form"]["total"]["score_computed"] == 99.2 and doc["form"]["total"]["weight"] == 100.0
    assert found(doc) == [("score-grouped", I, "G7", None, 20.0)]


@pytest.mark.parametrize("cells, expected", [
    # the budget score: 20 × min(760/800, 1) = 19
    pytest.param({"F5": 20}, [("budget-score-mismatch", E, "F5", 19.0, 20.0)], id="budget-score"),
    # 一级 weights that do not make their block's 40
    pytest.param({"B11": "满意度指标（20分）"}, [("block-weight-mismatch", E, "A6", 40.0, 50.0)], id="level1-weights-vs-block"),
    # a score over its 一级's stated weight (and so over its block's), and the printed 总分 then short
    pytest.param({"G11": 12}, [("level1-score-exceeds", E, "A6", 40.0, 42.0), ("level1-score-exceeds", E, "B11", 10.0, 12.0),
                               ("total-mismatch", E, "G16", 99.0, 97.0)], id="level1-score"),
    # blocks that do not make 80 with the budget's 20: no grade from such a sum
    pytest.param({"A12": "年度绩效目标2（50分）"}, [("block-weight-mismatch", E, "A12", 50.0, 40.0),
                                                ("total-weight-not-100", E, "A16", 100.0, 110.0)], id="blocks-vs-80"),
    # the printed 总分
    pytest.param({"G16": 98}, [("total-mismatch", E, "G16", 97.0, 98.0)], id="total"),
    # an outline parent that is not the sum of its children (and is not counted itself)
    pytest.param({"G7": 25}, [("outline-sum-mismatch", E, "G7", 20.0, 25.0)], id="outline-parent"),
    # a negative score
    pytest.param({"G10": -2, "G16": 85}, [("score-exceeds-weight", E, "G10", None, -2.0)], id="negative-score"),
])
def test_a_printed_mistake_of_each_kind_is_caught(tmp_path, run_cli, cells, expected):
    doc = check_json(run_cli, build(tmp_path, **cells))
    assert [f for f in found(doc) if f[0] != "score-grouped"] == expected
    assert doc["ok"] is False
    for finding in doc["findings"]:
        assert "：" in finding["message"] and "nan" not in finding["message"]


def test_a_blank_score_is_never_corrected_toward_an_unknown(tmp_path, run_cli):
    doc = check_json(run_cli, build(tmp_path, G10=None))
    assert [f[:3] for f in found(doc) if f[0] != "score-grouped"] == [("required-missing", E, "G10"), ("cannot-verify", W, "G16")]
    assert doc["form"]["total"]["score_computed"] is None and doc["form"]["grade"] == "待定"


def test_a_budget_score_to_one_decimal_is_accepted(tmp_path, run_cli):
    """20 × 770/800 = 19.25: 湖北 forms print it as 19.25 or 19.3 (never 19.2)."""
    for stated, codes in ((19.25, []), (19.3, []), (19.2, ["budget-score-mismatch"])):
        doc = check_json(run_cli, build(tmp_path, name=f"{stated}.xlsx", D5=770, E5="96.25%", F5=stated, G16=98.25))
        assert [f[0] for f in found(doc) if f[0] not in ("score-grouped", "total-mismatch")] == codes, stated


def test_fill_marks_the_workbook_and_reports_a_20_point_budget_part(tmp_path, run_cli):
    path = build(tmp_path, G16=98)
    out = tmp_path / "out"
    result = run_cli("fill", path, "-o", out)
    assert result.exit_code == 1, result.stdout + result.stderr
    wb = openpyxl.load_workbook(out / "湖北_自评结果.xlsx")
    ws = wb["自评表"]
    assert ws["G16"].value == 97 and ws["G16"].comment.text.startswith("原填写：98；按规则重新计算：97")
    assert ws["F5"].value == 19 and ws["F5"].comment is None  # the budget score was right
    assert ws["G13"].value == 20 and ws["G7"].value == 20  # judgement cells untouched
    lines = [ws.cell(row, 1).value for row in range(1, 4) for ws in [wb["校验结果"]]]
    assert any("评分方式：湖北 20/80 评分的自评表" in (line or "") for line in lines)
    text = "\n".join(p.text for p in Document(str(out / "湖北_自评报告.docx")).paragraphs)
    assert "预算执行率指标分值20分，得分19分" in text
    assert "97" in text and "分值10分" not in text.split("四、")[1].split("（三）")[0]


def test_the_summary_names_the_scheme(tmp_path, run_cli):
    build(tmp_path, name="甲.xlsx")
    build(tmp_path, name="乙.xlsx", G16=98)
    out = tmp_path / "out"
    result = run_cli("fill", tmp_path, "-o", out, "--no-report")
    assert result.exit_code == 1, result.stdout + result.stderr
    ws = openpyxl.load_workbook(out / "汇总.xlsx").worksheets[0]
    header = [c.value for c in ws[1]]
    kinds = [row[header.index("类型")] for row in ws.iter_rows(min_row=2, values_only=True) if row[0] in ("甲.xlsx", "乙.xlsx")]
    assert kinds == ["项目（湖北20/80）", "项目（湖北20/80）"]
