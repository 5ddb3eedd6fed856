"""What the tests of ``perfxl serve`` share: the forms a batch is made of, and uploading through the API."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

from conftest import CLEAN, SEED, copy_package

WRITE = {"X-Perfxl": "1"}


def hostile_and_odd_forms(folder: Path) -> dict[str, Path]:
    """A batch as a 财政局 receives it: good forms, a department form, a form perfxl refuses, and
    files that are not forms at all or are built to hurt (name → path, all in ``folder``)."""
    from typedforms import department_rows, write_form

    folder.mkdir(parents=True, exist_ok=True)
    files = {
        SEED.name: Path(shutil.copy(SEED, folder / SEED.name)),
        CLEAN.name: Path(shutil.copy(CLEAN, folder / CLEAN.name)),
    }
    rows, merges = department_rows()
    files["部门整体.xlsx"] = write_form(folder / "部门整体.xlsx", rows, merges)
    files["申报表.xlsx"] = write_form(folder / "申报表.xlsx", [["2023年度项目绩效目标申报表"], ["项目名称", "某项目"],
                                                             ["一级指标", "二级指标", "三级指标", "指标值"],
                                                             ["产出指标", "数量指标", "培训人次", "≥100人次"]])
    empty = folder / "空文件.xlsx"
    empty.write_bytes(b"")
    files[empty.name] = empty
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
    renamed = folder / "其实是Word.xlsx"
    renamed.write_bytes(docx.getvalue())
    files[renamed.name] = renamed
    files["炸弹.xlsx"] = copy_package(SEED, folder / "炸弹.xlsx", {}, {"xl/media/padding.bin": b"\0" * (12 * 1024 * 1024)})
    with zipfile.ZipFile(SEED) as source:
        sheet = source.read("xl/worksheets/sheet1.xml").decode()
    body = sheet[sheet.index("<worksheet"):]
    evil = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            + body.replace("<sheetData>", '<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol2;</t></is></c></row>', 1))
    files["实体.xlsx"] = copy_package(SEED, folder / "实体.xlsx", {"xl/worksheets/sheet1.xml": evil.encode()})
    return files


def upload_batch(client, files: list[tuple[str, bytes]], headers: dict | None = None) -> str:
    """Create a batch, upload ``files`` (name, bytes) and start it: the batch id."""
    headers = {**WRITE, **(headers or {})}
    created = client.post("/api/batches", json={"count": len(files)}, headers=headers)
    assert created.status_code == 201, created.text
    batch = created.json()["id"]
    for index, (name, data) in enumerate(files):
        sent = client.put(f"/api/batches/{batch}/files/{index}", params={"name": name}, content=data, headers=headers)
        assert sent.status_code == 201, sent.text
    started = client.post(f"/api/batches/{batch}/start", headers=headers)
    assert started.status_code == 202, started.text
    return batch


def wait_done(client, batch: str, timeout: float = 120, headers: dict | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/batches/{batch}", headers=headers or {}).json()
        if state.get("state") == "done":
            return state
        time.sleep(0.2)
    raise AssertionError(f"batch not done after {timeout} s")
