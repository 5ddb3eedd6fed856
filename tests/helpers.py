"""Helpers the test files share (a test file imports from here or from conftest, never from another test file).

- running the CLI: ``check_json``, ``codes``;
- xlsx packages: ``rewrite_zip``, ``decorated_form``;
- forms perfxl's builder writes half done: ``partial_forms``;
- reading a Word report: ``section_texts``, ``BROKEN_JOINS``;
- LibreOffice: ``soffice_convert``;
- faults: ``FailingWrites`` (also imported by a subprocess, so this module imports nothing heavy at the top).
"""

from __future__ import annotations

import copy
import json
import subprocess
import zipfile
from pathlib import Path

# ---------------------------------------------------------------- running the CLI


def check_json(run_cli, path: Path) -> dict:
    result = run_cli("check", path, "--format", "json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    [doc] = json.loads(result.stdout)  # always a list, one element per form
    return doc


def codes(doc: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["cell"]) for f in doc["findings"]]


# ---------------------------------------------------------------- xlsx packages


def rewrite_zip(path: Path, edits: dict[str, object]) -> None:
    """Replace (callable: transform the text) or add (str/bytes) parts of an xlsx in place."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for name, edit in edits.items():
        if callable(edit):
            parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
        else:
            parts[name] = edit.encode("utf-8") if isinstance(edit, str) else edit
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def decorated_form(make_form, spec, name="form.xlsx") -> Path:
    """A form with the extras real forms carry: list sheet, dropdown, conditional format, print setup, comment."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    path = make_form(spec, name)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    options = wb.create_sheet("选项")
    for i, text in enumerate(("已完成", "部分完成", "未完成"), 1):
        options.cell(i, 1, text)
    options.sheet_state = "hidden"
    dv = DataValidation(type="list", formula1='"达成,部分达成,未达成"', allow_blank=True)
    dv.add("F12:F14")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("H12:H24", CellIsRule(operator="lessThan", formula=["G12"], fill=PatternFill("solid", start_color="FFFF00", end_color="FFFF00")))
    ws.print_area = "A1:I25"
    ws.print_title_rows = "11:11"
    ws.page_setup.orientation = "landscape"
    ws.oddFooter.center.text = "第 &P 页"
    ws.freeze_panes = "A12"
    ws["D12"].font = Font(name="黑体", size=12, bold=True, color="FF0000")
    ws["E12"].comment = Comment("请核实指标值", "张三")
    ws.row_dimensions[12].height = 55
    ws.column_dimensions["D"].width = 33
    wb.defined_names["项目名称"] = DefinedName("项目名称", attr_text=f"'{ws.title}'!$B$2")
    wb.save(path)
    return path


# ---------------------------------------------------------------- forms half done


def partial_forms(tmp_path: Path) -> dict[str, Path]:
    """The blank template, a form with only the header, one with funds but no scores, the seed."""
    from conftest import SEED
    from perfxl.templates import blank_form_bytes
    from perfxl.write.formbuilder import IndicatorSpec, blank_template_spec, build_workbook

    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(blank_form_bytes())
    header = blank_template_spec()
    header.subtitle, header.project, header.department, header.implementer = "（2023年度）", "城区道路维修项目", "示例县交通运输局", "示例县公路事务中心"
    funds = copy.deepcopy(header)
    funds.funds = {"funds_total": (100, 120, 90, 10, None, None), "funds_current": (100, 120, 90, None, None, None)}
    funds.blocks = [[IndicatorSpec("产出指标\n（50分）", "数量指标", "维修道路里程", "≥20公里", "18公里", 50, None),
                     IndicatorSpec("效益指标\n（40分）", "社会效益指标", "群众出行便利", "明显改善", "有所改善", 40, None)]]
    paths = {"blank": blank, "seed": SEED}
    for name, spec in (("header", header), ("funds", funds)):
        paths[name] = tmp_path / f"{name}.xlsx"
        build_workbook(spec).save(paths[name])
    return paths


# ---------------------------------------------------------------- reading a Word report


def section_texts(document, heading: str) -> list[str]:
    """The body paragraphs under a 一级/二级 heading, up to the next heading."""
    texts, inside = [], False
    for p in document.paragraphs:
        if p.style.name in ("Heading 1", "Heading 2"):
            inside = p.text == heading
        elif inside and p.text:
            texts.append(p.text)
    return texts


BROKEN_JOINS = ("本项目，", "，项目。", "项目。", "，。", "。。", "，”", "，，", "得分0分", "得—分", "0项", "”，”")


# ---------------------------------------------------------------- LibreOffice


def soffice_convert(source: Path, fmt: str, outdir: Path, profile: Path) -> Path:
    """Convert with a private LibreOffice profile, so parallel test runs do not clash."""
    outdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(source)],
        capture_output=True, text=True, timeout=180,
    )
    result = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    assert done.returncode == 0 and result.is_file(), done.stdout + done.stderr
    return result


# ---------------------------------------------------------------- faults


class FailingWrites:
    """Stands in for the io module inside zipfile: a zip being written to an output's temporary
    file (``.~perfxl-*``) fails after a few KB with ``error()``, whichever writer writes it."""

    def __init__(self, error, after: int = 3000):
        import io

        self.io, self.error, self.after = io, error, after

    def __getattr__(self, name):
        return getattr(self.io, name)

    def open(self, file, mode="r", *args, **kwargs):
        handle = self.io.open(file, mode, *args, **kwargs)
        if "r" in mode or not Path(str(file)).name.startswith(".~perfxl-"):
            return handle
        return _Failing(handle, self.error, self.after)


class _Failing:
    def __init__(self, handle, error, after):
        self.handle, self.error, self.left = handle, error, after

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def write(self, data):
        self.left -= len(data)
        if self.left < 0:
            raise self.error()
        return self.handle.write(data)
