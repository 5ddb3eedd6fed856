"""Workbook → :class:`~perfxl.model.Form`, locating everything by its label text.

Nothing here uses fixed cell addresses. Each part of the form is found by the labels of
:mod:`perfxl.labels`: the identity rows (项目名称 …), the 项目资金 block (a header row holding
全年预算数/全年执行数 and rows 年度资金总额/其中：当年财政拨款/…), the 年度总体目标 block, and the
绩效指标 table (a header row holding 三级指标/分值/得分, then indicator rows up to 总分).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import labels as L
from .model import EMPTY, Cell, Form, FormError, FundRow, Indicator, Level1Group, a1
from .numbers import clean_text, display_text
from .workbook import Book, SheetGrid, open_book

FUND_KINDS = ("funds_total", "funds_current", "funds_carryover", "funds_other")
FUND_VALUE_FIELDS = ("initial_budget", "budget", "executed", "weight", "rate", "score")
INDICATOR_FIELDS = ("level1", "level2", "level3", "target", "actual", "weight", "score", "deviation", "nature", "measure_unit")
_IGNORED_SHEETS = {L.FINDINGS_SHEET, L.REPORT_INFO_SHEET, L.ORIGINAL_FILLS_SHEET}
_LEVEL1_WEIGHT_SUFFIX = re.compile(r"\d+(?:\.\d+)?分$")


def read_forms(path: Path | str, book: Book | None = None) -> list[Form]:
    """Every 自评表 in the workbook (one per sheet); a FormError when there is none."""
    path = Path(path)
    book = book or open_book(path, styles=False)
    forms = [form for grid in book.sheets if grid.name not in _IGNORED_SHEETS for form in [parse_sheet(grid, path)] if form]
    if not forms:
        raise FormError(
            "not-a-form",
            f"{path.name} 中没有找到项目支出绩效自评表：各工作表都没有“项目名称”“三级指标”“分值”“得分”等表头。"
            "请确认选择的是自评表文件，或用 `perfxl template` 生成标准表格式。",
            path,
        )
    info = next((grid for grid in book.sheets if L.normalize_label(grid.name) == L.REPORT_INFO_SHEET), None)
    if info is not None:
        narrative, cells = read_report_info(info)
        for form in forms:
            form.narrative = {**narrative, **form.narrative}
            form.narrative_cells = {**cells, **form.narrative_cells}
    return forms


def read_form(path: Path | str) -> Form:
    """The first 自评表 of a workbook."""
    return read_forms(path)[0]


class _Labels:
    """Every labelled cell of a sheet, by field, in reading order."""

    def __init__(self, grid: SheetGrid):
        self.by_field: dict[str, list[tuple[int, int]]] = {}
        for (row, col), value in sorted(grid.values.items()):
            if isinstance(value, str):
                found = L.field_of(value)
                if found:
                    self.by_field.setdefault(found, []).append((row, col))

    def first(self, field: str, after_row: int = 0, before_row: int | None = None) -> tuple[int, int] | None:
        for row, col in self.by_field.get(field, ()):
            if row > after_row and (before_row is None or row < before_row):
                return row, col
        return None

    def in_row(self, row: int, fields: tuple[str, ...]) -> dict[str, int]:
        found: dict[str, int] = {}
        for field in fields:
            for r, c in self.by_field.get(field, ()):
                if r == row and field not in found:
                    found[field] = c
        return found


def parse_sheet(grid: SheetGrid, path: Path) -> Form | None:
    """Read one sheet as a form, or None when the sheet is not a 自评表."""
    labels = _Labels(grid)
    header = labels.first("level3")
    if header is None or not (labels.by_field.get("score") or labels.by_field.get("weight")):
        return None
    form = Form(path=path, sheet=grid.name)
    _read_title(grid, form)
    form.project = _value_right_of(grid, labels.first("project"))
    form.department = _value_right_of(grid, labels.first("department"))
    form.implementer = _value_right_of(grid, labels.first("implementer"))
    _read_funds(grid, labels, form, before_row=header[0])
    _read_goal(grid, labels, form, before_row=header[0])
    end_row = _read_indicators(grid, labels, form)
    _read_total(grid, labels, form, header[0], end_row)
    for key in ("conclusion", "problems", "measures"):
        spot = labels.first(key, after_row=header[0])
        if spot:
            cell = _value_right_of(grid, spot)
            if cell.text:
                form.narrative[key] = cell.text
                form.narrative_cells[key] = cell.address or ""
    return form


def _cell(grid: SheetGrid, row: int, col: int) -> Cell:
    r, c = grid.anchor(row, col)
    return Cell(a1(r, c), grid.values.get((r, c)), grid.formats.get((r, c)))


def _value_right_of(grid: SheetGrid, spot: tuple[int, int] | None) -> Cell:
    """The first non-empty cell right of a label (past its merged span), stopping at the next label."""
    if spot is None:
        return EMPTY
    row, col = spot
    start = grid.span_end(row, col) + 1
    limit = max(grid.max_col, start)
    for c in range(start, limit + 1):
        if grid.anchor(row, c) != (row, c) and grid.anchor(row, c)[1] < c:
            continue  # inside a horizontal merge already seen
        value = grid.value(row, c)
        if isinstance(value, str) and L.field_of(value):
            break
        if clean_text(value):
            return _cell(grid, row, c)
    return Cell(a1(*grid.anchor(row, start)), None)


def _read_title(grid: SheetGrid, form: Form) -> None:
    for (row, col), value in sorted(grid.values.items()):
        if row > 6:
            break
        text = clean_text(value)
        if "自评表" in text or "绩效" in text and "表" in text:
            form.title = display_text(value)
            form.year = L.year_in(value)
            return
    for value in grid.values.values():
        if isinstance(value, str) and "年度" in value and L.year_in(value):
            form.year = L.year_in(value)
            return


def _read_funds(grid: SheetGrid, labels: _Labels, form: Form, before_row: int) -> None:
    header = labels.first("budget", before_row=before_row) or labels.first("executed", before_row=before_row)
    if header is None:
        return
    header_row = header[0]
    columns = labels.in_row(header_row, FUND_VALUE_FIELDS)
    for label_spot in [labels.first("funds_block", before_row=before_row), *[(header_row, c) for c in columns.values()]]:
        if label_spot:
            unit = L.unit_in_label(grid.value(*label_spot))
            if unit:
                form.money_unit = unit
                form.money_factor = 1 / 10000 if unit == "元" else 1.0
                break
    first_value_col = min(columns.values())
    goal = labels.first("goal", after_row=header_row)
    stop = min(goal[0], before_row) if goal else before_row
    for row in range(header_row + 1, stop):
        kind, label = None, ""
        for col in range(1, first_value_col):
            value = grid.value(row, col)
            found = L.field_of(value) if isinstance(value, str) else None
            if found == "total":
                found = "funds_total"
            if found in FUND_KINDS:
                kind, label = found, display_text(value)
        if kind is None or form.fund(kind):
            continue
        cells = {name: _cell(grid, row, col) for name, col in columns.items()}
        form.funds.append(
            FundRow(
                kind=kind, label=label, row=row,
                initial=cells.get("initial_budget", EMPTY), budget=cells.get("budget", EMPTY),
                executed=cells.get("executed", EMPTY), weight=cells.get("weight", EMPTY),
                rate=cells.get("rate", EMPTY), score=cells.get("score", EMPTY),
            )
        )


def _read_goal(grid: SheetGrid, labels: _Labels, form: Form, before_row: int) -> None:
    goal = labels.first("goal", before_row=before_row)
    if goal is None:
        return
    expected = labels.first("goal_expected", after_row=goal[0] - 1, before_row=before_row)
    actual = labels.first("goal_actual", after_row=goal[0] - 1, before_row=before_row)
    if expected is None:
        form.goal_expected = _value_right_of(grid, goal)
        return
    form.goal_expected = _below(grid, expected, before_row)
    if actual is not None:
        form.goal_actual = _below(grid, actual, before_row)


def _below(grid: SheetGrid, spot: tuple[int, int], before_row: int) -> Cell:
    row, col = spot
    target_row = grid.span_bottom(row, col) + 1
    if target_row >= before_row:
        return EMPTY
    return _cell(grid, target_row, col)


def _header_columns(grid: SheetGrid, labels: _Labels, row: int) -> dict[str, int]:
    columns = labels.in_row(row, INDICATOR_FIELDS)
    # A split target (指标性质/指标值/度量单位) may sit on a second header row under 年度指标值.
    below = labels.in_row(row + 1, INDICATOR_FIELDS)
    for field, col in below.items():
        if field in ("nature", "target", "measure_unit") and (field not in columns or grid.anchor(row, columns[field]) != (row, col)):
            columns[field] = col
    return columns


def _read_indicators(grid: SheetGrid, labels: _Labels, form: Form) -> int:
    """Fill form.indicators and form.level1_groups; return the row where the table ends (总分 row or past the end)."""
    header_rows = sorted({r for r, _ in labels.by_field.get("level3", ())})
    first = header_rows[0]
    total_spot = labels.first("total", after_row=first)
    end_row = total_spot[0] if total_spot else grid.max_row + 1
    for key in ("conclusion", "problems", "measures"):
        spot = labels.first(key, after_row=first)
        if spot and spot[0] < end_row:
            end_row = spot[0]
    columns = _header_columns(grid, labels, first)
    form.columns = dict(columns)
    skip = {r for h in header_rows for r in (h, h + 1) if r == h or labels.in_row(r, ("nature", "target", "measure_unit"))}
    level1, level2 = "", ""
    groups: dict[str, Level1Group] = {}
    for row in range(first + 1, end_row):
        if row in header_rows:
            columns = _header_columns(grid, labels, row)
            continue
        if row in skip:
            continue
        get = {field: _cell(grid, row, col) for field, col in columns.items()}
        if "level3" in get and get["level3"].address != a1(row, columns["level3"]):
            continue  # a row inside a vertically merged 三级指标: part of the row above
        meaningful = [get.get(f, EMPTY) for f in ("level3", "target", "actual", "weight", "score")]
        if all(not clean_text(cell.raw) for cell in meaningful):
            continue
        raw1 = get.get("level1", EMPTY)
        name1 = _LEVEL1_WEIGHT_SUFFIX.sub("", L.indicator_name(raw1.raw))
        name2 = L.indicator_name(get.get("level2", EMPTY).raw) or (level2 if not name1 or name1 == level1 else "")
        if not name1:
            name1 = L.LEVEL2_TO_LEVEL1.get(name2) or level1
        if name1 and name1 not in groups:
            groups[name1] = Level1Group(name1, L.stated_weight(raw1.raw) if raw1.raw else None, raw1.address if raw1.raw else None)
        elif name1 and groups[name1].stated_weight is None and raw1.raw and L.stated_weight(raw1.raw) is not None:
            groups[name1] = Level1Group(name1, L.stated_weight(raw1.raw), raw1.address)
        level1, level2 = name1, name2
        form.indicators.append(
            Indicator(
                row=row, level1=name1, level2=name2,
                level3=get.get("level3", EMPTY), target=_target(grid, row, columns, get),
                actual=get.get("actual", EMPTY), weight=get.get("weight", EMPTY),
                score=get.get("score", EMPTY), deviation=get.get("deviation", EMPTY),
                level1_cell=raw1.address if raw1.raw else None,
            )
        )
    form.level1_groups = list(groups.values())
    return end_row


def _target(grid: SheetGrid, row: int, columns: dict[str, int], get: dict[str, Cell]) -> Cell:
    target = get.get("target", EMPTY)
    if "nature" not in columns and "measure_unit" not in columns:
        return target
    nature = clean_text(get.get("nature", EMPTY).raw)
    unit = clean_text(get.get("measure_unit", EMPTY).raw)
    value = display_text(target.raw)
    if nature in ("定性", "定量", "正向", "反向", "-", "/"):
        nature = {"反向": "≤"}.get(nature, "")
    combined = f"{nature}{value}{unit}" if value else ""
    return Cell(target.address, combined or None, target.number_format)


def _read_total(grid: SheetGrid, labels: _Labels, form: Form, header_row: int, end_row: int) -> None:
    spot = labels.first("total", after_row=header_row)
    if spot is None or spot[0] != end_row:
        return  # no 总分 row, or narrative rows come first (then the table has no total row)
    row, col = spot
    form.total_label = _cell(grid, row, col)
    weight_col, score_col = form.columns.get("weight"), form.columns.get("score")
    label_end = grid.span_end(row, col)
    if weight_col and score_col and weight_col > label_end and score_col > label_end:
        form.total_weight = _cell(grid, row, weight_col)
        form.total_score = _cell(grid, row, score_col)
    else:
        after = [c for c in range(label_end + 1, max(grid.max_col, label_end + 2) + 1) if grid.anchor(row, c) == (row, c)]
        if after:
            form.total_weight = _cell(grid, row, after[0])
        if len(after) > 1:
            form.total_score = _cell(grid, row, after[1])
    grade = labels.first("grade", after_row=row - 1, before_row=row + 3)
    if grade:
        form.grade_cell = _value_right_of(grid, grade)


def read_report_info(grid: SheetGrid) -> tuple[dict[str, str], dict[str, str]]:
    """The 报告信息 sheet: column A 项目, column B 内容 → {normalised 项目: 内容}."""
    narrative: dict[str, str] = {}
    cells: dict[str, str] = {}
    for row in range(1, grid.max_row + 1):
        key = L.normalize_label(grid.value(row, 1))
        if not key or key == "项目":  # blank rows and the 项目 / 内容 header
            continue
        value = display_text(grid.value(row, 2))
        if value:
            narrative[key] = value
            cells[key] = a1(row, 2)
    return narrative, cells
