"""Layout variants of the standard form that only the tests need, applied on top of formbuilder.

``build(spec, ...)`` is ``perfxl.write.formbuilder.build_workbook(spec)`` followed by the variants asked
for, so the production builder carries only what production, the samples and the benchmarks use:

- ``sheets_before``: sheets of 填表说明 ahead of the form, so the form is not the first sheet;
- ``split_target``: 年度指标值 split into 指标性质 / 指标值 / 度量单位 under a two-row header. A
  target given as a 3-tuple fills the three columns; any other target goes under 指标值.
"""

from __future__ import annotations

import copy

from openpyxl.worksheet.cell_range import CellRange

from perfxl.write.formbuilder import FormSpec, build_workbook

INSTRUCTIONS = "填表说明：本表按财政部项目支出绩效自评表格式填写。"
SPLIT_TARGET_LABELS = ("指标性质", "指标值", "度量单位")
TARGET_COLUMN = 5  # E: 年度指标值 in the standard layout


def build(spec: FormSpec, *, sheets_before: list[str] | tuple[str, ...] = (), split_target: bool = False):
    """An openpyxl Workbook holding the standard form of ``spec`` with the variants applied."""
    targets = [item.target for block in spec.blocks for item in block]
    if split_target:
        spec = copy.deepcopy(spec)  # the builder writes one target cell; the split columns come after
        for block in spec.blocks:
            for item in block:
                item.target = None
    wb = build_workbook(spec)
    if split_target:
        _split_target(wb[spec.sheet_name], spec, targets)
    for index, name in enumerate(sheets_before):
        wb.create_sheet(name, index)["A1"] = INSTRUCTIONS
    return wb


def _split_target(ws, spec: FormSpec, targets: list) -> None:
    """Turn the target column into three under a second header row.

    openpyxl's insert_rows/insert_cols move neither merged ranges nor row heights, so the indicator
    table's merges are taken apart, the cells moved with move_range, and the merges put back shifted.
    """
    label = spec.label_overrides.get
    header = next(row for row in range(1, ws.max_row + 1) if ws.cell(row, 2).value == label("一级指标", "一级指标"))
    last_row, last_col = ws.max_row, ws.max_column
    merges = [CellRange(merged.coord) for merged in ws.merged_cells.ranges if merged.max_row >= header]
    for merged in merges:
        ws.unmerge_cells(merged.coord)

    # Two more columns after the target, styled like it.
    ws.move_range(CellRange(min_col=TARGET_COLUMN + 1, min_row=header, max_col=last_col, max_row=last_row).coord, cols=2)
    for row in range(header, last_row + 1):
        for col in (TARGET_COLUMN + 1, TARGET_COLUMN + 2):
            ws.cell(row, col)._style = copy.copy(ws.cell(row, TARGET_COLUMN)._style)
    last_col += 2

    # A second header row, with the row heights below it moved down too.
    ws.move_range(CellRange(min_col=1, min_row=header + 1, max_col=last_col, max_row=last_row).coord, rows=1)
    heights = {row: ws.row_dimensions[row].height for row in list(ws.row_dimensions) if row > header}
    for row in heights:
        del ws.row_dimensions[row]
    for row, height in heights.items():
        ws.row_dimensions[row + 1].height = height
    last_row += 1

    def shifted(value: int, past: int, by: int) -> int:
        return value + by if value > past else value

    for merged in merges:
        ws.merge_cells(start_row=shifted(merged.min_row, header, 1), end_row=shifted(merged.max_row, header, 1),
                       start_column=shifted(merged.min_col, TARGET_COLUMN, 2), end_column=shifted(merged.max_col, TARGET_COLUMN, 2))
    for offset, text in enumerate(SPLIT_TARGET_LABELS):
        sub = ws.cell(header + 1, TARGET_COLUMN + offset, value=label(text, text))
        sub._style = copy.copy(ws.cell(header, TARGET_COLUMN)._style)
    ws.merge_cells(start_row=header, start_column=TARGET_COLUMN, end_row=header, end_column=TARGET_COLUMN + 2)
    for col in [*range(2, TARGET_COLUMN), *range(TARGET_COLUMN + 3, last_col + 1)]:
        ws.merge_cells(start_row=header, start_column=col, end_row=header + 1, end_column=col)

    for row, target in enumerate(targets, start=header + 2):
        parts = target if isinstance(target, tuple) else (None, target, None)
        for col, value in enumerate(parts, start=TARGET_COLUMN):
            if value is not None:
                cell = ws.cell(row, col, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, as formbuilder writes it
