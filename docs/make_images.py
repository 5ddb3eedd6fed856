"""Regenerate the pictures in docs/images/ from the seed sample.

    python docs/make_images.py

Writes Word reports and a 汇总.xlsx, converts them to PDF with LibreOffice (a private profile, so a
running LibreOffice is not disturbed) and renders pages to PNG with pdftoppm:

* ``docs/images/report-page1.png``: the first page of the seed form's report;
* ``docs/images/report-signature.png``: the page with the 附件 note and the 落款;
* ``docs/images/report-annex.png``: the first page of the 附件 自评表;
* ``docs/images/report-blank-page1.png``: the first page of the blank template's report;
* ``docs/images/report-department.png``: the department sample's report (部门整体支出绩效自评报告): its first
  page and its 附件, side by side;
* ``docs/images/summary-page1.png``, ``summary-departments.png``, ``summary-charts.png``: the three
  printed pages of the 汇总.xlsx of a demo folder (the samples, the department sample among them, a blank
  form, three more projects, a broken file).

``PICTURES`` lists them all; tests/test_docs_examples.py checks that the docs show no other picture.

The 公文 fonts (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312) are rarely installed on Linux, so the
rendering maps them to Noto Serif/Sans CJK through a private fontconfig file; on a Windows PC with
the fonts installed, Word shows the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMAGES = ROOT / "docs" / "images"
SEED = ROOT / "samples" / "2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx"
DPI = "80"

FONT_MAP = {
    "仿宋_GB2312": "Noto Serif CJK SC",
    "仿宋": "Noto Serif CJK SC",
    "方正小标宋简体": "Noto Serif CJK SC",
    "宋体": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
}


def fontconfig(folder: Path) -> Path:
    aliases = "".join(
        f"<alias binding=\"same\"><family>{name}</family><prefer><family>{target}</family></prefer></alias>"
        for name, target in FONT_MAP.items()
    )
    path = folder / "fonts.conf"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>{aliases}</fontconfig>",
        encoding="utf-8",
    )
    return path


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext -layout), one string per page."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def render_page(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-r", DPI, "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(stem)], check=True)


def to_pdfs(paths: list[Path], folder: Path, env: dict) -> list[Path]:
    """Convert documents to PDF in one LibreOffice run (a private profile in ``folder``)."""
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(folder), *map(str, paths)],
        check=True, capture_output=True, env=env, timeout=300,
    )
    return [folder / f"{path.stem}.pdf" for path in paths]


def to_pdf(path: Path, folder: Path, env: dict) -> Path:
    return to_pdfs([path], folder, env)[0]


DEPARTMENT = ROOT / "samples" / "2022年度某县农业农村局部门整体支出绩效自评表.xlsx"
#: Every picture in docs/images/, all written by this script (tests/test_docs_examples.py checks the docs show no other).
PICTURES = ("report-page1.png", "report-signature.png", "report-annex.png", "report-blank-page1.png", "report-department.png",
            "summary-page1.png", "summary-departments.png", "summary-charts.png")


def side_by_side(pdf: Path, pages: tuple[int, ...], target: Path, folder: Path) -> None:
    """Several pages of a PDF as one picture, left to right with a thin gap."""
    from PIL import Image

    images = []
    for page in pages:
        single = folder / f"page-{page}.png"
        render_page(pdf, page, single)
        images.append(Image.open(single).convert("RGB"))
    gap = 12
    width = sum(image.width for image in images) + gap * (len(images) - 1)
    combined = Image.new("RGB", (width, max(image.height for image in images)), (200, 200, 200))
    x = 0
    for image in images:
        combined.paste(image, (x, 0))
        x += image.width + gap
    combined.save(target, optimize=True)


def demo_folder(folder: Path) -> Path:
    """A folder as a 财政局 receives it: the samples, a blank form, forms of two more departments, a broken file."""
    import copy

    sys.path.insert(0, str(ROOT / "samples"))
    import make_samples

    from perfxl.write.formbuilder import build_workbook
    from perfxl.templates import blank_form_bytes

    inbox = folder / "收件"
    inbox.mkdir()
    for sample in sorted((ROOT / "samples").glob("*.xlsx")):
        shutil.copy(sample, inbox / sample.name)
    (inbox / "空白自评表.xlsx").write_bytes(blank_form_bytes())
    for name, project, department, funds, score in (
        ("背街小巷整治项目.xlsx", "背街小巷整治项目", "示例市城市管理局", (500, 800, 600, 10, 0.75, 7.5), 2),
        ("公园绿地养护项目.xlsx", "公园绿地养护项目", "示例市城市管理局", (300, 300, 285, 10, 0.95, 9.5), 10),
        ("农村公路养护项目.xlsx", "农村公路养护项目", "示例市交通运输局", (600, 650, 520, 10, 0.8, 8), 6),
    ):
        spec = copy.deepcopy(make_samples.clean_spec())
        spec.project, spec.department, spec.implementer = project, department, department.replace("局", "事务中心")
        spec.funds = dict(spec.funds, funds_total=funds)
        spec.blocks[0][0].score = score
        spec.total_score = None
        build_workbook(spec).save(inbox / name)
    (inbox / "损坏的文件.xlsx").write_bytes(b"not a workbook")
    return inbox


def main() -> int:
    from perfxl.read.reader import read_form
    from perfxl.report.document import write_report
    from perfxl.checks.rules import check
    from perfxl.templates import blank_form_bytes

    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"需要 {tool}（LibreOffice / poppler-utils）才能生成图片。", file=sys.stderr)
            return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="perfxl-docs-") as temp:
        folder = Path(temp)
        env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig(folder)))

        report = folder / "seed_自评报告.docx"
        write_report(check(read_form(SEED)), report)
        pdf = to_pdf(report, folder, env)
        pages = page_texts(pdf)
        annex = next(i for i, text in enumerate(pages, 1) if text.lstrip().startswith("附件\n") or text.lstrip().startswith("附件 "))
        signed = next(i for i, text in enumerate(pages, 1) if "附件：" in text)
        for page, name in ((1, "report-page1.png"), (signed, "report-signature.png"), (annex, "report-annex.png")):
            render_page(pdf, page, IMAGES / name)
            written.append(name)

        blank_form = folder / "blank.xlsx"
        blank_form.write_bytes(blank_form_bytes())
        blank = folder / "blank_自评报告.docx"
        write_report(check(read_form(blank_form)), blank)
        pdf = to_pdf(blank, folder, env)
        render_page(pdf, 1, IMAGES / "report-blank-page1.png")
        written.append("report-blank-page1.png")

        report = folder / "department_自评报告.docx"
        write_report(check(read_form(DEPARTMENT)), report)
        pdf = to_pdf(report, folder, env)
        pages = page_texts(pdf)
        annex = next(i for i, text in enumerate(pages, 1) if text.lstrip().startswith("附件\n") or text.lstrip().startswith("附件 "))
        side_by_side(pdf, (1, annex), IMAGES / "report-department.png", folder)
        written.append("report-department.png")

        inbox = demo_folder(folder)
        subprocess.run([sys.executable, "-m", "perfxl", "fill", str(inbox), "-o", str(folder / "结果"), "--no-report", "--jobs", "1"],
                       capture_output=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        pdf = to_pdf(folder / "结果" / "汇总.xlsx", folder, env)
        for page, name in ((1, "summary-page1.png"), (2, "summary-departments.png"), (3, "summary-charts.png")):
            render_page(pdf, page, IMAGES / name)
            written.append(name)
    assert sorted(written) == sorted(PICTURES), written
    for name in written:
        print(IMAGES / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
