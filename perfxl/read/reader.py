"""Workbook → :class:`~perfxl.model.Form`, locating everything by its label text and the form's structure.

Nothing here uses fixed cell addresses. Each part of the form is found through :mod:`perfxl.read.labels`:
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

from perfxl.read import labels as L
from perfxl.read import schemes
from perfxl.model import EMPTY, GROUP_ZH, KIND_DEPARTMENT, Cell, Form, FormError, FundRow, Indicator, Level1Group, Level2Group, OutlineParent, ScoreBlock, UnreadRow
from perfxl.mark.format import FINDINGS_SHEET, ORIGINAL_FILLS_SHEET
from perfxl.xlsx.cells import a1, split_ref
from perfxl.numbers import clean_text, display_text, read_value
from perfxl.read.workbook import Book, SheetGrid, open_book

FUND_KINDS = ("funds_total", "funds_current", "funds_carryover", "funds_other")
_IGNORED_SHEETS = {FINDINGS_SHEET, L.REPORT_INFO_SHEET, ORIGINAL_FILLS_SHEET}
_LEVEL1_WEIGHT_SUFFIX = re.compile(r"\d+(?:\.\d+)?分$")


def read_forms(path: Path | str, book: Book | None = None) -> list[Form]:
    """Every 自评表 in the workbook (one per sheet); a FormError when there is none."""
    path = Path(path)
    book = book or open_book(path, styles=False)
    forms = [form for grid in book.sheets if grid.name not in _IGNORED_SHEETS for form in [parse_sheet(grid, path)] if form]
    foreign = next((form for form in forms if "+" in form.scheme or not schemes.of(form.scheme).supported), None)
    if foreign is not None:  # on a scheme perfxl does not check (or on several at once): refused by name, never read as ours
        found = [schemes.of(code) for code in foreign.scheme.split("+")]
        raise FormError("unsupported-scheme", schemes.refusal(path.name, foreign.sheet, found), path)
    if not forms:
        titled = _titled_without_table(book)
        if titled:  # a 自评表 by its title, whose indicator table is missing (or not recognisable)
            sheet, kind = titled
            raise FormError(
                "not-a-form",
                f"{path.name} 的工作表“{sheet}”题为《{kind}》，但表中没有找到绩效指标表（应有“三级指标”“分值”“得分”等表头的一张表）："
                "perfxl 无法校验没有绩效指标的自评表。请补上绩效指标表，或用 `perfxl template` 生成的标准表格式重新填写。",
                path,
            )
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


def _titled_without_table(book: Book) -> tuple[str, str] | None:
    """(sheet, kind) of a sheet titled as a 自评表 (in its first rows) — read_forms found no indicator table in it."""
    for grid in book.sheets:
        if grid.name in _IGNORED_SHEETS:
            continue
        for (row, _), value in sorted(grid.values.items()):
            if row > 6:
                break
            text = L.normalize_label(value) if isinstance(value, str) else ""
            if "自评表" in text and not any(word in text for word, _ in L.OTHER_FORMS):
                department = any(word in text for word in L.DEPARTMENT_TITLE_WORDS)
                return grid.name, "部门整体支出绩效自评表" if department else "项目支出绩效自评表"
    return None


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
    """Read one sheet as a form, or None when the sheet is not a 自评表.

    The reading is accounted: every non-empty cell ends up in ``form.roles`` with what it was taken
    for, or in ``form.unread`` (see :func:`_account`)."""
    labels = _Labels(grid)
    header_rows = _indicator_header_rows(grid)  # the exact label 三级指标 is one of these
    if not header_rows:
        return None
    header_row = header_rows[0]
    columns = set(_header_columns(grid, header_row))
    foreign = None
    if not {"score", "weight"} & columns:  # no scores: a form of an unscored scheme, or no 自评表 at all
        foreign = [scheme for scheme in schemes.recognise(grid.values.values(), columns)
                   if scheme.scoring.row_score == schemes.ROW_UNSCORED]
        if not foreign:
            return None
    form = Form(path=path, sheet=grid.name)
    foreign = foreign or schemes.recognise(grid.values.values(), columns)
    if len(foreign) > 1 or (foreign and not foreign[0].supported):
        form.scheme = "+".join(scheme.code for scheme in foreign)
        return form  # read_forms refuses it by name
    scheme = foreign[0] if foreign else schemes.MOF_2020
    form.scheme = scheme.code
    roles = _Roles(grid)
    _read_title(grid, form, roles)
    title = L.normalize_label(form.title)
    if any(word in title for word in L.DEPARTMENT_TITLE_WORDS) or (labels.first("unit") and not labels.first("project")):
        form.kind = KIND_DEPARTMENT
        superior = labels.first("superior")
        form.unit = _value_right_of(grid, labels.first("unit") or superior)  # 一级预算单位名称 alone names the unit too
        above = superior or labels.first("department")
        form.department = _value_right_of(grid, above) if above else form.unit
        form.implementer = form.unit
    else:
        form.project = _value_right_of(grid, labels.first("project"))
        form.department = _value_right_of(grid, labels.first("department"))
        form.implementer = _value_right_of(grid, labels.first("implementer"))
    _read_funds(grid, labels, form, header_row, roles, scheme.scoring)
    _read_goal(grid, labels, form, header_row, roles)
    end_row, total_spot = _read_indicators(grid, labels, form, header_rows, roles, scheme.scoring)
    _read_total(grid, labels, form, total_spot, roles, scheme.scoring)
    if scheme.scoring.total_in_header and form.total_label.address is None:
        _read_header_total(grid, form, header_row, scheme.scoring.total_in_header, roles)
    _read_below(grid, form, end_row, roles)
    _account(grid, form, labels, roles)
    return form


def _cell(grid: SheetGrid, row: int, col: int) -> Cell:
    r, c = grid.anchor(row, col)
    return Cell(a1(r, c), grid.values.get((r, c)), grid.formats.get((r, c)))


def _value_right_of(grid: SheetGrid, spot: tuple[int, int] | None, stop_at_labels: bool = True) -> Cell:
    """The first non-empty cell right of a label (past its merged span), stopping at the next label
    (项目名称 | | 主管部门 …) unless ``stop_at_labels`` is False (a narrative row's text may say anything)."""
    if spot is None:
        return EMPTY
    row, col = spot
    start = grid.span_end(row, col) + 1
    limit = max(grid.max_col, start)
    for c in range(start, limit + 1):
        if grid.anchor(row, c) != (row, c) and grid.anchor(row, c)[1] < c:
            continue  # inside a horizontal merge already seen
        value = grid.value(row, c)
        if stop_at_labels and isinstance(value, str) and L.field_of(value):
            break
        if clean_text(value):
            return _cell(grid, row, c)
    return Cell(a1(*grid.anchor(row, start)), None)


class _Roles:
    """What each non-empty cell of a sheet was taken for, as the reading decides it: (row, col) of the
    cell's anchor → role (Chinese, as ``perfxl check --explain`` shows it). The first role given stands."""

    def __init__(self, grid: SheetGrid):
        self.grid = grid
        self.of: dict[tuple[int, int], str] = {}

    def mark(self, row: int, col: int, role: str) -> None:
        self.of.setdefault(self.grid.anchor(row, col), role)

    def mark_cell(self, cell: Cell, role: str) -> None:
        if cell.address:
            self.mark(*split_ref(cell.address), role)

    def mark_row(self, row: int, role: str) -> None:
        """Every non-empty cell of a row not yet accounted for."""
        for col, _ in _own_texts(self.grid, row):
            self.mark(row, col, role)


def _own_texts(grid: SheetGrid, row: int) -> list[tuple[int, str]]:
    """(column, text) of the cells a row holds itself (not merged in from above or the left)."""
    return [(col, text) for col in range(1, grid.max_col + 1)
            if grid.anchor(row, col) == (row, col) and (text := clean_text(grid.values.get((row, col))))]


def _read_title(grid: SheetGrid, form: Form, roles: _Roles) -> None:
    for (row, col), value in sorted(grid.values.items()):
        if row > 6:
            break
        text = clean_text(value)
        if not form.title and ("自评表" in text or "绩效" in text and "表" in text):
            form.title = display_text(value)
            roles.mark(row, col, "标题")
        if form.title and form.year is None and "年" in text:
            form.year = L.year_in(value)  # in the title, or on a line under it (（2022年度）)
        if form.title and form.year:
            break
    if form.year is None:
        for value in grid.values.values():
            if isinstance(value, str) and "年度" in value and L.year_in(value):
                form.year = L.year_in(value)
                break


#: How the accounting names the fields of a funds row and of an indicator.
FUND_FIELD_ZH = {"initial_budget": "年初预算数", "budget": "全年预算数", "executed": "全年执行数", "weight": "分值", "rate": "执行率", "score": "得分",
                 "arrived": "到位数"}
INDICATOR_FIELD_ZH = {
    "level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "target": "年度指标值", "actual": "实际完成值", "weight": "分值",
    "score": "得分", "deviation": "偏差原因分析及改进措施", "measures": "改进措施", "nature": "指标性质", "measure_unit": "度量单位",
    "remark": "备注（不校验）", "coefficient": "得分系数", "adjusted_target": "调整指标值", "core": "是否核心指标（不校验）",
    "reviewer": "复核分（复核人填写，不作为单位自评读取）", "standard": "评价标准（不校验）",
}


def _read_funds(grid: SheetGrid, labels: _Labels, form: Form, before_row: int, roles: _Roles, scoring: schemes.Scoring) -> None:
    """The funds block, read by its structure: a header row whose cells name money columns (by the words
    of labels.FUND_COLUMN_WORDS), then its rows: the total (the row labelled as one, else the first)
    and every other row as a part, whatever its label."""
    found = _funds_header(grid, before_row, scoring.fund_words + L.FUND_COLUMN_WORDS)
    if found is None:
        return
    header_row, columns, titles = found
    form.fund_columns = dict(columns)
    first_value_col = min(columns.values())
    form.funds_header = a1(header_row, first_value_col)
    for spot in titles:
        roles.mark(*spot, "项目资金表表题")
    for name, col in columns.items():
        roles.mark(header_row, col, f"项目资金表表头：{FUND_FIELD_ZH[name]}")
    for col, text in _own_texts(grid, header_row):
        if L.field_of(text) == "funds_block":
            roles.mark(header_row, col, "项目资金表表题")
    roles.mark_row(header_row, "项目资金表表头（未用的列名）")
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
        texts, context, label_cells = [], [], []
        for col in range(1, first_value_col):
            anchor = grid.anchor(row, col)
            if anchor in titles or anchor[1] < col:
                continue  # the block's title, or the rest of a horizontal merge
            text = display_text(grid.value(row, col))
            if text:
                if anchor[0] < row:
                    context.append(text)  # a label spanning down from above is context
                else:
                    texts.append(text)
                    label_cells.append(col)
        label = "".join(texts)
        values = [grid.value(row, c) for c in columns.values()]
        if not label and all(not clean_text(v) for v in values):
            continue
        own_blank = all(grid.anchor(row, c) != (row, c) or not clean_text(grid.values.get((row, c))) for c in columns.values())
        if label and L.FOOTNOTE.match(clean_text(label)):
            roles.mark_row(row, "脚注")
            continue
        if form.kind == KIND_DEPARTMENT:
            headings = _group_headings(grid, row)
            if len({g for _, g in headings}) == 2:  # 按收入性质分 | 按支出性质分 side by side: amounts inline below
                side_by_side = headings
                for col, g in headings:
                    roles.mark(row, col, f"资金分类：{GROUP_ZH[g]}")
                continue
            inline = _inline_parts(grid, row, side_by_side, roles) if side_by_side else []
            if not inline and own_blank and len(label_cells) == 1 and (heading := _group_in(label)):
                inline = _inline_heading(grid, row, label_cells[0], heading, roles)
                group = heading
            if not inline and own_blank and group and len(label_cells) == 1:
                inline = _inline_parts(grid, row, [(label_cells[0], group)], roles)
            if inline:
                rows.extend((row, part_label, kind, part_group, amount) for part_label, kind, part_group, amount in inline)
                continue
            found = _group_in(label) or _group_in("".join(context))
            if found:
                group = found
                heading_here = bool(_group_in(label))
                label = _strip_group(label)
                for col in label_cells:
                    if _group_in(grid.value(row, col)):
                        roles.mark(row, col, f"资金分类：{GROUP_ZH[found]}")
                if heading_here and not label:
                    if all(not clean_text(v) for v in values):
                        continue  # a heading row (按收入性质分) with nothing else
                    rows.append((row, GROUP_ZH[found], "funds_group_total", found, EMPTY))  # the heading carries its subtotal
                    continue
        for col in label_cells:
            roles.mark(row, col, "资金行名称")
        rows.append((row, label, _fund_kind(label), group, EMPTY))
    if not rows:
        return
    total_index = next((i for i, (_, _, kind, _, _) in enumerate(rows) if kind == "funds_total"), 0)
    for i, (row, label, kind, part_group, inline) in enumerate(rows):
        if i == total_index:
            kind, part_group = "funds_total", ""
        elif kind != "funds_group_total" and (kind in (None, "funds_total") or form.fund(kind)):
            kind = "funds_part"
        cells = {name: _cell(grid, row, col) for name, col in columns.items()} if inline.address is None else {}
        fund = FundRow(
            kind=kind, label=label or ("年度资金总额" if kind == "funds_total" else f"第 {row} 行资金"), row=row,
            initial=cells.get("initial_budget", EMPTY), budget=cells.get("budget", EMPTY),
            executed=cells.get("executed", EMPTY), weight=cells.get("weight", EMPTY),
            rate=cells.get("rate", EMPTY), score=cells.get("score", EMPTY), group=part_group, inline=inline,
            arrived=cells.get("arrived", EMPTY),
        )
        form.funds.append(fund)
        for name, col in columns.items():
            if inline.address is None and grid.anchor(row, col) == (row, col):
                roles.mark(row, col, f"资金行“{fund.label}”：{FUND_FIELD_ZH[name]}")
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


def _inline_parts(grid: SheetGrid, row: int, headings: list[tuple[int, str]], roles: _Roles) -> list[tuple[str, str | None, str, Cell]]:
    """Parts written with their amount in the label (其中：一般公共预算：1873.66万元), under side-by-side
    headings or stacked under a heading of their own: each belongs to the heading at or left of its column."""
    parts = []
    for col in range(1, grid.max_col + 1):
        value = grid.value(row, col)
        if grid.anchor(row, col) != (row, col) or not isinstance(value, str):
            continue
        found = _INLINE.match(clean_text(value))
        if not found or _group_in(found.group("label")):
            continue
        group = next((g for c, g in sorted(headings, reverse=True) if c <= col), headings[0][1])
        amount = found.group("amount").replace("，", ",")
        unit = found.group("unit") or ""
        roles.mark(row, col, f"资金分项（金额写在行名中）：{GROUP_ZH.get(group, '')}")
        parts.append((found.group("label"), None, group, Cell(a1(row, col), f"{amount}{unit}" if amount else None)))
    return parts


_INLINE_HEADING = re.compile(r"^(?P<label>[^:：0-9]{2,30}?)[:：](?P<amount>[-+0-9,.，]+)(?P<unit>万元|元)?$")


def _inline_heading(grid: SheetGrid, row: int, col: int, group: str, roles: _Roles) -> list[tuple[str, str | None, str, Cell]]:
    """A breakdown heading written with its own sum (按支出性质分：1925.67万元), parts stacked below it."""
    found = _INLINE_HEADING.match(clean_text(grid.value(row, col)))
    if not found:
        return []
    roles.mark(row, col, f"资金分类（合计写在行名中）：{GROUP_ZH[group]}")
    amount = found.group("amount").replace("，", ",") + (found.group("unit") or "")
    return [(GROUP_ZH[group], "funds_group_total", group, Cell(a1(row, col), amount))]


def _funds_header(grid: SheetGrid, before_row: int, words=L.FUND_COLUMN_WORDS) -> tuple[int, dict[str, int], list[tuple[int, int]]] | None:
    """(header row, field → column, title cells) of the funds block: the first row above the indicator
    table with a budget or executed column and at least one other money column. Titles are decided
    first (a block title spanning the rows, or the leftmost header standing over the row labels, such as
    四川's 年度预算数（万元）), then each field takes its first remaining column."""
    for row in range(1, before_row):
        heads: list[tuple[int, str]] = []
        titles: list[tuple[int, int]] = []
        for col in range(1, grid.max_col + 1):
            if grid.anchor(row, col) != (row, col):
                continue
            value = grid.value(row, col)
            if not isinstance(value, str):
                continue
            name = L.classify(value, words)
            if name is None:
                continue
            if _is_funds_title(grid, row, col, value):
                titles.append((row, col))
            else:
                heads.append((col, name))
        names = {name for _, name in heads}
        if not ({"budget", "executed"} & names and len(names) >= 2):
            continue
        # A title written into the header row's first cell (年度预算数（万元）) is left of every column.
        col, name = heads[0]
        if _title_in_label_column(grid, row, col):
            titles.append((row, col))
            heads = heads[1:]
        columns: dict[str, int] = {}
        for col, name in heads:
            columns.setdefault(name, col)
        if "budget" in columns or "executed" in columns:
            return row, columns, titles
    return None


def _is_funds_title(grid: SheetGrid, row: int, col: int, value: str) -> bool:
    """项目资金（万元）, 预算执行情况（10分）: a block title spanning the block's rows, not a column."""
    label = L.normalize_label(value)
    if any(word in label for word in L.FUNDS_TITLE_WORDS) and not any(w in label for w in ("数", "率", "分值", "得分")):
        return True
    return grid.span_bottom(row, col) - row >= 2


def _title_in_label_column(grid: SheetGrid, row: int, col: int) -> bool:
    """The leftmost classified header is a title when the cells below it hold row labels, not numbers."""
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


def _read_goal(grid: SheetGrid, labels: _Labels, form: Form, before_row: int, roles: _Roles) -> None:
    goal = labels.first("goal", before_row=before_row)
    if goal is None:
        return
    roles.mark(*goal, "年度总体目标：标签")
    expected = labels.first("goal_expected", after_row=goal[0] - 1, before_row=before_row)
    actual = labels.first("goal_actual", after_row=goal[0] - 1, before_row=before_row)
    if expected is None:
        form.goal_expected = _value_right_of(grid, goal)
        roles.mark_cell(form.goal_expected, "年度总体目标")
        return
    roles.mark(*expected, "年度总体目标：表头（预期目标）")
    form.goal_expected = _below(grid, expected, before_row)
    roles.mark_cell(form.goal_expected, "年度总体目标：预期目标")
    if actual is not None:
        roles.mark(*actual, "年度总体目标：表头（实际完成情况）")
        form.goal_actual = _below(grid, actual, before_row)
        roles.mark_cell(form.goal_actual, "年度总体目标：实际完成情况")


def _below(grid: SheetGrid, spot: tuple[int, int], before_row: int) -> Cell:
    row, col = spot
    target_row = grid.span_bottom(row, col) + 1
    if target_row >= before_row:
        return EMPTY
    return _cell(grid, target_row, col)


def _header_columns(grid: SheetGrid, row: int, scoring: schemes.Scoring = schemes.MOF_2020.scoring) -> dict[str, int]:
    """Indicator-table field → column of a header row, by the words each header contains (a scheme's own
    words first; a scheme's block title in the row, 年度绩效目标（80分）, is not a column)."""
    columns = _classified(grid, row, scoring)
    # A split target (指标性质/指标值/度量单位) may sit on a second header row under 年度指标值.
    for field, col in (_split_target_row(grid, row) or {}).items():
        if field not in columns or grid.anchor(row, columns[field]) != (row, col):
            columns[field] = col
    if "level3" not in columns and (name := _name_column(grid, row, columns)):
        columns["level3"] = name
    if "deviation" in columns:
        columns.update(_deviation_columns(grid, row, columns["deviation"]))
    return columns


def _second_header_row(grid: SheetGrid, header_row: int) -> bool:
    """Whether the row under a header is a second header row: short labels only (no numbers), each
    standing under a header merged across it (年度指标值 over 指标性质 | 指标值 | 度量单位,
    偏差原因分析及改进措施 over 偏差原因 | 改进措施), the other headers merged down over it."""
    row = header_row + 1
    texts = _own_texts(grid, row)
    if not texts:
        return False
    for col, text in texts:
        value = grid.values.get((row, col))
        if not isinstance(value, str) or len(L.normalize_label(value)) > 8:
            return False
        above = grid.anchor(header_row, col)
        if above[0] != header_row or grid.span_end(*above) == above[1] or not clean_text(grid.values.get(above)):
            return False
    return True


def _split_target_row(grid: SheetGrid, header_row: int) -> dict[str, int] | None:
    """The columns of a split target's second header row (指标性质 | 指标值 | 度量单位) under ``header_row``,
    or None when the row below is not one. Recognised by its shape: short labels only (no numbers),
    each naming a part of the target, at least one of them 性质 or 度量单位, standing under a header
    that spans them (年度指标值 merged across) or under nothing — never a row of an indicator whose name
    or note happens to say 单位 or 目标."""
    row = header_row + 1
    found: dict[str, int] = {}
    for col in range(1, grid.max_col + 1):
        if grid.anchor(row, col) != (row, col):
            continue  # a header merged down over both rows, or the rest of a merge
        value = grid.values.get((row, col))
        if not clean_text(value):
            continue
        if not isinstance(value, str) or len(L.normalize_label(value)) > 8:
            return None
        field = L.classify(value, L.INDICATOR_COLUMN_WORDS)
        if field not in ("nature", "target", "measure_unit"):
            return None
        above = grid.anchor(header_row, col)
        if above == (header_row, col) and grid.span_end(header_row, col) == col and clean_text(grid.values.get(above)):
            return None  # under a header of its own: a value row, not a sub-header
        found.setdefault(field, col)
    return found if found.keys() & {"nature", "measure_unit"} else None


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


def _deviation_columns(grid: SheetGrid, row: int, first: int) -> dict[str, int]:
    """The deviation columns of a header row, whatever their order: ``deviation`` (the cause, where
    findings point), ``measures`` (the 改进措施 half of a column split in two: 偏差原因 | 改进措施,
    改进措施 | 偏差原因, 原因分析 | 整改措施, or 偏差原因分析及改进措施 over 偏差原因 | 改进措施 on a second
    header row) and ``remark`` (备注 beside them: read as such, not checked). ``first``: the first
    column whose header has a deviation word."""
    end = grid.span_end(row, first)
    if end > first:  # a header over sub-columns: the half whose sub-header (a header, not a note) names measures
        measures = next((col for col in range(first + 1, end + 1)
                         if grid.anchor(row + 1, col) == (row + 1, col) and _names_measures(grid.value(row + 1, col))), None)
        return {"measures": measures} if measures else {}
    heads = [(col, L.normalize_label(value)) for col in range(first, grid.max_col + 1)
             if grid.anchor(row, col) == (row, col) and isinstance(value := grid.value(row, col), str)
             and L.classify(value, L.INDICATOR_COLUMN_WORDS) == "deviation"]
    causes = [col for col, label in heads if any(word in label for word in _CAUSE_WORDS)]
    measures = [col for col, label in heads if _names_measures(label) and col not in causes]
    found = {"deviation": causes[0] if causes else first}
    if measures and not any(_names_measures(label) for col, label in heads if col == found["deviation"]):
        found["measures"] = measures[0]  # 偏差原因分析及改进措施 is both halves in one column
    remarks = [col for col, _ in heads if col not in found.values()]
    if remarks:
        found["remark"] = remarks[0]
    return found


_CAUSE_WORDS = ("原因", "偏差", "未完成")


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


def _classified(grid: SheetGrid, row: int, scoring: schemes.Scoring = schemes.MOF_2020.scoring) -> dict[str, int]:
    columns: dict[str, int] = {}
    words = scoring.column_words + L.INDICATOR_COLUMN_WORDS if scoring.column_words else L.INDICATOR_COLUMN_WORDS
    for col in range(1, grid.max_col + 1):
        if grid.anchor(row, col) != (row, col):
            continue
        value = grid.value(row, col)
        if scoring.block_title and _is_block_title(value, scoring):
            continue
        name = L.classify(value, words) if isinstance(value, str) else None
        if name and name not in columns:
            columns[name] = col
    return columns


def _mark_header(grid: SheetGrid, row: int, columns: dict[str, int], roles: _Roles) -> None:
    for field, col in columns.items():
        if grid.anchor(row, col)[0] == row:
            roles.mark(row, col, f"指标表表头：{INDICATOR_FIELD_ZH.get(field, field)}")
    for col, text in _own_texts(grid, row):
        if L.field_of(text) == "indicators_block":
            roles.mark(row, col, "指标表块标签")
    roles.mark_row(row, "指标表表头（未用的列名）")


def _read_indicators(grid: SheetGrid, labels: _Labels, form: Form, header_rows: list[int], roles: _Roles,
                     scoring: schemes.Scoring = schemes.MOF_2020.scoring) -> tuple[int, tuple[int, int] | None]:
    """Fill form.indicators, form.outline_parents and form.level1_groups from the table under
    ``header_rows`` (its 三级指标 header rows); return the table's last row (the 总分 row, or the last
    row of a table no 总分 row closes: see :func:`_unclosed_end`) and the 总分 label's cell. A scheme with weighted blocks (湖北 年度绩效目标（80分）)
    has one block per header row: its title is read into form.blocks, not as a column."""
    first = header_rows[0]
    columns = _header_columns(grid, first, scoring)
    total_spot = _total_spot(grid, labels, first, columns)
    end_row = total_spot[0] if total_spot else _unclosed_end(grid, first, min(columns.values()))
    form.columns = dict(columns)
    form.indicators_header = a1(first, min(columns.values()))
    block = _read_block(grid, form, first, scoring, roles)
    _mark_header(grid, first, columns, roles)
    level1, level2 = "", ""
    groups: dict[tuple[str | None, str], Level1Group] = {}
    for row in range(first + 1, end_row):
        if row in header_rows:
            columns = _header_columns(grid, row, scoring)
            if scoring.part_tables:
                form.columns.update(columns)
            if scoring.block_title:  # a new block: its 一级 start afresh
                block = _read_block(grid, form, row, scoring, roles) or block
                level1, level2 = "", ""
            _mark_header(grid, row, columns, roles)
            continue
        if row == first + 1 and _second_header_row(grid, first):
            roles.mark_row(row, "指标表表头（第二行：年度指标值或偏差原因分列）")
            continue
        get = {field: _cell(grid, row, col) for field, col in columns.items()}
        kind = _row_kind(grid, row, columns, get)
        if kind in ("indicator", "template", "placeholder", "breakdown"):
            for field in ("level1", "level2"):
                if field in columns and grid.anchor(row, columns[field])[0] == row and get[field].text:
                    roles.mark(row, columns[field], INDICATOR_FIELD_ZH[field])
        if kind in _ROW_KINDS:
            roles.mark_row(row, _ROW_KINDS[kind])
            continue
        if kind == "narrative":
            _read_narrative_row(grid, row, form, roles)
            continue
        if kind != "indicator":
            continue  # "continued" and "unread": what the row holds itself is left to the accounting
        raw1 = get.get("level1", EMPTY)
        name1 = _LEVEL1_WEIGHT_SUFFIX.sub("", L.strip_core_mark(L.indicator_name(raw1.raw)))
        name2 = L.strip_core_mark(L.indicator_name(get.get("level2", EMPTY).raw)) or (level2 if not name1 or name1 == level1 else "")
        if not name1:
            name1 = L.LEVEL2_TO_LEVEL1.get(name2) or level1
        key = (block, name1)
        if name1 and key not in groups:
            groups[key] = Level1Group(name1, L.stated_weight(raw1.raw) if raw1.raw else None, raw1.address if raw1.raw else None, block)
        elif name1 and groups[key].stated_weight is None and raw1.raw and L.stated_weight(raw1.raw) is not None:
            groups[key] = Level1Group(name1, L.stated_weight(raw1.raw), raw1.address, block)
        raw2 = get.get("level2", EMPTY)
        if raw2.raw and (stated2 := L.stated_weight(raw2.raw)) is not None and not any(g.cell == raw2.address for g in form.level2_groups):
            form.level2_groups.append(Level2Group(name1, name2, stated2, raw2.address))
        level1, level2 = name1, name2
        form.indicators.append(
            Indicator(
                row=row, level1=name1, level2=name2,
                level3=get.get("level3", EMPTY), target=_target(grid, row, columns, get),
                actual=get.get("actual", EMPTY), weight=get.get("weight", EMPTY),
                score=get.get("score", EMPTY), deviation=_deviation(get),
                level1_cell=raw1.address if raw1.raw else None, block=block,
                coefficient=get.get("coefficient", EMPTY),
            )
        )
        for field, col in columns.items():
            if field not in ("level1", "level2") and grid.anchor(row, col) == (row, col):
                roles.mark(row, col, f"指标：{INDICATOR_FIELD_ZH.get(field, field)}")
    form.level1_groups = list(groups.values())
    _group_shared_scores(grid, form)
    _outline(form, roles)
    return (end_row if total_spot else end_row - 1), total_spot


#: Rows of the indicator table that are not indicators, as the accounting names them.
_ROW_KINDS = {
    "template": "空模板行（只有指标类别名）",
    "placeholder": "模板占位行（指标1、……）",
    "breakdown": "“其中”分解行（没有自己的分值，不计分）",
    "footnote": "脚注",
}


def _unclosed_end(grid: SheetGrid, first: int, first_col: int) -> int:
    """Where a table that no 总分 row closes ends (a flat list whose total is printed in its header, a
    table without one): after its last row holding something beyond its first column. A row of text
    in the first column alone under it (以上数据经单位负责人审核) is a line under the table, read as
    such (notes, sign-off, else unread), not an indicator with nothing filled in."""
    last = first
    for row in range(first + 1, grid.max_row + 1):
        if any(col > first_col for col, _ in _own_texts(grid, row)):
            last = row
    return last + 1


def _row_kind(grid: SheetGrid, row: int, columns: dict[str, int], get: dict[str, Cell]) -> str:
    """What a row of the indicator table is: ``indicator``, a known non-indicator (template,
    placeholder, breakdown, footnote, narrative), ``continued`` (the rest of a 三级指标 merged down
    from the row above) or ``unread``.

    Shape first: a row holding its own 分值 or 得分 number is an indicator, whatever its words say;
    words decide only among rows without one."""
    own = {field: grid.anchor(row, col) == (row, col) for field, col in columns.items()}
    for field in ("weight", "score"):
        reading = get.get(field, EMPTY).reading
        if own.get(field) and reading.is_number and reading.value != 0:
            return "indicator"
    texts = _own_texts(grid, row)
    if not texts:
        return "empty"
    first_text = texts[0][1]
    if L.FOOTNOTE.match(first_text):
        return "footnote"
    if L.field_of(first_text) in _NARRATIVE:
        return "narrative"
    name_col = columns.get("level3")
    if name_col:
        anchor = grid.anchor(row, name_col)
        if anchor[1] == name_col and anchor[0] < row:
            return "continued"
        if anchor[0] == row and anchor[1] < name_col and not own.get("level1") and not own.get("level2"):
            return "unread"  # one text spanning into the name column from the left: not an indicator
    content = [get.get(field, EMPTY) for field in ("level3", "target", "actual") if own.get(field)]
    if all(cell.is_blank for cell in content):
        category_cols = {columns[field] for field in ("level1", "level2") if field in columns}
        value_cols = {columns[field] for field in ("weight", "score") if field in columns}
        rest = [(col, text) for col, text in texts if col not in value_cols and not read_value(text).is_blank]
        if all(col in category_cols and ("指标" in text or L.LEVEL2_TO_LEVEL1.get(text)) for col, text in rest):
            return "template"  # 经济效益指标 with nothing else, or zeros only
        marks = [text for col, text in texts if col not in category_cols]
        if marks and all(L.PLACEHOLDER.match(text) or read_value(text).is_blank for text in marks):
            return "placeholder"  # …… in every cell
        return "unread"
    name = L.strip_core_mark(clean_text(get.get("level3", EMPTY).raw))
    blankish = all(cell.is_blank or L.PLACEHOLDER.match(clean_text(cell.raw)) for cell in (get.get("target", EMPTY), get.get("actual", EMPTY)))
    if L.PLACEHOLDER.match(name) and blankish:
        return "placeholder"
    if name.startswith("其中"):
        return "breakdown"
    return "indicator"


def _group_shared_scores(grid: SheetGrid, form: Form) -> None:
    """Indicators beside each other that share one merged 分值 or 得分 cell form one scored group:
    each gets the group's range (the merged 得分, else 分值), and the check counts it once."""
    inds = form.indicators
    i = 0
    while i < len(inds):
        j = i + 1
        while j < len(inds) and any(
            (a := getattr(inds[j - 1], field).address) is not None and a == getattr(inds[j], field).address for field in ("score", "weight")
        ):
            j += 1
        if j - i > 1:
            shared = "score" if inds[i].score.address == inds[i + 1].score.address else "weight"
            address = getattr(inds[i], shared).address
            bottom, right = grid.span(*split_ref(address))
            group = f"{address}:{a1(bottom, right)}"
            for ind in inds[i:j]:
                ind.group = group
        i = j


def _outline(form: Form, roles: _Roles) -> None:
    """An outline heading among the 三级指标 (一、示范区建立 15) followed by numbered children (1、… 5):
    the heading becomes an :class:`OutlineParent`, checked against its children's sums, and only the
    children are counted as indicators."""
    kept: list[Indicator] = []
    inds = form.indicators
    i = 0
    while i < len(inds):
        if L.OUTLINE_PARENT.match(clean_text(inds[i].level3.raw)):
            j = i + 1
            while j < len(inds) and L.OUTLINE_CHILD.match(clean_text(inds[j].level3.raw)):
                j += 1
            if j > i + 1:
                parent = inds[i]
                form.outline_parents.append(OutlineParent(parent.row, parent.level3, parent.weight, parent.score, [ind.row for ind in inds[i + 1:j]]))
                for cell in (parent.level3, parent.weight, parent.score):
                    if cell.address:
                        roles.of[split_ref(cell.address)] = "大纲标题（分值、得分应为其下各项之和，不另计分）"
                kept.extend(inds[i + 1:j])
                i = j
                continue
        kept.append(inds[i])
        i += 1
    form.indicators = kept


def _is_block_title(value: object, scoring: schemes.Scoring) -> bool:
    return isinstance(value, str) and bool(re.search(scoring.block_title, clean_text(value)))


def _read_block(grid: SheetGrid, form: Form, row: int, scoring: schemes.Scoring, roles: _Roles) -> str | None:
    """The weighted block a header row titles (湖北: 年度绩效目标1（40分） in its first cell): added to
    form.blocks; its title's address, or None when the row titles none."""
    if not scoring.block_title:
        return None
    for col, text in _own_texts(grid, row):
        if _is_block_title(text, scoring):
            title = _cell(grid, row, col)
            form.blocks.append(ScoreBlock(title, L.stated_weight(text), row))
            roles.mark(row, col, "指标块标题（块的分值）")
            return title.address
    return None


def _read_header_total(grid: SheetGrid, form: Form, before_row: int, pattern: str, roles: _Roles) -> None:
    """A total printed above the indicator table (重庆: 自评总分 | 96.6 in the header rows)."""
    for (row, col), value in sorted(grid.values.items()):
        if row >= before_row:
            return
        if grid.anchor(row, col) == (row, col) and isinstance(value, str) and re.search(pattern, clean_text(value)):
            form.total_label = _cell(grid, row, col)
            form.total_score = _value_right_of(grid, (row, col))
            roles.mark(row, col, "自评总分：标签")
            roles.mark_cell(form.total_score, "自评总分")
            grade = next(((r, c) for (r, c), v in sorted(grid.values.items())
                          if r < before_row and isinstance(v, str) and L.field_of(v) == "grade"), None)
            if grade is not None:  # 自评等级 | 优 beside it
                form.grade_cell = _value_right_of(grid, grade)
                roles.mark(*grade, "等级：标签")
                roles.mark_cell(form.grade_cell, "等级")
            return


def _indicator_header_rows(grid: SheetGrid) -> list[int]:
    """Header rows of the 绩效指标 table: those with a 三级指标 column however it is worded (三级指标名称,
    三级指标（核心指标★）); and, by structure, those that call it otherwise (指标名称, 具体指标, 绩效指标)
    with 一级/二级指标 beside it or value columns right of it, provided they have both an 实际完成值 and an
    得分 column: a 绩效目标申报表 or 监控表 (no 得分) is never taken for a 自评表. A header row holds no
    numbers: an indicator named 三级指标完成率 is not a header."""
    level3, others = set(), set()
    for (row, col), value in grid.values.items():
        if isinstance(value, str) and len(label := L.normalize_label(value)) <= 12:
            if "三级指标" in label:
                level3.add(row)
            elif (found := _OTHER_HEADS.search(label)) and (found.group() == "二级指标" or grid.span_bottom(row, col) - row < 2):
                others.add(row)  # a name header, not a 绩效指标 block label merged down its rows
    structural = {row for row in others - level3 if {"level3", "actual", "score"} <= _header_columns(grid, row).keys()}
    return sorted(row for row in level3 | structural if not _holds_number(grid, row))


def _holds_number(grid: SheetGrid, row: int) -> bool:
    return any(isinstance(value := grid.values.get((row, col)), (int, float)) and not isinstance(value, bool)
               for col in range(1, grid.max_col + 1))


_OTHER_HEADS = re.compile("|".join(["二级指标", *L.INDICATOR_NAME_WORDS]))
_NARRATIVE = ("conclusion", "problems", "measures", "other_notes")


def _read_narrative_row(grid: SheetGrid, row: int, form: Form, roles: _Roles) -> None:
    """A narrative row (评价结论 | …, 其他需要说明事项 | 无): its label and the text right of it."""
    col, label = _own_texts(grid, row)[0]
    field = L.field_of(label)
    roles.mark(row, col, f"叙述行标签：{label}")
    cell = _value_right_of(grid, (row, col), stop_at_labels=False)
    roles.mark_cell(cell, f"叙述：{label}")
    if cell.text and field not in form.narrative:
        form.narrative[field] = cell.text
        form.narrative_cells[field] = cell.address or ""


def _total_spot(grid: SheetGrid, labels: _Labels, first: int, columns: dict[str, int]) -> tuple[int, int] | None:
    """The 总分 (合计) label that ends the indicator table. By shape: a 总分 label left of the 三级指标
    column (or spanning past it) ends the table; one standing alone in the name column is an indicator
    named 合计 unless no scored row follows it."""
    name_col = columns.get("level3")
    value_cols = [columns[field] for field in ("weight", "score") if field in columns]
    for row, col in labels.by_field.get("total", ()):
        if row <= first:
            continue
        if name_col is None or col < name_col or grid.span_end(row, col) > name_col:
            return row, col
        # Alone in the name column: an indicator named 合计 when 一级/二级 stand beside it (merged down
        # from above or its own) or scored rows follow it.
        beside = any(grid.anchor(row, c)[0] > first and clean_text(grid.value(row, c)) for c in range(1, col))
        later = any(grid.anchor(r, c) == (r, c) and read_value(grid.values.get((r, c))).is_number
                    for r in range(row + 1, grid.max_row + 1) for c in value_cols)
        if not beside and not later:
            return row, col
    return None


def _target(grid: SheetGrid, row: int, columns: dict[str, int], get: dict[str, Cell]) -> Cell:
    target = get.get("target", EMPTY)
    adjusted = get.get("adjusted_target", EMPTY)
    if not adjusted.is_blank:  # 调整指标值 where given: the target the year was judged against (重庆)
        target = adjusted
    if "nature" not in columns and "measure_unit" not in columns:
        return target
    nature = clean_text(get.get("nature", EMPTY).raw)
    unit = clean_text(get.get("measure_unit", EMPTY).raw)
    value = display_text(target.raw)
    if nature in ("定性", "定量", "正向", "反向", "-", "/"):
        nature = {"反向": "≤"}.get(nature, "")
    combined = f"{nature}{value}{unit}" if value else ""
    return Cell(target.address, combined or None, target.number_format)


def _read_total(grid: SheetGrid, labels: _Labels, form: Form, spot: tuple[int, int] | None, roles: _Roles,
                scoring: schemes.Scoring = schemes.MOF_2020.scoring) -> None:
    if spot is None:
        return  # no 总分 row: the check says so
    row, col = spot
    form.total_label = _cell(grid, row, col)
    roles.mark(row, col, "总分行：标签")
    weight_col, score_col = form.columns.get("weight"), form.columns.get("score")
    label_end = grid.span_end(row, col)
    if scoring.row_score == schemes.ROW_BLOCK and score_col and score_col > label_end:
        form.total_score = _cell(grid, row, score_col)  # one value, in the 得分 column: the rows have no 分值
    elif weight_col and score_col and weight_col > label_end and score_col > label_end:
        form.total_weight = _cell(grid, row, weight_col)
        form.total_score = _cell(grid, row, score_col)
    else:
        after = [c for c in range(label_end + 1, max(grid.max_col, label_end + 2) + 1) if grid.anchor(row, c) == (row, c)]
        if after:
            form.total_weight = _cell(grid, row, after[0])
        if len(after) > 1:
            form.total_score = _cell(grid, row, after[1])
    roles.mark_cell(form.total_weight, "总分行：分值")
    roles.mark_cell(form.total_score, "总分行：得分")
    grade = labels.first("grade", after_row=row - 1, before_row=row + 3)
    if grade:
        form.grade_cell = _value_right_of(grid, grade)
        roles.mark(*grade, "等级：标签")
        roles.mark_cell(form.grade_cell, "等级")
        return
    # The grade written into the 总分 row itself, right of the score (`优` in its last cell).
    past = grid.span_end(*grid.anchor(row, score_col)) if score_col else label_end
    for col in range(past + 1, grid.max_col + 1):
        if grid.anchor(row, col) == (row, col) and L.grade_word(grid.value(row, col)):
            form.grade_cell = _cell(grid, row, col)
            roles.mark_cell(form.grade_cell, "等级")
            return


def _read_below(grid: SheetGrid, form: Form, end_row: int, roles: _Roles) -> None:
    """Rows under the indicator table (its 总分 row, or its last row): narrative rows (评价结论 …), footnotes and sign-off lines (填表人：…)."""
    for row in range(end_row + 1, grid.max_row + 1):
        texts = _own_texts(grid, row)
        if not texts:
            continue
        first_text = texts[0][1]
        if L.field_of(first_text) in _NARRATIVE:
            _read_narrative_row(grid, row, form, roles)
        elif L.FOOTNOTE.match(first_text) or L.FOOTNOTE_CONTINUED.match(first_text):
            roles.mark_row(row, "脚注")
        elif all(any(word in text for word in L.SIGNOFF_WORDS) for col, text in texts if (row, col) not in roles.of):
            roles.mark_row(row, "表下签署（填表人、日期等）")


_PREAMBLE_LINE = re.compile(r"^(?:填报单位|填表单位|编制单位|金额单位|单位|填报日期|日期|年度|附件|附表)[^:：]{0,8}[:：]|^[(（]?(?:19|20)[0-9]{2}年度?[)）]?$")
_IDENTITY_FIELDS = ("project", "department", "implementer", "unit", "superior", "contact")


def _account(grid: SheetGrid, form: Form, labels: _Labels, roles: _Roles) -> None:
    """Give every non-empty cell of the sheet a role, or list it in ``form.unread``.

    The reading has marked what it took (headers, titles, rows of the tables, the total, notes); here
    the identity rows and the lines above the form are accounted for: a known label and the value
    right of it, another label with its value (其他项目信息, shown, not checked), title and preamble
    lines (填报单位：…, 金额单位：万元) before the first label. What is left is unread."""
    for field, name in (("project", "项目名称"), ("department", "主管部门"), ("implementer", "实施单位"), ("unit", "部门（单位）名称")):
        roles.mark_cell(getattr(form, field), name)
    tables = [row for row in (_spot_row(form.funds_header), _spot_row(form.indicators_header)) if row]
    table_top = min(tables) if tables else grid.max_row + 1
    identity_rows = [row for field in _IDENTITY_FIELDS for row, _ in labels.by_field.get(field, ()) if row < table_top]
    first_label = min(identity_rows, default=table_top)
    for field in _IDENTITY_FIELDS:
        for spot in labels.by_field.get(field, ()):
            if spot[0] < table_top:
                roles.mark(*spot, f"标签：{L.SYNONYMS[field][0]}")
                roles.mark_cell(_value_right_of(grid, spot), f"{L.SYNONYMS[field][0]}（未校验）")
    for row in range(1, table_top):
        texts = [(col, text) for col, text in _own_texts(grid, row) if (row, col) not in roles.of]
        if not texts:
            continue
        if row < first_label or (len(texts) == 1 and _PREAMBLE_LINE.match(texts[0][1])):
            roles.mark_row(row, "表头说明")
        elif len(texts) >= 2 and len(texts[0][1]) <= 12 and not read_value(texts[0][1]).is_number:
            roles.mark_row(row, "其他项目信息（未校验）")
    unread: dict[int, list[tuple[int, str]]] = {}
    for (row, col), value in sorted(grid.values.items()):
        if (row, col) in roles.of or value is None or grid.anchor(row, col) != (row, col) or not clean_text(value):
            continue
        if L.field_of(value) in ("indicators_block", "funds_block"):
            roles.mark(row, col, "块标签")  # 绩效指标 / 项目资金 written on a line of their own
        else:
            unread.setdefault(row, []).append((col, display_text(value)))
    form.roles = {spot: role for spot, role in sorted(roles.of.items())
                  if (value := grid.values.get(spot)) is not None and (not isinstance(value, str) or clean_text(value))}
    for row, cells in unread.items():
        whole = not any((row, col) in roles.of for col, _ in _own_texts(grid, row))
        if whole:
            form.unread.append(UnreadRow(row, a1(row, cells[0][0]), " | ".join(text for _, text in cells), True))
        else:
            form.unread.extend(UnreadRow(row, a1(row, col), text, False) for col, text in cells)


def _spot_row(address: str | None) -> int | None:
    return split_ref(address)[0] if address else None


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
