"""The examples in README.md and docs/ are what the program does: each ``$ perfxl …`` session shown
in a ```text block is run and its output compared line by line (a ``...`` line stands for any lines,
times are not compared); each docs/api.md section runs the functions its heading names; every
picture the docs show is one that docs/make_images.py writes. docs/api.md itself runs as a doctest
(tests/test_api_docs.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLEAN, ROOT, SEED

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Sessions that cannot run as a test, with the reason (the watch test covers it: tests/test_watch.py).
NOT_RUN = {
    "perfxl watch 收件箱/": "runs until Ctrl-C; its lines are checked by tests/test_watch.py",
}


def sessions() -> list[tuple[str, str, list[str]]]:
    """(document, command, expected output lines) of every ```text block that starts with ``$ perfxl``."""
    found = []
    for doc in DOCS:
        for block in re.findall(r"```text\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            lines = block.rstrip("\n").split("\n")
            if lines[0].startswith("$ perfxl "):
                found.append((doc.name, lines[0][2:], lines[1:]))
    return found


def _inbox(folder: Path) -> None:
    """收到的自评表/ of the README's batch example: a Word document named .xlsx, the seed, the clean sample."""
    import docx

    inbox = folder / "收到的自评表"
    inbox.mkdir()
    document = docx.Document()
    document.add_paragraph("文化站建设项目绩效自评报告")
    document.save(inbox / "文化站建设.xlsx")
    shutil.copy(SEED, inbox / "益阳智慧大脑.xlsx")
    shutil.copy(CLEAN, inbox / "老旧小区改造.xlsx")


def _samples(folder: Path) -> None:
    shutil.copytree(ROOT / "samples", folder / "samples", ignore=shutil.ignore_patterns("*.py", "__pycache__"))


#: What each session needs in its (empty, temporary) working folder.
SETUP = {
    'perfxl check "samples/2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx"': _samples,
    "perfxl fill 收到的自评表/ -o 结果/": _inbox,
    'perfxl check "samples/2021年度示例项目绩效自评表（无误）.xlsx" --explain': _samples,
}


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; ``...`` (alone or indented) matches any number of lines; 用时 N 秒 matches any time."""
    def norm(line: str) -> str:
        return re.sub(r"用时 \d+(?:\.\d+)? 秒", "用时 T 秒", line.rstrip())

    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and norm(expected[0]) == norm(actual[0]) and _matches(expected[1:], actual[1:])


def test_every_session_is_run_or_says_why_not():
    commands = [command for _, command, _ in sessions()]
    assert len(commands) >= 3
    assert sorted(set(commands)) == sorted(set(SETUP) | set(NOT_RUN)), commands


@pytest.mark.parametrize("doc, command, expected", [s for s in sessions() if s[1] in SETUP], ids=lambda v: v if isinstance(v, str) and v.startswith("perfxl") else "")
def test_session_output_is_what_the_docs_show(doc, command, expected, tmp_path):
    import shlex

    SETUP[command](tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "-m", *shlex.split(command)], cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, timeout=300)  # in the order a terminal shows them
    actual = [line for line in done.stdout.splitlines() if not re.match(r"^\[\d+/\d+\] ", line)]  # less progress lines
    while actual and not actual[-1].strip():
        actual.pop()  # the blank line after the last block, as a terminal shows it
    assert _matches(expected, actual), f"{doc}: {command}\n--- shown ---\n" + "\n".join(expected) + "\n--- printed ---\n" + "\n".join(actual)


def test_api_headings_name_the_functions_their_examples_run():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for section in re.split(r"\n(?=## )", text)[1:]:
        heading, body = section.split("\n", 1)
        for name in re.findall(r"`perfxl\.(\w+)\(", heading):
            assert re.search(rf"perfxl\.{name}\(", body.replace(heading, "")), (heading, name)


def test_every_picture_the_docs_show_is_made_by_a_script():
    sys.path.insert(0, str(ROOT / "docs"))
    import make_images

    shown = {Path(m).name for doc in DOCS for m in re.findall(r"\]\(((?:docs/)?images/[^)]+)\)", doc.read_text(encoding="utf-8"))}
    browser_source = (ROOT / "tests" / "test_serve_browser.py").read_text(encoding="utf-8")
    shot = set(re.findall(r'_shot\(page, "([^"]+\.png)"\)', browser_source))  # the page's screenshots: PERFXL_SCREENSHOTS=docs/images
    assert shot == {"serve-empty.png", "serve-progress.png", "serve-results.png"}, shot
    made = set(make_images.PICTURES) | shot
    assert shown and shown <= made, shown - made
    assert {path.name for path in (ROOT / "docs" / "images").iterdir()} == made
