"""Issue 12 item 7: `full-but-incomplete` decides "falls short" on words and phrases, not substrings.

Each row is an actual-value text (实际完成值) of the kind published forms carry, given full marks on a
qualitative indicator (target 达成年度目标 or similar, 分值 10, 得分 10) in an otherwise correct form.
A reviewer reading it says whether the text admits the target was not (fully) met:

- must NOT fire: the text says the work is done or that nothing bad happened — including sentences
  with 不断完善 (ongoing improvement of something already built), 暂无/暂未 (none so far), 不影响,
  差评率为0, 未发生 / 未出现 / 没有发生 (no accident), 无未完成事项, 完成率100%;
- MUST fire: the text says the work is unfinished, partial, late or below target (有待完善, 未完成,
  部分完成, 尚未, 正在推进, 完成80%, 未达到预期, 滞后, 延期, 仍在建设中, 有待提高 …).
"""

from __future__ import annotations

import json
import re

import pytest

import realforms as R
from realforms import standard_form, std_rows

# (实际完成值, 年度指标值, fires)
PHRASES: list[tuple[str, str, bool]] = [
    # ---- full marks are right: must not fire
    ("暂无投诉，长效管理机制不断完善", "建立长效管理机制", False),
    ("已建立长效管护机制，并在运行中不断完善", "建立长效管护机制", False),
    ("未发生安全生产事故", "不发生安全生产事故", False),
    ("全年未出现工程质量问题", "工程质量合格", False),
    ("无差评", "群众满意", False),
    ("差评率为0", "群众满意", False),
    ("群众零投诉", "群众满意", False),
    ("无未完成事项", "达成年度目标", False),
    ("完成率100%", "达成年度目标", False),
    ("各项建设任务均已完成", "完成年度建设任务", False),
    ("项目支出未超预算", "成本控制在预算内", False),
    ("设施运行正常，不影响群众正常用水", "保障群众正常用水", False),
    ("未发现违规违纪问题", "资金使用合规", False),
    ("没有发生安全事故", "不发生安全事故", False),
    ("按时完成，未延期", "按时完成", False),
    ("全年无一例投诉", "群众满意", False),
    ("已全部建成并投入使用", "建成并投入使用", False),
    ("资金拨付及时，未出现滞留", "资金及时拨付", False),
    ("达到预期目标", "达到预期目标", False),
    ("全年未发生水质污染事件", "不发生水质污染事件", False),
    ("已完成，群众满意度持续提升", "提升群众满意度", False),
    ("设施运行良好，暂未发现质量问题", "工程质量合格", False),
    ("已实现全覆盖", "实现全覆盖", False),
    # ---- the text admits falling short: must fire
    ("有待完善", "建立长效管理机制", True),
    ("未完成", "完成年度建设任务", True),
    ("部分完成", "完成年度建设任务", True),
    ("尚未完成", "完成年度建设任务", True),
    ("正在推进", "完成年度建设任务", True),
    ("完成80%", "全面完成年度建设任务", True),
    ("未达到预期目标", "达到预期目标", True),
    ("受雨季影响，进度滞后", "按计划推进", True),
    ("仍在建设中", "年内建成", True),
    ("群众知晓率有待提高", "提高群众知晓率", True),
    ("主体工程已完成，附属设施尚在施工", "全面完成年度建设任务", True),
    ("项目延期至次年6月完工", "年内完工", True),
    ("未全部完成", "完成年度建设任务", True),
    ("大部分已完成，尚有2处工程未验收", "全面完成年度建设任务", True),
    ("前期工作已完成，工程尚未开工", "年内开工建设", True),
    ("仅完成10处，剩余2处结转下年实施", "全面完成年度建设任务", True),
    ("部分单位数据尚未接入共享平台", "实现数据共享全覆盖", True),
    ("长效管护机制尚不健全，有待进一步完善", "建立长效管护机制", True),
    ("未能按期完成", "按期完成", True),
    ("完成年度计划的85%", "全面完成年度计划", True),
    ("基本完成，仍有个别村组未通水", "全面完成年度建设任务", True),
]

PHRASE_ROW = 6  # index of the phrase indicator among the form's indicator rows


def phrase_form(actual: str, target: str) -> R.FormSheet:
    """The standard form with its 可持续影响 indicator (10/10) saying ``actual``; 受益人口 20/20 keeps 效益 at 30."""
    rows = std_rows()
    rows[5].update(weight=20, score=20)
    rows[PHRASE_ROW].update(l3="项目目标完成情况", target=target, actual=actual, weight=10, score=10)
    return standard_form(rows=rows)


def test_the_table_is_large_and_balanced():
    fires = [p for p, _, f in PHRASES if f]
    quiet = [p for p, _, f in PHRASES if not f]
    assert len(PHRASES) >= 40 and len(quiet) >= 20 and len(fires) >= 20
    assert len({p for p, _, _ in PHRASES}) == len(PHRASES)


@pytest.mark.parametrize(
    "actual,target,fires", PHRASES, ids=[f"{i:02d}-{'fires' if f else 'quiet'}" for i, (_, _, f) in enumerate(PHRASES, 1)]
)
def test_full_marks_with_this_actual(actual, target, fires, tmp_path, run_cli):
    form = phrase_form(actual, target)
    path = form.save(tmp_path / "phrase.xlsx")
    result = run_cli("check", path, "--format", "json")
    [doc] = json.loads(result.stdout)
    row = form.rows["first_indicator"] + PHRASE_ROW
    [indicator] = [i for i in doc["form"]["indicators"] if i["cell"] and re.fullmatch(rf"[A-Z]+{row}", i["cell"])]
    assert (indicator["actual"], indicator["weight"], indicator["score"]) == (actual, 10.0, 10.0)
    at_row = [f for f in doc["findings"] if f["code"] == "full-but-incomplete" and f["cell"] and re.fullmatch(rf"[A-Z]+{row}", f["cell"])]
    if fires:
        assert at_row, f"“{actual}” with full marks: the text admits the target was not met; full-but-incomplete expected"
    else:
        assert not at_row, f"“{actual}” with full marks is right; full-but-incomplete fired: {at_row[0]['message']}"
    others = {f["code"] for f in doc["findings"]} - {"full-but-incomplete"}
    if fires:  # full marks on a text that admits a shortfall may also be said to break the scoring rule
        others.discard("score-rule-mismatch")
    assert others == set(), f"the rest of the form is correct; other findings: {others}"
