"""Workbook → :class:`~perfxl.model.Form`, locating everything by its label text and the form's structure.

Nothing here uses fixed cell addresses. Each part of the form is found through :mod:`perfxl.labels`:
the identity rows (项目名称 …) and the 年度总体目标 block by their labels; the 项目资金 block and the
绩效指标 table by their structure: a header row whose cells are recognised by the words they contain
(预算, 执行数, 得分 …; 三级指标, 分值, 原因 …), then the rows under it. In the funds block the row
labelled as a total (or else the first) is the total and every other row a part, whatever its name;
in the indicator table, rows that are not indicators (placeholders, empty template rows, 其中
breakdowns without a 分值, footnotes, narrative rows) are skipped, up to the 总分 row.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from . import labels as L
from .model import EMPTY, KIND_DEPARTMENT, Cell, Form, FormError, FundRow, Indicator, Level1Group, a1
from .numbers import clean_text, display_text, read_value
from .workbook import Book, SheetGrid, open_book

FUND_KINDS = ("funds_total", "funds_current", "funds_carryover", "funds_other")
_IGNORED_SHEETS = {L.FINDINGS_SHEET, L.REPORT_INFO_SHEET, L.ORIGINAL_FILLS_SHEET}
_LEVEL1_WEIGHT_SUFFIX = re.compile(r"\d+(?:\.\d+)?分$")


def read_forms(path: Path | str, book: Book | None = None) -> list[Form]:
    """Every 自评表 in the workbook (one per sheet); a FormError when there is none."""
    path = Path(path)
    book = book or open_book(path, styles=False)
    forms = [form for grid in book.sheets if grid.name not in _IGNORED_SHEETS for form in [parse_sheet(grid, path)] if form]
    if not forms:
        looks_like = _what_it_looks_like(book)
        raise FormError(
            "not-a-form",
            (f"{path.name} 看起来是{looks_like}，不是绩效自评表。" if looks_like else f"{path.name} 中没有找到绩效自评表：")
            + "perfxl 读取《项目支出绩效自评表》和《部门整体支出绩效自评表》：表中应有“三级指标”“分值”“得分”等表头。"
            "请选择自评表文件，或用 `perfxl template` 生成标准表格式。",
            path,
        )
    info = next((grid for grid in book.sheets if L.normalize_label(grid.name) == L.REPORT_INFO_SHEET), None)
    if info is not None:
        narrative, cells = read_report_info(info)
        for form in forms:
            form.narrative = {**narrative, **form.narrative}
            form.narrative_cells = {**cells, **form.narrative_cells}
    return forms


def _what_it_looks_like(book: Book) -> str:
    """The kind of form a workbook without a 自评表 holds, by the titles on its sheets, or ''."""
    for grid in book.sheets:
        for (row, _), value in sorted(grid.values.items()):
            if row > 6:
                break
            text = L.normalize_label(value) if isinstance(value, str) else ""
            for word, described in L.OTHER_FORMS:
                if word in text:
                    return described
    return ""


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


def parse_sheet(grid: SheetGrid, path: Path) -> Form | None:
    """Read one sheet as a form, or None when the sheet is not a 自评表."""
    labels = _Labels(grid)
    header_rows = _indicator_header_rows(grid)  # the exact label 三级指标 is one of these
    if not header_rows or not {"score", "weight"} & set(_header_columns(grid, header_rows[0])):
        return None
    header_row = header_rows[0]
    form = Form(path=path, sheet=grid.name)
    _read_title(grid, form)
    title = L.normalize_label(form.title)
    if any(word in title for word in L.DEPARTMENT_TITLE_WORDS) or (labels.first("unit") and not labels.first("project")):
        form.kind = KIND_DEPARTMENT
        form.unit = _value_right_of(grid, labels.first("unit"))
        superior = labels.first("superior") or labels.first("department")
        form.department = _value_right_of(grid, superior) if superior else form.unit
        form.implementer = form.unit
    else:
        form.project = _value_right_of(grid, labels.first("project"))
        form.department = _value_right_of(grid, labels.first("department"))
        form.implementer = _value_right_of(grid, labels.first("implementer"))
    _read_funds(grid, labels, form, before_row=header_row)
    _read_goal(grid, labels, form, before_row=header_row)
    end_row = _read_indicators(grid, labels, form, header_rows)
    _read_total(grid, labels, form, header_row, end_row)
    for key in _NARRATIVE:  # 改进措施 as a header (偏差原因 | 改进措施) is not the narrative row of that name
        spot = next((spot for spot in labels.by_field.get(key, ()) if spot[0] > header_row and spot[0] not in header_rows), None)
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
        if not form.title and ("自评表" in text or "绩效" in text and "表" in text):
            form.title = display_text(value)
        if form.title and form.year is None and "年" in text:
            form.year = L.year_in(value)  # in the title, or on a line under it (（2022年度）)
        if form.title and form.year:
            return
    for value in grid.values.values():
        if isinstance(value, str) and "年度" in value and L.year_in(value):
            form.year = L.year_in(value)
            return


def _read_funds(grid: SheetGrid, labels: _Labels, form: Form, before_row: int) -> None:
    """The funds block, read by its structure: a header row whose cells name money columns (by the words
    of labels.FUND_COLUMN_WORDS), then its rows: the total (the row labelled as one, else the first)
    and every other row as a part, whatever its label."""
    found = _funds_header(grid, before_row)
    if found is None:
        return
    header_row, columns, titles = found
    form.fund_columns = dict(columns)
    first_value_col = min(columns.values())
    form.funds_header = a1(header_row, first_value_col)
    # The money unit: in the block's title or headers (项目资金（元）), else on a line above (金额单位：元),
    # looked at only when the block itself does not say.
    above = ((r, c) for (r, c), v in sorted(grid.values.items()) if r < header_row and isinstance(v, str) and "单位" in v)
    spots = itertools.chain(titles, [(header_row, c) for c in columns.values()], [labels.first("funds_block", before_row=before_row)], above)
    unit = next((found for spot in spots if spot and (found := L.unit_in_label(grid.value(*spot)))), None)
    if unit:
        form.money_unit = unit
        form.money_factor = 1 / 10000 if unit == "元" else 1.0
    # A budget weight stated in a header: 得分（20分*执行率）, else the block's title 预算执行情况（10分）.
    weight_spots = [(header_row, columns["score"])] if "score" in columns else []
    form.funds_weight_label = next((w for spot in [*weight_spots, *titles] if (w := L.stated_weight(grid.value(*spot))) is not None), None)
    stop = _funds_end(grid, labels, header_row, before_row, titles, first_value_col)
    rows: list[tuple[int, str, str | None, str, Cell]] = []  # row, label, kind by label, group, inline amount
    group = ""
    side_by_side: list[tuple[int, str]] = []  # (column, group) of headings written side by side
    for row in range(header_row + 1, stop):
        texts, context = [], []
        for col in range(1, first_value_col):
            anchor = grid.anchor(row, col)
            if anchor in titles or anchor[1] < col:
                continue  # the block's title, or the rest of a horizontal merge
            text = display_text(grid.value(row, col))
            if text:
                (context if anchor[0] < row else texts).append(text)  # a label spanning down from above is context
        label = "".join(texts)
        values = [grid.value(row, c) for c in columns.values()]
        if not label and all(not clean_text(v) for v in values):
            continue
        if label and L.FOOTNOTE.match(clean_text(label)):
            continue
        if form.kind == KIND_DEPARTMENT:
            headings = _group_headings(grid, row)
            if len({g for _, g in headings}) == 2:  # 按收入性质分 | 按支出性质分 side by side: amounts inline below
                side_by_side = headings
                continue
            inline = _inline_parts(grid, row, side_by_side) if side_by_side else []
            if inline:
                rows.extend((row, part_label, None, part_group, amount) for part_label, part_group, amount in inline)
                continue
            found = _group_in(label) or _group_in("".join(context))
            if found:
                group = found
                label = _strip_group(label)
                if not label and all(not clean_text(v) for v in values):
                    continue  # a heading row (按收入性质分) with nothing else
        rows.append((row, label, _fund_kind(label), group, EMPTY))
    if not rows:
        return
    total_index = next((i for i, (_, _, kind, _, _) in enumerate(rows) if kind == "funds_total"), 0)
    for i, (row, label, kind, part_group, inline) in enumerate(rows):
        if i == total_index:
            kind, part_group = "funds_total", ""
        elif kind in (None, "funds_total") or form.fund(kind):
            kind = "funds_part"
        cells = {name: _cell(grid, row, col) for name, col in columns.items()} if inline.address is None else {}
        form.funds.append(
            FundRow(
                kind=kind, label=label or ("年度资金总额" if kind == "funds_total" else f"第 {row} 行资金"), row=row,
                initial=cells.get("initial_budget", EMPTY), budget=cells.get("budget", EMPTY),
                executed=cells.get("executed", EMPTY), weight=cells.get("weight", EMPTY),
                rate=cells.get("rate", EMPTY), score=cells.get("score", EMPTY), group=part_group, inline=inline,
            )
        )
    form.funds.sort(key=lambda fund: fund.kind != "funds_total")  # the total first, then the parts in order


_INLINE = re.compile(r"^(?:其中[:：])?(?P<label>[^:：0-9]{2,30}?)[:：](?P<amount>[-+0-9,.，]*)(?P<unit>万元|元)?$")


def _group_in(text: str) -> str:
    normalized = L.normalize_label(text)
    return next((group for group, words in L.GROUP_WORDS if any(word in normalized for word in words)), "")


def _strip_group(label: str) -> str:
    text = label
    for _, words in L.GROUP_WORDS:
        for word in words:
            text = text.replace(word, "")
    return text.lstrip(":：").strip()


def _group_headings(grid: SheetGrid, row: int) -> list[tuple[int, str]]:
    """(column, group) of every 按收入性质分 / 按支出性质分 heading written in this row."""
    found = []
    for col in range(1, grid.max_col + 1):
        value = grid.value(row, col)
        if grid.anchor(row, col) == (row, col) and isinstance(value, str) and (group := _group_in(value)):
            found.append((col, group))
    return found


def _inline_parts(grid: SheetGrid, row: int, headings: list[tuple[int, str]]) -> list[tuple[str, str, Cell]]:
    """Parts written with their amount in the label (其中：一般公共预算：1873.66万元), under side-by-side
    headings: each belongs to the heading at or left of its column."""
    parts = []
    for col in range(1, grid.max_col + 1):
        value = grid.value(row, col)
        if grid.anchor(row, col) != (row, col) or not isinstance(value, str):
            continue
        found = _INLINE.match(clean_text(value))
        if not found:
            continue
        group = next((g for c, g in sorted(headings, reverse=True) if c <= col), headings[0][1])
        amount = found.group("amount").replace("，", ",")
        unit = found.group("unit") or ""
        parts.append((found.group("label"), group, Cell(a1(row, col), f"{amount}{unit}" if amount else None)))
    return parts


def _funds_header(grid: SheetGrid, before_row: int) -> tuple[int, dict[str, int], list[tuple[int, int]]] | None:
    """(header row, field → column, title cells) of the funds block: the first row above the indicator
    table with a budget or executed column and at least one other money column."""
    for row in range(1, before_row):
        columns: dict[str, int] = {}
        titles: list[tuple[int, int]] = []
        for col in range(1, grid.max_col + 1):
            if grid.anchor(row, col) != (row, col):
                continue
            value = grid.value(row, col)
            if not isinstance(value, str):
                continue
            name = L.classify(value, L.FUND_COLUMN_WORDS)
            if name is None:
                continue
            if _is_funds_title(grid, row, col, value):
                titles.append((row, col))
            elif name not in columns:
                columns[name] = col
        if ("budget" in columns or "executed" in columns) and len(columns) >= 2:
            # A title written into the header row's first cell (年度预算数（万元）) is left of every column.
            leftmost = min(columns, key=columns.get)
            if list(columns.values()).count(columns[leftmost]) == 1 and _title_in_label_column(grid, row, columns, leftmost):
                titles.append((row, columns.pop(leftmost)))
            if "budget" in columns or "executed" in columns:
                return row, columns, titles
    return None


def _is_funds_title(grid: SheetGrid, row: int, col: int, value: str) -> bool:
    """项目资金（万元）, 预算执行情况（10分）: a block title spanning the block's rows, not a column."""
    label = L.normalize_label(value)
    if any(word in label for word in L.FUNDS_TITLE_WORDS) and not any(w in label for w in ("数", "率", "分值", "得分")):
        return True
    return grid.span_bottom(row, col) - row >= 2


def _title_in_label_column(grid: SheetGrid, row: int, columns: dict[str, int], leftmost: str) -> bool:
    """The leftmost classified header is a title when the cells below it hold row labels, not numbers."""
    col = columns[leftmost]
    below = [grid.value(r, col) for r in range(row + 1, row + 4)]
    kinds = [read_value(v).kind for v in below]
    return "text" in kinds and "number" not in kinds


def _funds_end(grid: SheetGrid, labels: _Labels, header_row: int, before_row: int, titles: list[tuple[int, int]], first_value_col: int) -> int:
    """The row after the funds block: the end of its title's span, the next block's label, or the indicator table."""
    stop = before_row
    for spot in titles:
        bottom = grid.span_bottom(*spot)
        if bottom > header_row:
            stop = min(stop, bottom + 1)
    for row in range(header_row + 1, stop):
        for col in range(1, max(first_value_col, 2)):
            value = grid.value(row, col)
            if isinstance(value, str) and L.field_of(value) in _FUNDS_STOP:
                return row
    return stop


_FUNDS_STOP = {"goal", "goal_expected", "goal_actual", "indicators_block", "level1", "level2", "level3", "project", "department", "implementer", "contact"}


def _fund_kind(label: str) -> str | None:
    if not label:
        return None
    found = L.field_of(label)
    if found in FUND_KINDS:
        return found
    normalized = L.normalize_label(label)
    if found == "total" or any(word in normalized for word in L.FUNDS_TOTAL_WORDS) and not normalized.startswith("其中"):
        return "funds_total"
    return None


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


def _header_columns(grid: SheetGrid, row: int) -> dict[str, int]:
    """Indicator-table field → column of a header row, by the words each header contains."""
    columns = _classified(grid, row)
    # A split target (指标性质/指标值/度量单位) may sit on a second header row under 年度指标值.
    for field, col in _classified(grid, row + 1).items():
        if field in ("nature", "target", "measure_unit") and (field not in columns or grid.anchor(row, columns[field]) != (row, col)):
            columns[field] = col
    if "level3" not in columns and (name := _name_column(grid, row, columns)):
        columns["level3"] = name
    if "deviation" in columns and (measures := _measures_column(grid, row, columns["deviation"])):
        columns["measures"] = measures
    return columns


def _name_column(grid: SheetGrid, row: int, columns: dict[str, int]) -> int | None:
    """The 三级指标 column of a header that does not say 三级指标: whatever stands right of 二级指标
    (指标名称, 具体指标, 绩效指标), else the header with a name word (labels.INDICATOR_NAME_WORDS) nearest
    left of the value columns (指标值, 实际完成值, 分值, 得分) and not the block's label merged down its rows."""
    values = [columns[field] for field in ("target", "actual", "weight", "score") if field in columns]
    if not values:
        return None
    taken = set(columns.values())
    heads = [
        (col, L.normalize_label(value)) for col in range(1, min(values))
        if grid.anchor(row, col) == (row, col) and col not in taken and isinstance(value := grid.value(row, col), str)
        and L.normalize_label(value) and grid.span_bottom(row, col) - row < 2
    ]
    if "level2" in columns:
        return next((col for col, _ in heads if col > columns["level2"]), None)
    named = [col for col, label in heads if any(word in label for word in L.INDICATOR_NAME_WORDS)]
    return named[-1] if named else None


def _measures_column(grid: SheetGrid, row: int, deviation: int) -> int | None:
    """The 改进措施 half of a deviation column split in two (偏差原因 | 改进措施, 原因分析 | 整改措施, or
    偏差原因分析及改进措施 over 偏差原因 | 改进措施 on a second header row), or None."""
    end = grid.span_end(row, deviation)
    if end > deviation:  # a header over sub-columns: the half whose sub-header (a header, not a note) names measures
        return next((col for col in range(deviation + 1, end + 1)
                     if grid.anchor(row + 1, col) == (row + 1, col) and _names_measures(grid.value(row + 1, col))), None)
    if _names_measures(grid.value(row, deviation)):
        return None  # 偏差原因分析及改进措施 is both halves in one column
    for col in range(deviation + 1, grid.max_col + 1):
        value = grid.value(row, col)
        if grid.anchor(row, col) == (row, col) and isinstance(value, str) and L.classify(value, L.INDICATOR_COLUMN_WORDS) == "deviation":
            return col if _names_measures(value) else None
    return None


def _names_measures(value: object) -> bool:
    """改进措施, 整改措施: a deviation header that names measures (not a note that mentions them)."""
    label = L.normalize_label(value) if isinstance(value, str) else ""
    return len(label) <= 12 and any(word in label for word in L.MEASURES_COLUMN_WORDS)


def _deviation(get: dict[str, Cell]) -> Cell:
    """The row's 偏差原因分析及改进措施. A column split in two (偏差原因 | 改进措施) is read as the one text a
    single column holds, cause then measures joined by labels.DEVIATION_JOIN (a blank half left out), at the
    first column's address so findings point there; blank only when both halves are."""
    cause = get.get("deviation", EMPTY)
    measures = get.get("measures")
    if measures is None or measures.address == cause.address:  # one column, or one text merged across both
        return cause
    if measures.is_blank:
        return cause
    if cause.is_blank:
        return Cell(cause.address, measures.text)
    return Cell(cause.address, cause.text.rstrip("。；;，,、 ") + L.DEVIATION_JOIN + measures.text)


def _classified(grid: SheetGrid, row: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for col in range(1, grid.max_col + 1):
        if grid.anchor(row, col) != (row, col):
            continue
        value = grid.value(row, col)
        name = L.classify(value, L.INDICATOR_COLUMN_WORDS) if isinstance(value, str) else None
        if name and name not in columns:
            columns[name] = col
    return columns


def _is_subheader(grid: SheetGrid, row: int) -> bool:
    """The second header row of a split target: 指标性质 | 指标值 | 度量单位."""
    fields = set(_classified(grid, row))
    return bool(fields & {"nature", "measure_unit"}) and not fields & {"level3", "score"}


def _read_indicators(grid: SheetGrid, labels: _Labels, form: Form, header_rows: list[int]) -> int:
    """Fill form.indicators and form.level1_groups from the table under ``header_rows`` (its 三级指标 header
    rows); return the row where the table ends (总分 row or past the end)."""
    first = header_rows[0]
    total_spot = labels.first("total", after_row=first)
    end_row = total_spot[0] if total_spot else grid.max_row + 1
    columns = _header_columns(grid, first)
    form.columns = dict(columns)
    form.indicators_header = a1(first, min(columns.values()))
    level1, level2 = "", ""
    groups: dict[str, Level1Group] = {}
    for row in range(first + 1, end_row):
        if row in header_rows:
            columns = _header_columns(grid, row)
            continue
        if row == first + 1 and _is_subheader(grid, row):
            continue
        get = {field: _cell(grid, row, col) for field, col in columns.items()}
        if "level3" in get and get["level3"].address != a1(row, columns["level3"]):
            continue  # a row inside a vertically merged 三级指标: part of the row above
        if not _is_indicator_row(grid, row, get, form):
            continue
        raw1 = get.get("level1", EMPTY)
        name1 = _LEVEL1_WEIGHT_SUFFIX.sub("", L.strip_core_mark(L.indicator_name(raw1.raw)))
        name2 = L.strip_core_mark(L.indicator_name(get.get("level2", EMPTY).raw)) or (level2 if not name1 or name1 == level1 else "")
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
                score=get.get("score", EMPTY), deviation=_deviation(get),
                level1_cell=raw1.address if raw1.raw else None,
            )
        )
    form.level1_groups = list(groups.values())
    return end_row


def _indicator_header_rows(grid: SheetGrid) -> list[int]:
    """Header rows of the 绩效指标 table: those with a 三级指标 column however it is worded (三级指标名称,
    三级指标（核心指标★）); and, by structure, those that call it otherwise (指标名称, 具体指标, 绩效指标)
    with 一级/二级指标 beside it or value columns right of it, provided they have both an 实际完成值 and an
    得分 column: a 绩效目标申报表 or 监控表 (no 得分) is never taken for a 自评表."""
    level3, others = set(), set()
    for (row, col), value in grid.values.items():
        if isinstance(value, str) and len(label := L.normalize_label(value)) <= 12:
            if "三级指标" in label:
                level3.add(row)
            elif (found := _OTHER_HEADS.search(label)) and (found.group() == "二级指标" or grid.span_bottom(row, col) - row < 2):
                others.add(row)  # a name header, not a 绩效指标 block label merged down its rows
    structural = {row for row in others - level3 if {"level3", "actual", "score"} <= _header_columns(grid, row).keys()}
    return sorted(level3 | structural)


_OTHER_HEADS = re.compile("|".join(["二级指标", *L.INDICATOR_NAME_WORDS]))


def _is_indicator_row(grid: SheetGrid, row: int, get: dict[str, Cell], form: Form) -> bool:
    """False for what sits in an indicator table without being an indicator: template rows printed empty,
    placeholders (指标1, ……), 其中 breakdowns without their own 分值, notes and footnotes, narrative rows."""
    name = L.strip_core_mark(clean_text(get.get("level3", EMPTY).raw))
    weight, score = get.get("weight", EMPTY).reading, get.get("score", EMPTY).reading
    scored = (weight.is_number and weight.value != 0) or (score.is_number and score.value != 0)
    content = [get.get(f, EMPTY) for f in ("level3", "target", "actual")]
    if all(cell.is_blank for cell in content) and not scored:
        return False  # an empty template row (经济效益指标 with nothing else), or zeros only
    if not scored and (L.PLACEHOLDER.match(name) or name.startswith("其中")):
        return False
    first_text = next((t for c in range(1, grid.max_col + 1) if grid.anchor(row, c) == (row, c) and (t := clean_text(grid.value(row, c)))), "")
    if L.FOOTNOTE.match(first_text):
        return False
    field = L.field_of(first_text)
    if field in _NARRATIVE:
        _read_narrative_row(grid, row, first_text, field, form)
        return False
    return True


_NARRATIVE = ("conclusion", "problems", "measures", "other_notes")


def _read_narrative_row(grid: SheetGrid, row: int, label: str, field: str, form: Form) -> None:
    spot = next(((row, c) for c in range(1, grid.max_col + 1) if clean_text(grid.value(row, c)) == label), None)
    cell = _value_right_of(grid, spot)
    if cell.text and field not in form.narrative:
        form.narrative[field] = cell.text
        form.narrative_cells[field] = cell.address or ""


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
        return
    # The grade written into the 总分 row itself, right of the score (`优` in its last cell).
    past = grid.span_end(*grid.anchor(row, score_col)) if score_col else label_end
    for col in range(past + 1, grid.max_col + 1):
        if grid.anchor(row, col) == (row, col) and L.grade_word(grid.value(row, col)):
            form.grade_cell = _cell(grid, row, col)
            return


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
