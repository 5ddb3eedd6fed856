"""``perfxl serve`` in a real browser: Debian's chromium, headless, driven by Playwright.

The test starts ``perfxl serve`` itself, uploads forms through the page's own file input and by
drag-and-drop, waits for the verdicts, checks them and the findings table (and its filters),
downloads the outputs and compares them byte for byte with ``perfxl fill``. Skipped where
chromium or Playwright is absent (no browser is ever downloaded). With ``PERFXL_SCREENSHOTS=DIR``
it saves the page's screenshots there (docs/images: empty, during a batch, with results).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLEAN, ROOT, SEED
from servehelp import hostile_and_odd_forms

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

sys.path.insert(0, str(ROOT))
from benchmarks.serve_load import free_port, start_serve, stop_serve  # noqa: E402

SHOTS = os.environ.get("PERFXL_SCREENSHOTS")
WIDTH = 1280


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    temp = tmp_path_factory.mktemp("serve-temp")
    port = free_port()
    process, _ = start_serve(["--port", str(port), "-j", "1"], temp)
    yield f"http://127.0.0.1:{port}/"
    assert stop_serve(process) == 0
    assert list(temp.iterdir()) == []  # every upload and result deleted


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as error:  # a chromium that cannot start here is an absent chromium
            pytest.skip(f"chromium does not start: {error}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """The odd batch and what ``perfxl fill`` writes for it."""
    folder = tmp_path_factory.mktemp("browser-forms")
    files = hostile_and_odd_forms(folder / "收到的")
    out = folder / "结果"
    subprocess.run([sys.executable, "-m", "perfxl", "fill", str(folder / "收到的"), "-o", str(out), "--jobs", "1"],
                   capture_output=True, timeout=300)
    return files, out


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _row(page, name: str):
    return page.locator("#file-rows tr", has=page.locator("td.name", has_text=name))


def _wait_done(page, timeout: float = 120_000) -> None:
    page.wait_for_function("document.getElementById('tally').textContent.includes('共 ')", timeout=timeout)


def test_picked_files_show_the_verdicts_findings_and_downloads_of_fill(server, page, forms, tmp_path):
    files, out = forms
    page.goto(server)
    assert page.title() == "perfxl 绩效自评表校验"
    assert page.locator(".drop-title").inner_text() == "把自评表拖到这里"
    _shot(page, "serve-empty.png")
    page.set_input_files("#pick-files", [str(path) for path in files.values()])
    _wait_done(page)
    assert re.match(r"共 8 份：通过 1 份，有错误 2 份，无法读取 5 份；用时 .+ 秒。", page.locator("#tally").inner_text())
    seed_row = _row(page, SEED.name)
    verdict = seed_row.locator("td.verdict-cell").inner_text()
    assert f"{SEED.name}［自评表］：总分 102（待定），有错误 4 项，警告 6 项" in verdict
    assert "总分：填写 92，重算 102（等级待定：分值合计 110 分，不是 100 分）" in verdict
    assert seed_row.locator("td.state").inner_text() == "有错误"
    assert "部门（单位）：某县农业农村局" in _row(page, "部门整体.xlsx").inner_text()
    word = _row(page, "其实是Word.xlsx").locator("td.verdict-cell").inner_text()
    assert word.startswith("其实是Word.xlsx：无法处理 —— ") and "Word" in word
    assert "绩效目标申报表" in _row(page, "申报表.xlsx").inner_text()

    # The findings table: every finding of every form, filterable by severity, file and text.
    import perfxl

    expected = sum(len(result.findings) for name in (SEED.name, CLEAN.name, "部门整体.xlsx") for result in perfxl.check(files[name]))
    rows = page.locator("#finding-rows tr")
    assert rows.count() == expected
    for severity in ("warning", "info"):
        page.locator(f".sev[value={severity}]").uncheck()
    visible = page.locator("#finding-rows tr:not([hidden])")
    assert visible.count() == 4 + sum(1 for name in ("部门整体.xlsx", CLEAN.name) for r in perfxl.check(files[name]) for f in r.findings if f.severity == "error")
    assert set(visible.locator("td.sev").all_inner_texts()) == {"错误"}
    page.fill("#search", "H25")
    assert visible.count() == 1 and visible.locator("td.cell").inner_text() == "H25"
    assert "总分填写为 92" in visible.locator("td.problem").inner_text() and visible.locator("td.fix").inner_text() == "请改正。"
    page.fill("#search", "")
    page.locator(".sev[value=warning]").check()
    page.locator(".sev[value=info]").check()
    page.select_option("#file-filter", label="部门整体.xlsx")
    shown = visible.locator("td.file").all_inner_texts()
    assert shown and all(text == "部门整体.xlsx" for text in shown)
    assert page.locator("#file-filter option").all_inner_texts() == ["全部文件", SEED.name, "部门整体.xlsx"]  # files with findings
    page.select_option("#file-filter", value="")
    page.locator("#findings").scroll_into_view_if_needed()
    _shot(page, "serve-results.png")

    # Each output, byte for byte what perfxl fill wrote; then everything as one .zip.
    links = page.locator("#file-rows td.downloads a")
    assert links.count() == 6
    for index in range(links.count()):
        link = links.nth(index)
        with page.expect_download() as info:
            link.click()
        download = info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        assert target.read_bytes() == (out / download.suggested_filename).read_bytes(), download.suggested_filename
    with page.expect_download() as info:
        page.click("#summary")
    assert info.value.suggested_filename == "汇总.xlsx"
    with page.expect_download() as info:
        page.click("#zip")
    assert info.value.suggested_filename.endswith(".zip")
    page.wait_for_function("document.getElementById('batch-note').textContent.includes('已删除')")


def test_dropped_files_are_processed_the_same(server, page, forms):
    files, out = forms
    page.goto(server)
    payload = [{"name": name, "data": base64.b64encode(files[name].read_bytes()).decode()} for name in (SEED.name, "空文件.xlsx")]
    page.evaluate("""(files) => {
        const transfer = new DataTransfer();
        for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], f.name, { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }));
        }
        const drop = document.getElementById("drop");
        drop.dispatchEvent(new DragEvent("dragenter", { dataTransfer: transfer, bubbles: true }));
        drop.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""", payload)
    _wait_done(page)
    assert "总分 102（待定），有错误 4 项，警告 6 项" in _row(page, SEED.name).inner_text()
    empty = _row(page, "空文件.xlsx").locator("td.verdict-cell").inner_text()
    assert empty.startswith("空文件.xlsx：无法处理 —— ")
    report = _row(page, SEED.name).locator("td.downloads a", has_text="自评报告.docx")
    with page.expect_download() as info:
        report.click()
    assert Path(info.value.path()).read_bytes() == (out / f"{SEED.stem}_自评报告.docx").read_bytes()


def test_a_file_over_the_limit_is_refused_before_it_is_sent(server, page, tmp_path):
    page.goto(server)
    big = tmp_path / "巨大.xlsx"
    with open(big, "wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    page.set_input_files("#pick-files", [str(big), str(CLEAN)])
    _wait_done(page)
    assert _row(page, "巨大.xlsx").locator("td.verdict-cell").inner_text() == "巨大.xlsx：无法处理 —— 巨大.xlsx 超过 50 MB，不像一份自评表，已拒绝处理。"
    assert "另有 1 个文件未上传" in page.locator("#tally").inner_text()
    assert "通过" in _row(page, CLEAN.name).inner_text()


def test_a_batch_in_progress_shows_each_files_progress(server, page, tmp_path):
    from benchmarks.generate import generate

    # Enough forms that the page, polling every 0.6 s, sees the batch half done on a fast idle machine too
    # (with 14 forms one worker could finish between two polls of the window and the wait never ended).
    paths = generate(tmp_path / "forms", 30, seed=3, xls_share=0)
    page.goto(server)
    page.set_input_files("#pick-files", [str(path) for path in paths])
    page.wait_for_function("""() => { const t = document.getElementById('overall').textContent;
        const m = t.match(/已完成 (\\d+) \\/ (\\d+)/); return m && Number(m[1]) >= 2 && Number(m[1]) < Number(m[2]) - 2; }""", timeout=120_000)
    states = page.locator("#file-rows td.state").all_inner_texts()
    assert any(text in ("有错误", "通过") for text in states) and any("处理中" in text or "等待" in text or "已上传" in text for text in states)
    _shot(page, "serve-progress.png")
    _wait_done(page)
    assert page.locator("#file-rows tr").count() == 30


def test_with_a_token_the_page_asks_for_it_first(page, tmp_path):
    port = free_port()
    process, _ = start_serve(["--port", str(port), "-j", "1", "--token", "内网口令-2024"], tmp_path)
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        assert page.locator("#login").is_visible() and not page.locator("#app").is_visible()
        page.fill("#token", "猜一个")
        page.click("#login-form button")
        page.wait_for_function("document.getElementById('login-error').textContent.length > 0")
        assert page.locator("#login-error").inner_text().startswith("口令不正确")
        page.fill("#token", "内网口令-2024")
        page.click("#login-form button")
        page.locator("#app").wait_for(state="visible")
        page.set_input_files("#pick-files", [str(CLEAN)])
        _wait_done(page)
        assert "［自评表］：总分 99.36（优），通过，警告 0 项" in _row(page, CLEAN.name).inner_text()
    finally:
        assert stop_serve(process) == 0


def test_a_picked_folder_is_scanned_as_fill_scans_one(server, page, tmp_path):
    """Only forms: no Excel lock file, no hidden file, no output of perfxl, nothing but .xlsx/.xlsm/.xls."""
    folder = tmp_path / "收到的"
    (folder / "子文件夹").mkdir(parents=True)
    shutil.copy(CLEAN, folder / CLEAN.name)
    shutil.copy(SEED, folder / "子文件夹" / SEED.name)
    for name in ("~$正在编辑.xlsx", ".隐藏.xlsx", "表_自评结果.xlsx", "表_自评报告(2).docx", "汇总.xlsx", "说明.txt"):
        shutil.copy(CLEAN, folder / name)
    page.goto(server)
    page.set_input_files("#pick-folder", str(folder))
    _wait_done(page)
    assert sorted(page.locator("#file-rows td.name").all_inner_texts()) == sorted([CLEAN.name, SEED.name])
    assert page.locator("#tally").inner_text().startswith("共 2 份：通过 1 份，有错误 1 份，无法读取 0 份")
