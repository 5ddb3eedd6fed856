"""Issue 20 item 4: metamorphic tests of the reader — ordinary words never change the reading.

Every fixture form of the project (the bundled samples, the real-form corpus of tests/test_real_forms.py,
the department forms of tests/test_department.py) is read once as it is. Then one text cell whose words the
rules do not use is given another ordinary phrase (tests/data/reader_phrases.txt, built from the reader's own
vocabulary) and the form is read again: the reading must be the same — the same indicators with the same
rows, names of 一级/二级, targets, actuals, 分值 and 得分, the same funds rows, totals, grade and findings.

The cells replaced, by role:

- ``level3``: a 三级指标 name, on a row holding a 分值 or 得分 number (the row's shape says it is an
  indicator; an unscored ``其中：…`` or ``指标1`` row is skipped by design, by its words);
- ``deviation``: a 偏差原因分析及改进措施 cell that holds text, or any on a row scored in full (issue 20
  typed 督促施工单位加快进度 into the clean sample's blank I12). A blank one of a deducted row stays blank:
  deviation-missing looks only at whether it is blank there;
- ``goal``: the 年度总体目标 text cells (预期目标 and 实际完成情况);
- ``narrative``: the text of the form's own narrative rows (其他需要说明事项 …).

Never the 实际完成值: its words are read by the rules (已完成, 有待完善 …).

Findings are compared as (severity, code, cell), messages aside (they quote the names). Two codes depend
on the replaced words by design and are left out, only where they point at the replaced cell:
``indicator-misfiled`` (looks for time or money words in the 三级 name) and ``template-text-left`` (looks
for the template's instruction text, such as a leading 注：, in the cell).

The second relation inserts one plain row of text (:data:`INSERTED_TEXT`, one cell) into the sheet,
directly under the last indicator row (under the merged 一级/二级 cells it ends, where they run on over
placeholder rows) and directly above the funds table's header: everything else is read as before, moved
down a row, and a ``row-unread`` finding names the inserted cell. (``row-unread`` is the reader's new
code for content nothing accounts for; the reader this test was written against has no such code.)

The edits are made in the package's sheet XML (an inline string in place of the cell; rows, merges and
formula references moved down for an insertion, as Excel does), not by openpyxl load → save, which takes
longer than the read itself: the CI sample has to stay well under a minute. Each edit has a control:
the same cells rewritten with their own text and blank rows inserted must not change the reading.

CI runs a fixed sample (:data:`PAIRS_IN_CI` pairs, seed :data:`SAMPLE_SEED`: the :data:`KNOWN_CASES`, then
each phrase in each role :data:`ROUNDS` times, spread over the forms, each form's topmost indicator row first);
``PERFXL_METAMORPHIC_ALL=1`` runs every (cell, phrase) pair (1058 cells × 65 phrases, about 69 000 reads: an hour).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from lxml import etree

import perfxl
from conftest import CLEAN, SEED, WITH_INFO, copy_package  # first: it puts samples/ (make_samples) on the path
from perfxl.read import labels as L
from perfxl.read import schemes
from perfxl.model import Cell
from perfxl.xlsx.cells import column_index, column_letter, split_ref

import formvariants  # noqa: E402  (tests/)
import make_samples  # noqa: E402  (samples/)
import realforms as R  # noqa: E402  (tests/)
from realvariants import VARIANTS  # noqa: E402  (tests/)
from schemeforms import CENTRAL, CENTRAL_MERGES, chongqing_rows, hubei_rows, whole_process_rows  # noqa: E402  (tests/)
from typedforms import blank_department_rows, department_rows, half_filled_department_rows, inline_rows, write_form  # noqa: E402  (tests/)

PHRASES_FILE = Path(__file__).parent / "data" / "reader_phrases.txt"
#: The plain row of text inserted into the tables.
INSERTED_TEXT = "以上数据经单位负责人审核"
ROLES = ("level3", "deviation", "goal", "narrative")
#: How many times each phrase is typed into each role in the CI sample.
ROUNDS = {"level3": 2, "deviation": 1, "goal": 1, "narrative": 1}
SAMPLE_SEED = 20
#: (form, cell, phrase) pairs read in CI: 7 known cases + 65 phrases × (2 + 1 + 1 + 1). Cite this number.
PAIRS_IN_CI = 332
RUN_ALL = os.environ.get("PERFXL_METAMORPHIC_ALL") == "1"
#: Finding codes that depend on the words of the cell they point at, by design, and in which roles.
TEXT_DEPENDENT = {
    "indicator-misfiled": {"level3"},  # a 时效/成本指标 whose name (and target) has no time/money words
    "template-text-left": set(ROLES),  # the template's instruction text (填写…, 注：…) left in a cell
}
ROW_UNREAD = "row-unread"

# ---------------------------------------------------------------- the phrases


@dataclass(frozen=True)
class Phrase:
    text: str
    real: bool
    source: str


def load_phrases(path: Path = PHRASES_FILE) -> list[Phrase]:
    phrases, real = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[real]", "[constructed]"):
            real = line == "[real]"
            continue
        assert real is not None, f"{path.name}: phrase {line!r} before a [real] / [constructed] section"
        text, _, source = line.partition("  #")
        phrases.append(Phrase(text.strip(), real, source.strip()))
    return phrases


PHRASES = load_phrases()

# ---------------------------------------------------------------- the fixture forms


def _copy(source: Path) -> Callable[[Path], Path]:
    return lambda target: Path(shutil.copy(source, target))


def _variant(variant) -> Callable[[Path], Path]:
    return lambda target: variant.build().save(target)


def _rows(make, **kwargs) -> Callable[[Path], Path]:
    def build(target: Path) -> Path:
        rows, merges = make(**kwargs)
        return write_form(target, rows, merges)
    return build


def _spec(make, **changes) -> Callable[[Path], Path]:
    def build(target: Path) -> Path:
        spec = make()
        for name, value in changes.items():
            setattr(spec, name, value)
        formvariants.build(spec).save(target)
        return target
    return build


#: Narrative rows with words in them (the corpus has only 其他需要说明事项 | 无, which reads as blank): the
#: two forms this test adds to the project's fixtures, one by the form builder, one as provinces print it.
NARRATIVE = {
    "评价结论": "项目按计划实施，年度绩效目标基本实现，自评等级为优。",
    "存在问题": "个别村组供水管网老化，部分时段水压不足。",
    "改进措施": "加强管网巡查维护，合理调度水源，确保稳定供水。",
}
OTHER_NOTES = ("其他需要说明事项", "项目于2022年11月通过竣工验收，运行正常。")

#: fixture id → builder writing the workbook at a path. Every form fixture the project has, and two with narrative rows.
FIXTURES: dict[str, Callable[[Path], Path]] = {
    "sample-seed": _copy(SEED),
    "sample-clean": _copy(CLEAN),
    "sample-with-info": _copy(WITH_INFO),
    **{f"real-{variant.id}": _variant(variant) for variant in VARIANTS},
    "dept-rows": _rows(department_rows),
    "dept-rows-breakdowns-disagree": _rows(department_rows, expenditure=[("基本支出", (1200, 1250, 1100)), ("项目支出", (700, 700, 500))]),
    "dept-inline": _rows(inline_rows),
    "dept-inline-disagree": _rows(inline_rows, expenditure_amounts=("1500万元", "400万元")),
    "dept-blank": _rows(blank_department_rows),
    "dept-half-filled": _rows(half_filled_department_rows),
    "spec-clean-narrative-rows": _spec(make_samples.clean_spec, narrative_rows=dict(NARRATIVE)),
    "real-narrative-rows": lambda target: R.standard_form(before_total=[OTHER_NOTES], after_total=list(NARRATIVE.items())).save(target),
    # the other scoring schemes (issue 21), read by their own scheme
    "scheme-hubei-20-80": _rows(hubei_rows),
    "scheme-chongqing-department": _rows(chongqing_rows),
    "scheme-whole-process": _rows(whole_process_rows),
    "scheme-central-unscored": lambda target: write_form(target, CENTRAL, CENTRAL_MERGES),
}

# ---------------------------------------------------------------- the package, edited in its sheet XML

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_ADDRESS = re.compile(r"([A-Z]+)([0-9]+)")
#: A cell reference inside a formula: not a function name such as LOG10(, not one qualified by a sheet name
#: (the fixtures have none; it may point at another sheet).
_FORMULA_REF = re.compile(r"(?<![A-Za-z0-9_.$!])(\$?)([A-Z]{1,3})(\$?)([0-9]+)(?![0-9A-Za-z_(])")


def _q(tag: str) -> str:
    return f"{{{_MAIN}}}{tag}"


class Package:
    """An .xlsx package's sheets, read once; writes copies with one sheet part replaced."""

    def __init__(self, path: Path):
        self.path = path
        with zipfile.ZipFile(path) as z:
            self.parts = {info.filename: z.read(info.filename) for info in z.infolist()}
        workbook = etree.fromstring(self.parts["xl/workbook.xml"])
        rels = etree.fromstring(self.parts["xl/_rels/workbook.xml.rels"])
        targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{{{_PKG_REL}}}Relationship")}
        self.sheet_parts = {}
        for sheet in workbook.iter(_q("sheet")):
            target = targets[sheet.get(f"{{{_REL}}}id")]
            self.sheet_parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        shared = self.parts.get("xl/sharedStrings.xml")
        self.shared = [] if shared is None else [
            "".join(si.itertext()) for si in etree.fromstring(shared).iter(_q("si"))]

    def sheet(self, name: str) -> etree._Element:
        return etree.fromstring(self.parts[self.sheet_parts[name]])

    def text_at(self, sheet: str, address: str) -> str | None:
        """The text a cell holds as a string (shared or inline), None for a number, formula or no cell."""
        cell = self.sheet(sheet).find(f"{_q('sheetData')}/{_q('row')}/{_q('c')}[@r='{address}']")
        if cell is None or cell.find(_q("f")) is not None:
            return None
        if cell.get("t") == "inlineStr":
            return "".join(cell.find(_q("is")).itertext())
        if cell.get("t") == "s":
            return self.shared[int(cell.find(_q("v")).text)]
        return None

    def write(self, target: Path, sheet: str, root: etree._Element) -> Path:
        """A copy of the package with ``sheet`` replaced by ``root``."""
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return copy_package(self.path, target, {self.sheet_parts[sheet]: data})


def _cell_element(root: etree._Element, address: str) -> etree._Element:
    """The ``<c>`` of ``address``, made (in column order, in a row made in row order) when the sheet has none."""
    data = root.find(_q("sheetData"))
    letters, number = _ADDRESS.fullmatch(address).groups()
    row = data.find(f"{_q('row')}[@r='{number}']")
    if row is None:
        row = etree.Element(_q("row"), r=number)
        following = next((r for r in data.iter(_q("row")) if int(r.get("r")) > int(number)), None)
        data.append(row) if following is None else following.addprevious(row)
    cell = row.find(f"{_q('c')}[@r='{address}']")
    if cell is None:
        cell = etree.Element(_q("c"), r=address)
        following = next((c for c in row.iter(_q("c")) if column_index(_ADDRESS.fullmatch(c.get("r")).group(1)) > column_index(letters)), None)
        row.append(cell) if following is None else following.addprevious(cell)
    return cell


def _set_text(root: etree._Element, address: str, text: str) -> None:
    """Put ``text`` into the cell at ``address`` as an inline string, keeping its style."""
    cell = _cell_element(root, address)
    for child in list(cell):
        cell.remove(child)
    cell.set("t", "inlineStr")
    t = etree.SubElement(etree.SubElement(cell, _q("is")), _q("t"))
    t.text = text
    t.set(_XML_SPACE, "preserve")


def _shift_address(address: str, at: int) -> str:
    letters, row = _ADDRESS.fullmatch(address.replace("$", "")).groups()
    return f"{letters}{int(row) + 1 if int(row) >= at else row}"


def _shift_formula(formula: str, at: int) -> str:
    def shift(match):
        dollar_col, col, dollar_row, row = match.groups()
        return f"{dollar_col}{col}{dollar_row}{int(row) + 1 if int(row) >= at else row}"
    return _FORMULA_REF.sub(shift, formula)


def _merges(root: etree._Element) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range."""
    out = []
    for merge in root.iter(_q("mergeCell")):
        first, _, last = merge.get("ref").partition(":")
        (c1, r1), (c2, r2) = (_ADDRESS.fullmatch(a).groups() for a in (first, last or first))
        out.append((int(r1), column_index(c1), int(r2), column_index(c2)))
    return out


def _insert_row(root: etree._Element, at: int, text: str | None) -> str | None:
    """Insert a row before row ``at`` as Excel does (rows, merges, formula references and the dimension
    move down; a merge spanning the new row grows over it), with ``text`` in its first cell that no merge
    covers. Returns that cell's address (None for a blank row)."""
    data = root.find(_q("sheetData"))
    width = 1
    for row in data.iter(_q("row")):
        number = int(row.get("r"))
        for cell in row.iter(_q("c")):
            width = max(width, column_index(_ADDRESS.fullmatch(cell.get("r")).group(1)))
            if number >= at:
                cell.set("r", _shift_address(cell.get("r"), at))
        if number >= at:
            row.set("r", str(number + 1))
    for formula in root.iter(_q("f")):
        if formula.text:
            formula.text = _shift_formula(formula.text, at)
        if formula.get("ref"):
            formula.set("ref", ":".join(_shift_address(a, at) for a in formula.get("ref").split(":")))
    covered: set[int] = set()  # columns of the merges that grow over the new row
    for merge, (r1, c1, r2, c2) in zip(list(root.iter(_q("mergeCell"))), _merges(root)):
        width = max(width, c2)
        if r1 >= at:
            r1, r2 = r1 + 1, r2 + 1
        elif r2 >= at:
            r2 += 1
            covered.update(range(c1, c2 + 1))
        merge.set("ref", f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}")
    dimension = root.find(_q("dimension"))
    if dimension is not None:
        first, _, last = dimension.get("ref").partition(":")
        if last:
            dimension.set("ref", f"{first}:{_shift_address(last, at)}")
    if text is None:
        return None
    address = f"{column_letter(min(c for c in range(1, width + 2) if c not in covered))}{at}"
    _set_text(root, address, text)
    return address


# ---------------------------------------------------------------- the reading


def _round(value):
    return None if value is None else round(float(value), 4)


@dataclass(frozen=True)
class Replaced:
    """The cell a pair replaced, so that findings that depend on its words by design can be left out."""

    sheet: str
    address: str
    role: str


def reading(results, shift: Callable[[int], int] = lambda row: row, replaced: Replaced | None = None) -> list[dict]:
    """What the reader made of each form sheet, rows and addresses passed through ``shift``."""

    def addr(address):
        if not address:
            return None
        match = _ADDRESS.fullmatch(address)
        return f"{match.group(1)}{shift(int(match.group(2)))}" if match else address

    out = []
    for result in results:
        form, computed = result.form, result.computed
        out.append({
            "sheet": form.sheet,
            "kind": form.kind,
            "year": form.year,
            "identity": tuple(cell.text for cell in (form.project, form.department, form.implementer, form.unit)),
            "money": (form.money_unit, form.money_factor),
            "funds_header": addr(form.funds_header),
            "fund_columns": sorted(form.fund_columns.items()),
            "funds": [
                {"kind": row.kind, "group": getattr(row, "group", ""), "row": shift(row.row), "label": row.label,
                 **{name: _round(getattr(row, name).number) for name in ("initial", "budget", "executed", "weight", "rate", "score")}}
                for row in form.funds
            ],
            "goal_blank": (form.goal_expected.is_blank, form.goal_actual.is_blank),
            "indicators_header": addr(form.indicators_header),
            "columns": sorted(form.columns.items()),
            "indicators": [
                {"row": shift(ind.row), "level1": ind.level1, "level2": ind.level2, "level3_cell": addr(ind.level3.address),
                 "level3_blank": ind.level3.is_blank, "target": ind.target.text, "actual": ind.actual.text,
                 "weight": _round(ind.weight.number), "score": _round(ind.score.number), "weight_cell": addr(ind.weight.address),
                 "score_cell": addr(ind.score.address), "deviation_cell": addr(ind.deviation.address),
                 "deviation_blank": ind.deviation.is_blank,
                 "level1_cell": addr(ind.level1_cell)}
                for ind in form.indicators
            ],
            "level1_groups": [(group.name, group.stated_weight, addr(group.cell)) for group in form.level1_groups],
            "total": (addr(form.total_label.address), _round(form.total_weight.number), _round(form.total_score.number),
                      addr(form.total_score.address), form.grade_cell.text, addr(form.grade_cell.address)),
            "narrative": sorted(form.narrative),
            "computed": {"budget_weight": computed.budget_weight, "budget_score": _round(computed.budget_score),
                         "rate": _round(computed.rate), "total_weight": computed.total_weight, "total_score": computed.total_score,
                         "grade": computed.grade, "rule_scores": [_round(v) for v in computed.rule_scores],
                         "level1": [(g.name, g.weight, g.score) for g in computed.level1]},
            "findings": sorted(
                (f.severity, f.code, addr(f.cell)) for f in result.findings
                if not (replaced and f.sheet == replaced.sheet and f.cell == replaced.address
                        and replaced.role in TEXT_DEPENDENT.get(f.code, ()))
            ),
        })
    return out


def read(path: Path) -> list:
    return [perfxl.check_form(form) for form in perfxl.read_forms(path)]


def _row_changes(what: str, before: list[dict], after: list[dict]) -> list[str]:
    """Rows (indicators or funds rows, by sheet row) lost, added or read otherwise."""
    old, new = {item["row"]: item for item in before}, {item["row"]: item for item in after}

    def named(item):
        return item.get("label") or f"{item.get('level2')}, 分值 {item.get('weight')}"

    lines = [f"{what} dropped: row {row} ({named(old[row])})" for row in sorted(old.keys() - new.keys())]
    lines += [f"{what} added: row {row} ({named(new[row])})" for row in sorted(new.keys() - old.keys())]
    for row in sorted(old.keys() & new.keys()):
        changed = [f"{key} {old[row][key]!r}→{new[row][key]!r}" for key in old[row] if old[row][key] != new[row][key]]
        if changed:
            lines.append(f"{what} row {row}: " + ", ".join(changed))
    return lines


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """What changed between two readings, in a line each (an indicator dropped, a column moved …)."""
    if [r["sheet"] for r in before] != [r["sheet"] for r in after]:
        return [f"form sheets {[r['sheet'] for r in before]} → {[r['sheet'] for r in after]}"]
    lines = []
    for b, a in zip(before, after):
        for key in b:
            if b[key] == a[key]:
                continue
            if key in ("indicators", "funds"):
                lines += _row_changes("indicator" if key == "indicators" else "funds row", b[key], a[key])
            elif key == "findings":
                old, new = Counter(b[key]), Counter(a[key])
                lines += [f"finding lost: {f[1]} at {f[2]}" for f in sorted((old - new).elements())]
                lines += [f"finding new: {f[1]} at {f[2]}" for f in sorted((new - old).elements())]
            elif key == "computed":
                lines += [f"{k}: {b[key][k]!r} → {a[key][k]!r}" for k in b[key] if b[key][k] != a[key][k]]
            else:
                lines.append(f"{key}: {b[key]!r} → {a[key]!r}")
    return lines


# ---------------------------------------------------------------- the corpus and the sample


@dataclass(frozen=True)
class Slot:
    form: str  # fixture id
    sheet: str
    role: str
    address: str


@dataclass(frozen=True)
class Pair:
    slot: Slot
    phrase: str

    def __str__(self) -> str:
        return f"{self.slot.form} {self.slot.role} {self.slot.sheet}!{self.slot.address} ← {self.phrase}"


@dataclass
class Built:
    path: Path
    package: Package
    results: list
    reading: list[dict]
    slots: list[Slot]


def _has_words(package: Package, sheet: str, address: str | None) -> bool:
    """The cell holds text that does not read as blank (— / 无 and the like stay as they are)."""
    text = package.text_at(sheet, address) if address else None
    return text is not None and not Cell(None, text).is_blank


def slots_of(fixture: str, package: Package, results) -> list[Slot]:
    slots = []
    for result in results:
        form = result.form
        sheet = form.sheet

        def add(role, address, blank_too=False):
            if address and (blank_too or _has_words(package, sheet, address)) and Slot(fixture, sheet, role, address) not in slots:
                slots.append(Slot(fixture, sheet, role, address))

        # 全过程: the 预算执行率 indicator is found by its name, a label of the scheme (as 年度资金总额 is), not a name to vary
        execution = schemes.of(form.scheme).scoring.execution_indicator
        for ind in form.indicators:
            if execution and re.search(execution, L.normalize_label(ind.level3.raw)):
                continue
            weight, score = ind.weight.number, ind.score.number
            unscored = not {"weight", "score"} & set(form.columns)  # 中央转移支付: indicators without 分值/得分
            if weight is not None or score is not None or unscored:  # an indicator by its shape
                add("level3", ind.level3.address)
            # a deviation with words, or any on a row scored in full (issue 20: 督促施工单位加快进度 typed into
            # the clean sample's blank I12): deviation-missing looks at deducted rows only
            full = weight is not None and score is not None and abs(weight - score) < 0.005
            add("deviation", ind.deviation.address, blank_too=full)
        add("goal", form.goal_expected.address)
        add("goal", form.goal_actual.address)
        for key, address in sorted(form.narrative_cells.items()):
            # the form's own narrative rows, not the 报告信息 sheet (whose cells the dict holds too)
            if address and package.text_at(sheet, address) is not None and \
                    Cell(None, package.text_at(sheet, address)).text == form.narrative.get(key):
                add("narrative", address)
    return slots


#: Always read, besides the sample: issue 20's own cases, and one case of each cause of change this test found
#: in the reader it was written against (December 2026). (fixture, role, phrase, cell; None: the topmost cell.)
KNOWN_CASES = (
    ("sample-clean", "deviation", "督促施工单位加快进度", None),  # issue 20, I12: the first indicator disappeared
    ("sample-clean", "level3", "参建单位数量", None),  # issue 20: the same, as the first 三级指标 name
    ("sample-clean", "level3", "年度目标任务完成率", None),  # issue 20: the 年度指标值 column moved to the names
    ("sample-clean", "deviation", "按计划完成年度目标", None),  # 年度指标值 moved to the deviation column
    ("sample-clean", "level3", "说明：因疫情影响延期", "D13"),  # a name under a merged 二级 taken for a footnote
    ("real-name-no-level-columns", "level3", "单位成本控制在预算内", None),  # the workbook refused as not-a-form
    ("spec-clean-narrative-rows", "narrative", "预算执行率", None),  # a narrative that is a label dropped
)


def known_pairs(slots: list[Slot]) -> list[Pair]:
    pairs = []
    for fixture, role, phrase, address in KNOWN_CASES:
        cells = [slot for slot in slots if slot.form == fixture and slot.role == role and address in (None, slot.address)]
        assert cells, f"{fixture} has no {role} cell {address or ''}"
        pairs.append(Pair(min(cells, key=lambda slot: int(_ADDRESS.fullmatch(slot.address).group(2))), phrase))
    return pairs


def plan(slots: list[Slot], phrases: list[str], run_all: bool = RUN_ALL) -> list[Pair]:
    """The pairs to read: the known cases, then all pairs, or the CI sample: each phrase ROUNDS[role]
    times in each role, the forms taken in turn (each form's cells in turn, its topmost indicator row
    first), with a fixed seed."""
    pairs = known_pairs(slots)
    if run_all:
        return pairs + [Pair(slot, phrase) for slot in slots for phrase in phrases]
    rng = random.Random(SAMPLE_SEED)
    for role in ROLES:
        by_form: dict[str, list[Slot]] = {}
        for slot in slots:
            if slot.role == role:
                by_form.setdefault(slot.form, []).append(slot)
        if not by_form:
            continue
        forms = sorted(by_form)
        rng.shuffle(forms)
        for form, cells in by_form.items():
            # in the indicator table the topmost row first: a row right under a header is where reading
            # roles from words goes wrong; then the others in a shuffled turn
            cells.sort(key=lambda slot: int(_ADDRESS.fullmatch(slot.address).group(2)))
            first = cells[:1] if role in ("level3", "deviation") else []
            rest = cells[len(first):]
            rng.shuffle(rest)
            by_form[form] = first + rest
        order = list(phrases)
        rng.shuffle(order)
        used = Counter()
        for i in range(len(order) * ROUNDS[role]):
            form = forms[i % len(forms)]
            pairs.append(Pair(by_form[form][used[form] % len(by_form[form])], order[i % len(order)]))
            used[form] += 1
    return pairs


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Built]:
    """Every fixture form written once and read as it is: id → path, package, reading, replaceable cells."""
    folder = tmp_path_factory.mktemp("metamorphic-forms")
    built = {}
    for fixture, build in FIXTURES.items():
        path = build(folder / f"{fixture}.xlsx")
        package = Package(path)
        results = read(path)
        built[fixture] = Built(path, package, results, reading(results), slots_of(fixture, package, results))
    return built


@pytest.fixture(scope="session")
def pairs(corpus) -> dict[str, list[Pair]]:
    """The pairs to read, by fixture id."""
    slots = [slot for built in corpus.values() for slot in built.slots]
    by_form: dict[str, list[Pair]] = {fixture: [] for fixture in FIXTURES}
    for pair in plan(slots, [p.text for p in PHRASES]):
        by_form[pair.slot.form].append(pair)
    return by_form


# ---------------------------------------------------------------- the phrase list and the sample


def test_the_phrase_list_is_ordinary_and_half_real():
    texts = [p.text for p in PHRASES]
    assert len(texts) >= 40, f"{len(texts)} phrases: at least 40"
    assert len(set(texts)) == len(texts), [t for t, n in Counter(texts).items() if n > 1]
    real = [p for p in PHRASES if p.real]
    assert 2 * len(real) >= len(PHRASES), f"{len(real)} of {len(PHRASES)} are real wording: at least half"
    assert all(p.source for p in real), [p.text for p in real if not p.source]
    # ordinary words, not the form's own structure: no 总分/合计 label, no template placeholder, not blank
    structural = [t for t in texts if L.field_of(t) == "total" or L.PLACEHOLDER.match(L.normalize_label(t)) or Cell(None, t).is_blank]
    assert structural == []
    vocabulary = ("单位", "目标", "指标", "分值", "得分", "合计", "预算", "执行", "年度", "其中", "备注", "说明", "总分", "完成值",
                  "权重", "原因", "措施", "性质", "度量单位", "一级指标", "资金", "情况", "注：")
    missing = [word for word in vocabulary if not any(word in t for t in texts)]
    assert missing == [], f"no phrase uses {missing}"


def test_the_sample_covers_every_phrase_in_every_role_and_every_form(corpus, pairs):
    every = [pair for form_pairs in pairs.values() for pair in form_pairs]
    if not RUN_ALL:
        assert len(every) == PAIRS_IN_CI, f"the CI sample has {len(every)} pairs: update PAIRS_IN_CI (and cite it)"
    texts = {p.text for p in PHRASES}
    for role in ROLES:
        slots = {slot for built in corpus.values() for slot in built.slots if slot.role == role}
        assert slots, f"no fixture has a {role} cell to replace"
        used = [pair for pair in every if pair.slot.role == role]
        assert {pair.phrase for pair in used} == texts, f"{role}: phrases never typed"
        assert {pair.slot.form for pair in used} == {slot.form for slot in slots}, f"{role}: forms never edited"
    forms_with_names = {slot.form for built in corpus.values() for slot in built.slots if slot.role == "level3"}
    assert len(forms_with_names) >= len(FIXTURES) - 1, "every form with indicators has its 三级 names replaced"


# ---------------------------------------------------------------- relation 1: ordinary words


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_rewriting_cells_with_their_own_text_and_inserting_blank_rows_changes_nothing(fixture, corpus, tmp_path):
    """The control of the edits below: the same cells written back as inline strings, and blank rows
    inserted where the text rows go, must leave the reading as it was (moved down)."""
    built = corpus[fixture]
    for sheet in {slot.sheet for slot in built.slots} | {r["sheet"] for r in built.reading}:
        root = built.package.sheet(sheet)
        for slot in built.slots:
            text = built.package.text_at(sheet, slot.address) if slot.sheet == sheet else None
            if text is not None:
                _set_text(root, slot.address, text)
        spots = sorted(insertion_rows(built, sheet).values(), reverse=True)
        for at in spots:  # from the bottom up, so each position is still where it was
            _insert_row(root, at, None)
        path = built.package.write(tmp_path / f"{fixture}-control.xlsx", sheet, root)
        shift = (lambda spots: lambda row: row + sum(row >= at for at in spots))(spots)
        expected = [r if r["sheet"] != sheet else e for r, e in zip(built.reading, reading(built.results, shift))]
        changes = differences(expected, reading(read(path)))
        if changes:
            pytest.fail(f"{fixture} [{sheet}]: the edit alone changed the reading: {changes}", pytrace=False)


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_ordinary_words_in_text_cells_do_not_change_the_reading(fixture, corpus, pairs, tmp_path):
    """Each pair of the sample for this form: one cell given the phrase, the form read again, the same reading
    (the failure lists every pair that changed it, with what changed)."""
    built = corpus[fixture]
    if not pairs[fixture]:
        pytest.skip(f"{fixture}: no text cell to replace in the sample")
    failures = []
    for i, pair in enumerate(pairs[fixture]):
        slot = pair.slot
        root = built.package.sheet(slot.sheet)
        _set_text(root, slot.address, pair.phrase)
        path = built.package.write(tmp_path / f"{i}.xlsx", slot.sheet, root)
        replaced = Replaced(slot.sheet, slot.address, slot.role)
        try:
            got = reading(read(path), replaced=replaced)
        except Exception as error:  # a crash is a change of reading too; report it with the pair
            failures.append(f"{pair}: {type(error).__name__}: {error}")
            continue
        expected = reading(built.results, replaced=replaced)
        if slot.role == "deviation":  # a blank deviation of a row scored in full has words now
            for item in expected:
                for ind in item["indicators"]:
                    if item["sheet"] == slot.sheet and ind["deviation_cell"] == slot.address:
                        ind["deviation_blank"] = False
        if got != expected:
            failures.append(f"{pair}: " + "; ".join(differences(expected, got)))
    if failures:  # one line per pair; no traceback (a hundred failing forms must still report quickly)
        pytest.fail(f"{fixture}: {len(failures)} of {len(pairs[fixture])} phrases change the reading:\n  " + "\n  ".join(failures),
                    pytrace=False)


# ---------------------------------------------------------------- relation 2: a plain row of text inserted


def insertion_rows(built: Built, sheet: str) -> dict[str, int]:
    """Where the text row goes in ``sheet``: directly under the last indicator row (or, where its merged
    一级/二级 cells run on over placeholder rows, under the rows they span: a row inside a merged group
    would be part of it), and directly above the funds table's header."""
    [result] = [r for r in built.results if r.form.sheet == sheet]
    form = result.form
    merges = _merges(built.package.sheet(sheet))
    spots = {}
    if form.indicators:
        at = max(ind.row for ind in form.indicators) + 1
        while any(r1 < at <= r2 for r1, _, r2, _ in merges):
            at += 1
        spots["under-indicators"] = at
    if form.funds_header:
        spots["above-funds"] = int(_ADDRESS.fullmatch(form.funds_header).group(2))
    return spots


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_inserted_rows_of_text_are_reported_and_nothing_else_changes(fixture, corpus, tmp_path):
    """A row nothing accounts for is a finding naming its cell, and it moves the rows under it, nothing more.
    Both rows go into one workbook (one read)."""
    built = corpus[fixture]
    sheet = built.results[0].form.sheet
    spots = insertion_rows(built, sheet)
    root = built.package.sheet(sheet)
    cells = {}
    for done, (position, at) in enumerate(sorted(spots.items(), key=lambda spot: spot[1])):
        cells[position] = _insert_row(root, at + done, INSERTED_TEXT)  # the rows inserted above moved it down
    path = built.package.write(tmp_path / f"{fixture}-inserted.xlsx", sheet, root)
    results = read(path)
    got = reading(results)
    expected = reading(built.results, lambda row: row + sum(row >= at for at in spots.values()))
    # Under a table that no 总分 row closes (重庆's flat list: the total is in the header) the row is a line
    # under the table, and 以上数据经单位负责人审核 reads as the sign-off it is; anywhere else nothing accounts for it.
    closed = built.results[0].form.total_label.address is not None
    [form] = [r.form for r in results if r.form.sheet == sheet]
    under_table = {cell for position, cell in cells.items() if position == "under-indicators" and not closed
                   and form.roles.get(split_ref(cell)) == "表下签署（填表人、日期等）"}
    problems = [f"{position}: no {ROW_UNREAD} finding at {cell}" for position, cell in cells.items()
                if cell not in under_table
                and not any(f.code == ROW_UNREAD and f.sheet == sheet and f.cell == cell for r in results for f in r.findings)]
    for item in got:
        item["findings"] = [f for f in item["findings"] if not (f[1] == ROW_UNREAD and f[2] in cells.values())]
    problems += differences(expected, got)
    assert cells, f"{fixture}: neither an indicator table nor a funds table to insert a row into"
    if problems:
        where = ", ".join(f"{cell} ({position})" for position, cell in cells.items())
        pytest.fail(f"{fixture}: the row “{INSERTED_TEXT}” inserted at {where}: " + "; ".join(problems), pytrace=False)
