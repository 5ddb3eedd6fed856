"""Regenerate the pictures in docs/images/ from the seed sample.

    python docs/make_images.py

Writes the seed form's Word report, converts it to PDF with LibreOffice (a private profile, so a
running LibreOffice is not disturbed) and renders two pages to PNG with pdftoppm:

* ``docs/images/report-page1.png``: the first page of the report;
* ``docs/images/report-annex.png``: the first page of the 附件 自评表.

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
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")


def render_page(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-r", DPI, "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(stem)], check=True)


def main() -> int:
    from perfxl.reader import read_form
    from perfxl.report import write_report
    from perfxl.rules import check

    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"需要 {tool}（LibreOffice / poppler-utils）才能生成图片。", file=sys.stderr)
            return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfxl-docs-") as temp:
        folder = Path(temp)
        report = folder / "seed_自评报告.docx"
        write_report(check(read_form(SEED)), report)
        env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig(folder)))
        subprocess.run(
            ["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(folder), str(report)],
            check=True, capture_output=True, env=env, timeout=300,
        )
        pdf = report.with_suffix(".pdf")
        pages = page_texts(pdf)
        annex = next(i for i, text in enumerate(pages, 1) if text.lstrip().startswith("附件\n") or text.lstrip().startswith("附件 "))
        render_page(pdf, 1, IMAGES / "report-page1.png")
        render_page(pdf, annex, IMAGES / "report-annex.png")
    for name in ("report-page1.png", "report-annex.png"):
        print(IMAGES / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
