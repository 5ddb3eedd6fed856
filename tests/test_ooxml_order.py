"""Word is stricter than LibreOffice: children of w:pPr, w:rPr, w:tblPr and w:tcPr must come in the
order the schema's sequences give (ECMA-376 Part 1, wml.xsd). Checked in every Word part perfxl
generates or edits: the shipped templates and the reports of the blank, half-filled and seed forms,
project and department.
openxml-audit, where installed, validates the whole package as well."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from perfxl.read.reader import read_form
from perfxl.report.document import default_template, write_report
from perfxl.checks.rules import check

from helpers import partial_forms

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# The sequences, as the schema lists them (copied from wml.xsd, not from perfxl's code).
CT_PPR = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
          "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd "
          "snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
          "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split()
CT_RPR = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
          "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em "
          "lang eastAsianLayout specVanish oMath rPrChange").split()
CT_PARA_RPR = ["ins", "del", "moveFrom", "moveTo", *CT_RPR]  # a paragraph mark's run properties
CT_TBLPR = ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
            "tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription tblPrChange").split()
CT_TCPR = ("cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark "
           "headers cellIns cellDel cellMerge tcPrChange").split()


def order_problems(xml: bytes, part: str) -> list[str]:
    """Every pPr/rPr/tblPr/tcPr whose w: children are out of schema order or unknown to it."""
    root = etree.fromstring(xml)
    problems = []
    for element in root.iter(f"{{{W}}}pPr", f"{{{W}}}rPr", f"{{{W}}}tblPr", f"{{{W}}}tcPr"):
        name = etree.QName(element).localname
        parent = etree.QName(element.getparent()).localname
        sequence = {"pPr": CT_PPR, "tblPr": CT_TBLPR, "tcPr": CT_TCPR}.get(name) or (CT_PARA_RPR if parent == "pPr" else CT_RPR)
        children = [etree.QName(child).localname for child in element if etree.QName(child).namespace == W]
        unknown = [child for child in children if child not in sequence]
        positions = [sequence.index(child) for child in children if child in sequence]
        if unknown or positions != sorted(positions):
            problems.append(f"{part}: <w:{name}> in <w:{parent}> has {children}")
    return problems


def package_problems(path: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                problems += order_problems(archive.read(name), name)
    return problems


def test_the_checker_catches_the_old_footer_order():
    footer = (f'<w:ftr xmlns:w="{W}"><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="right"/>'
              '<w:ind w:right="280"/></w:pPr></w:p></w:ftr>').encode()
    assert order_problems(footer, "footer1.xml") == ["footer1.xml: <w:pPr> in <w:p> has ['pStyle', 'jc', 'ind']"]
    run = f'<w:r xmlns:w="{W}"><w:rPr><w:highlight w:val="yellow"/><w:rFonts w:ascii="x"/></w:rPr></w:r>'.encode()
    assert order_problems(run, "document.xml")


def _department_forms(tmp_path: Path) -> dict[str, Path]:
    """Department forms: blank (title and headers only), half-filled, filled, inline amounts."""
    from typedforms import blank_department_rows, department_rows, half_filled_department_rows, inline_rows, write_form

    layouts = {"department-blank": blank_department_rows(), "department-half": half_filled_department_rows(),
               "department": department_rows(), "department-inline": inline_rows()}
    return {name: write_form(tmp_path / f"{name}.xlsx", rows, merges) for name, (rows, merges) in layouts.items()}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("order")
    out = {}
    for name, form in {**partial_forms(folder), **_department_forms(folder)}.items():
        out[name] = folder / f"{name}_自评报告.docx"
        write_report(check(read_form(form)), out[name])
    return out


@pytest.mark.parametrize("kind", ["project", "department"])
def test_template_children_are_in_schema_order(kind):
    assert package_problems(default_template(kind)) == []


@pytest.mark.parametrize("name", ["blank", "header", "funds", "seed", "department-blank", "department-half", "department", "department-inline"])
def test_report_children_are_in_schema_order(reports, name):
    assert package_problems(reports[name]) == []


@pytest.mark.parametrize("name", ["blank", "seed", "department-blank", "department-inline"])
def test_openxml_audit_finds_nothing(reports, name):
    audit = pytest.importorskip("openxml_audit")
    result = audit.OpenXmlValidator().validate(str(reports[name]))
    assert [str(error) for error in result.errors] == []
