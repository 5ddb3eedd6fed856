"""No LibreOffice for an .xls input: its forms rebuilt in the standard layout, findings re-pointed.

The rebuilt workbook keeps the values as read (text stays text) but not the original format, other
sheets or comments; :mod:`perfxl.write.xlswriter` reports that as a ``roundtrip-loss`` finding.
"""

from __future__ import annotations

from dataclasses import replace

from perfxl.model import Cell, Form
from perfxl.numbers import format_number


def rebuild_standard(results):
    """No LibreOffice: rebuild each form in the standard layout; findings re-pointed at the new cells."""
    from openpyxl import Workbook

    from perfxl.write.formbuilder import build_workbook
    from perfxl.read.reader import parse_sheet
    from perfxl.checks.derived import derived_cells
    from perfxl.checks.rules import CheckResult
    from perfxl.read.workbook import grid_from_openpyxl

    wb = Workbook()
    wb.remove(wb.active)
    annotated = []
    for result in results:
        built = build_workbook(spec_from_form(result.form))
        ws = _copy_sheet(built.worksheets[0], wb, result.form.sheet)
        rebuilt = parse_sheet(grid_from_openpyxl(ws), result.form.path)
        mapping = _address_map(result.form, rebuilt) if rebuilt else {}
        findings = [replace(f, cell=mapping.get(f.cell)) for f in result.findings]
        form = rebuilt or result.form
        annotated.append(CheckResult(form, findings, result.computed, derived_cells(form, result.computed)))
    return wb, annotated


def spec_from_form(form: Form):
    """A FormSpec that rebuilds ``form`` in the standard layout (values as read, text stays text)."""
    from perfxl.write.formbuilder import FormSpec, IndicatorSpec

    stated = {group.name: group.stated_weight for group in form.level1_groups}

    def level1_label(name: str) -> str:
        weight = stated.get(name)
        return f"{name}\n（{format_number(weight)}分）" if weight is not None else name

    funds = {row.kind: tuple(getattr(row, name).raw for name in ("initial", "budget", "executed", "weight", "rate", "score")) for row in form.funds}
    unit = "（元）" if form.money_unit == "元" else "（万元）"
    block = [
        IndicatorSpec(level1_label(ind.level1), ind.level2, ind.level3.raw, ind.target.raw, ind.actual.raw, ind.weight.raw, ind.score.raw, ind.deviation.raw)
        for ind in form.indicators
    ]
    return FormSpec(
        title=form.title or "项目支出绩效自评表", subtitle=None, project=form.project.raw, department=form.department.raw,
        implementer=form.implementer.raw, funds=funds, goal_expected=form.goal_expected.raw, goal_actual=form.goal_actual.raw,
        blocks=[block], total_weight=form.total_weight.raw, total_score=form.total_score.raw, sheet_name=form.sheet,
        funds_label=f"项目资金\n{unit}",
    )


def _copy_sheet(source, wb, title: str):
    """Copy values, styles, merges and dimensions of ``source`` into a new sheet of ``wb``."""
    from copy import copy

    ws = wb.create_sheet(title)
    for (row, col), cell in source._cells.items():
        target = ws.cell(row=row, column=col)
        target._value, target.data_type = cell._value, cell.data_type
        if cell.has_style:
            target.font, target.border, target.fill = copy(cell.font), copy(cell.border), copy(cell.fill)
            target.alignment, target.number_format = copy(cell.alignment), cell.number_format
    for merged in source.merged_cells.ranges:
        ws.merge_cells(str(merged))
    for key, dim in source.column_dimensions.items():
        ws.column_dimensions[key].width = dim.width
    for key, dim in source.row_dimensions.items():
        ws.row_dimensions[key].height = dim.height
    ws.page_setup.paperSize, ws.page_setup.orientation = source.page_setup.paperSize, source.page_setup.orientation
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = source.page_setup.fitToWidth, source.page_setup.fitToHeight
    ws.sheet_properties.pageSetUpPr = copy(source.sheet_properties.pageSetUpPr)
    return ws


def _address_map(old: Form, new: Form) -> dict[str, str]:
    """Cell of the original form → the corresponding cell of the rebuilt one."""
    pairs: list[tuple[Cell, Cell]] = [(old.project, new.project), (old.department, new.department), (old.implementer, new.implementer),
                                      (old.goal_expected, new.goal_expected), (old.goal_actual, new.goal_actual),
                                      (old.total_label, new.total_label), (old.total_weight, new.total_weight), (old.total_score, new.total_score)]
    for row in old.funds:
        other = new.fund(row.kind)
        if other is not None:
            pairs += [(getattr(row, name), getattr(other, name)) for name in ("initial", "budget", "executed", "weight", "rate", "score")]
    for a, b in zip(old.indicators, new.indicators):
        pairs += [(getattr(a, name), getattr(b, name)) for name in ("level3", "target", "actual", "weight", "score", "deviation")]
    mapping = {a.address: b.address for a, b in pairs if a.address and b.address}
    groups = {g.name: g.cell for g in new.level1_groups}
    for group in old.level1_groups:
        if group.cell and groups.get(group.name):
            mapping[group.cell] = groups[group.name]
    return mapping
