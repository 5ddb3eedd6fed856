"""What openpyxl would lose of an .xlsx/.xlsm package on load and save, found by looking in its zip.

Used before saving a workbook with openpyxl (:mod:`perfxl.write.xlswriter`, the .xls path): dropdowns
stored as ``x14`` extensions are returned to be re-created as classic validations; whatever else
cannot be kept becomes a ``roundtrip-loss`` finding, so the user learns of it before submitting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from perfxl.model import Finding, owner
from perfxl.xlsx.package import Package, rels_part, resolve, sheet_parts
from perfxl.xlsx.xml import local

_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "xm": "http://schemas.microsoft.com/office/excel/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
}
#: Worksheet extensions (extLst uri, upper case) and what the user loses with them.
_SHEET_EXTENSIONS = {
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": None,  # x14 data validations: re-created
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": None,  # x14 conditional formats: reported per rule
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "迷你图",
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "切片器",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "切片器",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "日程表",
}
#: Package parts openpyxl does not write back, and what they are to a user.
_LOST_PARTS = (
    ("xl/embeddings/", "嵌入对象（OLE）"),
    ("xl/ctrlProps/", "表单控件（按钮、复选框等）"),
    ("xl/activeX/", "ActiveX 控件"),
    ("xl/diagrams/", "SmartArt 图形"),
    ("xl/slicers/", "切片器"),
    ("xl/timelines/", "日程表"),
    ("xl/threadedComments/", "新版批注的回复（仅保留为普通批注）"),
    ("xl/model/", "数据模型"),
)
#: openpyxl load warnings already covered by the zip inspection (or harmless).
_COVERED_WARNINGS = re.compile(r"extension is not supported|DrawingML support is incomplete|contains no default style")


@dataclass(frozen=True)
class Loss:
    """Something of the input the output cannot keep."""

    sheet: str | None
    cell: str | None
    what: str


@dataclass(frozen=True)
class Validation:
    """An x14 data validation read from the input, to be re-created as a classic one."""

    sheet: str
    sqref: str
    attrs: dict
    formula1: str | None
    formula2: str | None


def inspect_package(path: Path) -> tuple[list[Validation], list[Loss]]:
    """Look inside the .xlsx/.xlsm zip for what openpyxl drops: x14 validations (to re-create) and losses.

    A damaged part is itself reported as a loss; inspection never stops the fill.
    """
    validations: list[Validation] = []
    losses: list[Loss] = []
    with Package(path) as package:
        names = set(package.names)

        def xml(name: str):
            try:
                return package.xml(name)
            except Exception:  # zlib/zip/XML errors in a part openpyxl did not need
                losses.append(Loss(None, None, f"无法读取的内部部件 {name}"))
                return None

        sheets = sheet_parts(package, xml)
        drawing_sheet: dict[str, str] = {}
        for sheet, part in sheets.items():
            root = xml(part)
            if root is None:
                continue
            for rel_target in _rel_targets(names, part, xml, "/drawing"):
                drawing_sheet[rel_target] = sheet
            validations += _x14_validations(root, sheet)
            for rule in root.iter(f"{{{_NS['x14']}}}conditionalFormatting"):
                sqref = rule.findtext(f"{{{_NS['xm']}}}sqref") or ""
                losses.append(Loss(sheet, _first_cell(sqref), f"扩展条件格式（数据条/图标集等 Excel 2010 以后的样式，范围 {sqref or '未知'}）"))
            for ext in root.iter(f"{{{_NS['main']}}}ext"):
                what = _SHEET_EXTENSIONS.get((ext.get("uri") or "").upper(), f"工作表扩展内容（{ext.get('uri')}）")
                if what:
                    losses.append(Loss(sheet, None, what))
        for name in sorted(n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
            root = xml(name)
            if root is not None:
                losses += _drawing_losses(root, drawing_sheet.get(name))
        for prefix, what in _LOST_PARTS:
            count = sum(1 for n in names if n.startswith(prefix) and not n.endswith(".rels") and "/_rels/" not in n)
            if count:
                losses.append(Loss(None, None, f"{what} {count} 个"))
    return validations, _dedupe(losses)


def _rel_targets(names: set[str], part: str, xml, type_suffix: str) -> list[str]:
    rels_name = rels_part(part)
    root = xml(rels_name) if rels_name in names else None
    if root is None:
        return []
    return [resolve(part, rel.get("Target")) for rel in root if (rel.get("Type") or "").endswith(type_suffix)]


def _x14_validations(root, sheet: str) -> list[Validation]:
    found = []
    for element in root.iter(f"{{{_NS['x14']}}}dataValidation"):
        sqref = element.findtext(f"{{{_NS['xm']}}}sqref") or ""
        formula1 = element.findtext(f"{{{_NS['x14']}}}formula1/{{{_NS['xm']}}}f")
        formula2 = element.findtext(f"{{{_NS['x14']}}}formula2/{{{_NS['xm']}}}f")
        if sqref:
            found.append(Validation(sheet, sqref, dict(element.attrib), formula1, formula2))
    return found


def _drawing_losses(root, sheet: str | None) -> list[Loss]:
    losses = []
    anchors = [a for a in root if local(a.tag) in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")]
    shapes = sum(1 for a in anchors for tag in ("sp", "grpSp", "cxnSp") if a.find(f"xdr:{tag}", _NS) is not None)
    controls = sum(1 for a in root.iter(f"{{{_NS['mc']}}}AlternateContent"))
    pictures = sum(1 for a in anchors if a.find("xdr:pic", _NS) is not None)
    charts = sum(1 for _ in root.iter(f"{{{_NS['c']}}}chart"))
    if shapes:
        losses.append(Loss(sheet, None, f"图形/文本框 {shapes} 个"))
    if controls:
        losses.append(Loss(sheet, None, f"控件或新版图形 {controls} 个"))
    if pictures and not _pillow_available():
        losses.append(Loss(sheet, None, f"图片 {pictures} 张（未安装 Pillow，无法保留）"))
    if charts:
        losses.append(Loss(sheet, None, f"图表 {charts} 个的部分样式（图表将被重写，颜色、字体等可能改变）"))
    return losses


def _pillow_available() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def _first_cell(sqref: str) -> str | None:
    match = re.match(r"\$?([A-Z]{1,3})\$?(\d+)", sqref.strip())
    return f"{match.group(1)}{match.group(2)}" if match else None


def _dedupe(losses: list[Loss]) -> list[Loss]:
    seen, unique = set(), []
    for loss in losses:
        if loss not in seen:
            seen.add(loss)
            unique.append(loss)
    return unique


def warning_losses(warnings: list[str]) -> list[Loss]:
    """openpyxl's load warnings that the zip inspection does not already cover, as losses."""
    return [Loss(None, None, f"读取时 openpyxl 提示：{text}") for text in warnings if not _COVERED_WARNINGS.search(text)]



def loss_findings(results, losses: list[Loss]) -> list[Finding]:
    """One roundtrip-loss finding per loss, on the sheet of its form (else the first form's)."""
    from perfxl.checks.catalogue import CATALOGUE

    if not losses or not results:
        return []
    rule = CATALOGUE["roundtrip-loss"]
    found = []
    for loss in losses:
        where = f"工作表“{loss.sheet}”的" if loss.sheet else ""
        message = f"输出工作簿无法保留{where}{loss.what}：提交前请对照原文件在 Excel/WPS 中补回，或直接在原文件中修改。"
        found.append(Finding(rule.code, rule.severity, loss.sheet or results[0].form.sheet, loss.cell, message))
    return found


def with_findings(results, extra: list[Finding]) -> list:
    """Copies of ``results``, each with the ``extra`` findings it owns (:func:`owner`) added. The
    check's own results are never changed: what the writer could not keep is the writer's to say."""
    from dataclasses import replace

    return [replace(result, findings=[*result.findings, *(f for f in extra if owner(results, f) == index)])
            for index, result in enumerate(results)]

