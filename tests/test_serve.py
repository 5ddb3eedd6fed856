"""``perfxl serve`` over HTTP (Starlette's test client): the same verdicts and bytes as ``perfxl fill``,
every limit with its message, the token, other batches' ids, hostile names and files, and the
temporary folders gone after download, expiry, a broken upload and shutdown."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():  # starlette 1.x prefers httpx2; httpx (what older starlette needs) still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from conftest import CLEAN, SEED  # noqa: E402
from perfxl.web.app import ServeConfig, create_app  # noqa: E402
from perfxl.web.jobs import ServeLimits, safe_name  # noqa: E402
from servehelp import WRITE, hostile_and_odd_forms, upload_batch, wait_done  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.serve_load import free_port, start_serve, stop_serve  # noqa: E402

LOCAL = "http://127.0.0.1"


def client_for(config: ServeConfig | None = None, **kwargs) -> TestClient:
    return TestClient(create_app(config or ServeConfig(**kwargs)), base_url=LOCAL)


@pytest.fixture(scope="module")
def served():
    """One server (one worker process) for the tests that process files."""
    with client_for(workers=1) as client:
        yield client


# --------------------------------------------------------------------------- the same as perfxl fill


@pytest.fixture(scope="module")
def batch_and_cli(served, tmp_path_factory):
    """The odd batch processed by the server and by ``perfxl fill 文件夹 -o 结果`` (in a process of its own)."""
    folder = tmp_path_factory.mktemp("forms")
    files = hostile_and_odd_forms(folder / "收到的")
    batch = upload_batch(served, [(name, path.read_bytes()) for name, path in files.items()])
    state = wait_done(served, batch)
    out = folder / "结果"
    cli = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(folder / "收到的"), "-o", str(out), "--jobs", "1"],
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    return files, batch, state, cli, out


def test_the_page_shows_what_fill_prints_for_every_kind_of_file(batch_and_cli):
    files, _, state, cli, _ = batch_and_cli
    printed = set((cli.stdout + cli.stderr).splitlines())
    by_name = {item["name"]: item for item in state["files"]}
    assert set(by_name) == set(files)
    for name, item in by_name.items():
        assert item["lines"], name
        for line in item["lines"]:
            assert line in printed, (name, line, printed)
    assert by_name[SEED.name]["exit_code"] == 1 and by_name[CLEAN.name]["exit_code"] == 0
    assert "总分 102（待定），有错误 4 项，警告 6 项" in by_name[SEED.name]["lines"][0]
    assert by_name["部门整体.xlsx"]["forms"][0]["kind"] == "department"
    assert by_name["部门整体.xlsx"]["forms"][0]["head"][0].startswith("部门（单位）：某县农业农村局")
    for refused, words in (("申报表.xlsx", "绩效目标申报表"), ("空文件.xlsx", "空文件"), ("其实是Word.xlsx", "Word"),
                           ("炸弹.xlsx", "压缩炸弹"), ("实体.xlsx", "XML")):
        item = by_name[refused]
        assert item["exit_code"] == 2 and item["downloads"] == [], refused
        assert item["lines"][0].startswith(f"{refused}：无法处理 —— ") and words in item["lines"][0], item["lines"]
    # The same closing line as the CLI, but for the time it took.
    tally = re.sub(r"用时 .*", "", state["tally"])
    assert any(line.startswith(tally) for line in printed), (state["tally"], printed)


def test_the_findings_are_the_checks_findings_with_their_cells(batch_and_cli):
    import perfxl

    files, _, state, _, _ = batch_and_cli
    seed = next(item for item in state["files"] if item["name"] == SEED.name)
    [result] = perfxl.check(files[SEED.name])
    shown = [(f["severity"], f["cell"], f["code"], f["message"]) for f in seed["forms"][0]["findings"]]
    assert shown == [(f.severity, f.cell or "全表", f.code, f.message) for f in result.findings]
    first = seed["forms"][0]["findings"][0]
    assert (first["problem"], first["fix"]) == ("“效益指标”标注为 30 分，但其下三级指标分值合计 40 分", "请调整指标分值或标注。")
    assert seed["forms"][0]["head"][2].startswith("总分：填写 92，重算 102（等级待定")


def test_downloads_are_byte_for_byte_what_fill_writes(served, batch_and_cli):
    files, batch, state, _, out = batch_and_cli
    compared = 0
    for item in state["files"]:
        for download in item["downloads"]:
            response = served.get(download["url"])
            assert response.status_code == 200
            assert response.content == (out / download["name"]).read_bytes(), download["name"]
            assert "filename*=UTF-8''" in response.headers["content-disposition"]
            compared += 1
    assert compared == 6  # workbook and report of the seed, the clean sample and the department form
    summary = served.get(state["summary_url"])
    assert summary.status_code == 200 and summary.content[:2] == b"PK"
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(summary.content))["汇总"]
    assert sheet.max_row >= len(files) + 1


def test_one_zip_of_everything_then_nothing_is_left(served, batch_and_cli):
    _, batch, state, _, out = batch_and_cli
    store = served.app.state.store
    folder = next(b.folder for b in list(store._batches.values()) if b.id == batch)
    response = served.get(state["zip_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        assert "汇总.xlsx" in names and f"{SEED.stem}_自评结果.xlsx" in names
        assert archive.read(f"{SEED.stem}_自评报告.docx") == (out / f"{SEED.stem}_自评报告.docx").read_bytes()
    assert not folder.exists()  # deleted once downloaded
    gone = served.get(f"/api/batches/{batch}")
    assert gone.status_code == 404 and "重新上传" in gone.json()["error"]


def test_the_page_is_chinese_and_loads_nothing_from_elsewhere(served):
    page = served.get("/")
    assert page.status_code == 200 and "把自评表拖到这里" in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    for asset in re.findall(r"""(?:src|href)="(/static/[^"?]+)""", page.text):
        response = served.get(asset)
        assert response.status_code == 200, asset
        assert "http://" not in response.text and "https://" not in response.text, asset


# --------------------------------------------------------------------------- limits


def test_too_many_files_in_a_batch():
    with client_for(limits=ServeLimits(max_files=3)) as client:
        response = client.post("/api/batches", json={"count": 4}, headers=WRITE)
        assert response.status_code == 413
        assert response.json()["error"] == "一次最多处理 3 个文件，本次选择了 4 个。请分批上传。"
        assert client.post("/api/batches", json={"count": 3}, headers=WRITE).status_code == 201
        assert client.post("/api/batches", json={"count": 0}, headers=WRITE).status_code == 400


def test_too_many_batches_at_once():
    with client_for(limits=ServeLimits(max_jobs=2)) as client:
        for _ in range(2):
            assert client.post("/api/batches", json={"count": 1}, headers=WRITE).status_code == 201
        response = client.post("/api/batches", json={"count": 1}, headers=WRITE)
        assert response.status_code == 503
        assert response.json()["error"] == "服务器正忙：正在处理 2 批文件（最多同时处理 2 批）。请稍等一两分钟再试。"


def _new_batch(client, count=1) -> str:
    return client.post("/api/batches", json={"count": count}, headers=WRITE).json()["id"]


def test_a_file_over_the_size_limit_gets_the_clis_sentence_and_leaves_nothing():
    limit = 64 * 1024
    with client_for(limits=ServeLimits(max_file_bytes=limit)) as client:
        store = client.app.state.store
        batch = _new_batch(client)
        # Declared too large: refused before a byte is read.
        response = client.put(f"/api/batches/{batch}/files/0", params={"name": "大.xlsx"}, content=b"x" * (limit + 1), headers=WRITE)
        assert response.status_code == 413
        assert response.json()["error"] == "大.xlsx 超过 64 KB，不像一份自评表，已拒绝处理。"

        # Streamed without a length (chunked): stopped as the limit is passed.
        def chunks():
            for _ in range(100):
                yield b"y" * 4096

        response = client.put(f"/api/batches/{batch}/files/0", params={"name": "流.xlsx"}, content=chunks(), headers=WRITE)
        assert response.status_code == 413 and response.json()["error"] == "流.xlsx 超过 64 KB，不像一份自评表，已拒绝处理。"
        folder = next(iter(store._batches.values())).inputs
        assert list(folder.iterdir()) == []
        # The place is free again: a good file can still be sent.
        ok = client.put(f"/api/batches/{batch}/files/0", params={"name": SEED.name}, content=SEED.read_bytes(), headers=WRITE)
        assert ok.status_code == 201


def test_the_batch_total_is_bounded():
    with client_for(limits=ServeLimits(max_batch_bytes=20_000)) as client:
        batch = _new_batch(client, 3)
        assert client.put(f"/api/batches/{batch}/files/0", params={"name": "a.xlsx"}, content=b"a" * 15_000, headers=WRITE).status_code == 201
        response = client.put(f"/api/batches/{batch}/files/1", params={"name": "b.xlsx"}, content=b"b" * 15_000, headers=WRITE)
        assert response.status_code == 413 and response.json()["error"] == "这批文件合计超过 20 KB。请分批上传。"


def test_a_batch_takes_no_files_once_started_and_no_index_twice(served):
    batch = _new_batch(served, 2)
    put = lambda index, name: served.put(f"/api/batches/{batch}/files/{index}", params={"name": name}, content=CLEAN.read_bytes(), headers=WRITE)  # noqa: E731
    assert put(0, "a.xlsx").status_code == 201
    assert put(0, "again.xlsx").status_code == 409
    assert put(2, "out-of-range.xlsx").status_code == 409
    assert served.post(f"/api/batches/{batch}/start", headers=WRITE).status_code == 202
    assert put(1, "late.xlsx").status_code == 409
    wait_done(served, batch)


# --------------------------------------------------------------------------- who may ask


def test_the_token_is_asked_for_every_api_request():
    with client_for(token="s3cret-口令".encode().hex(), loopback=False) as client:
        token = "s3cret-口令".encode().hex()
        assert client.post("/api/batches", json={"count": 1}, headers=WRITE).status_code == 401
        assert client.get("/api/batches/abc").status_code == 401
        page = client.get("/")
        assert page.status_code == 200 and "请输入访问口令" in page.text and 'data-authorized="false"' in page.text
        wrong = client.post("/api/login", json={"token": "guess"}, headers=WRITE)
        assert wrong.status_code == 401 and wrong.json()["error"].startswith("口令不正确")
        assert client.post("/api/batches", json={"count": 1}, headers={**WRITE, "Authorization": f"Bearer {token}"}).status_code == 201
        # The URL the server prints sets the cookie the page then uses.
        opened = client.get(f"/?token={token}", follow_redirects=False)
        assert opened.status_code == 303 and "perfxl_token" in opened.headers["set-cookie"] and "HttpOnly" in opened.headers["set-cookie"]
        assert token not in opened.headers["set-cookie"]  # a digest of it, never the token itself
        assert client.post("/api/batches", json={"count": 1}, headers=WRITE).status_code == 201
        assert 'data-authorized="true"' in client.get("/").text


def test_a_chinese_token_logs_in_through_the_page():
    with client_for(token="内网口令-2024", loopback=False) as client:
        assert client.post("/api/login", json={"token": "内网口令"}, headers=WRITE).status_code == 401
        assert client.post("/api/login", json={"token": "内网口令-2024"}, headers=WRITE).status_code == 200
        assert client.post("/api/batches", json={"count": 1}, headers=WRITE).status_code == 201
        assert client.get("/?token=%E5%86%85%E7%BD%91%E5%8F%A3%E4%BB%A4-2024", follow_redirects=False).headers.get("set-cookie")


def test_a_wrong_token_in_the_url_sets_nothing():
    with client_for(token="right", loopback=False) as client:
        opened = client.get("/?token=wrong", follow_redirects=False)
        assert opened.status_code == 303 and "set-cookie" not in opened.headers
        assert client.get("/api/batches/x").status_code == 401


def test_writes_need_the_pages_header_and_local_mode_its_host():
    with client_for() as client:
        refused = client.post("/api/batches", json={"count": 1})
        assert refused.status_code == 403 and "X-Perfxl" in refused.json()["error"]
        rebound = client.get("/", headers={"Host": "evil.example:8765"})
        assert rebound.status_code == 403 and "127.0.0.1" in rebound.json()["error"]
        assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_another_batchs_id_shows_nothing_of_it(served):
    mine = upload_batch(served, [(CLEAN.name, CLEAN.read_bytes())])
    theirs = upload_batch(served, [(SEED.name, SEED.read_bytes())])
    mine_state, theirs_state = wait_done(served, mine), wait_done(served, theirs)
    assert [f["name"] for f in mine_state["files"]] == [CLEAN.name]
    # Their outputs are reachable only under their id; my id with their numbers gives my files.
    their_url = theirs_state["files"][0]["downloads"][0]["url"]
    mine_url = their_url.replace(theirs, mine)
    assert served.get(mine_url).content == served.get(mine_state["files"][0]["downloads"][0]["url"]).content
    assert served.get(mine_url).content != served.get(their_url).content
    for guess in (theirs[:-1] + ("A" if theirs[-1] != "A" else "B"), "x" * len(theirs), "..", "%2e%2e", theirs.lower()):
        response = served.get(f"/api/batches/{guess}")
        assert response.status_code == 404, guess
    assert served.get(f"/api/batches/{mine}/files/0/outputs/9").status_code == 404
    assert served.get(f"/api/batches/{mine}/files/0/outputs/-1").status_code == 404
    assert served.get("/api/batches/../../etc/passwd").status_code == 404
    for batch in (mine, theirs):
        assert served.delete(f"/api/batches/{batch}", headers=WRITE).status_code == 200
        assert served.get(f"/api/batches/{batch}").status_code == 404


def test_ids_are_long_and_random():
    with client_for(limits=ServeLimits(max_jobs=50)) as client:
        ids = {_new_batch(client) for _ in range(40)}
        assert len(ids) == 40 and all(len(batch) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", batch) for batch in ids)


# --------------------------------------------------------------------------- names a client chose


@pytest.mark.parametrize("raw, safe", [
    ("../../x.xlsx", "x.xlsx"),
    ("..\\..\\Windows\\x.xlsx", "x.xlsx"),
    ("/etc/passwd.xlsx", "passwd.xlsx"),
    ("a\nb\x1b[31m.xlsx", "ab[31m.xlsx"),
    ("..", "文件1.xlsx"),
    ("", "文件1.xlsx"),
    (".hidden.xlsx", "hidden.xlsx"),
    ("CON.xlsx", "_CON.xlsx"),
    ('a<b>c:"d|e?f*.xlsx', "a_b_c__d_e_f_.xlsx"),
    ("表\u2028名.xlsx", "表名.xlsx"),
    ("x" * 300 + ".xlsx", "x" * 120 + ".xlsx"),
])
def test_safe_names(raw, safe):
    assert safe_name(raw, 0) == safe


def test_path_like_and_control_character_names_stay_in_the_batch_folder(served, tmp_path):
    store = served.app.state.store
    names = ["../../x.xlsx", "..\\..\\y.xlsx", "/tmp/z.xlsx", "新\n行\x1b.xlsx", "../../x.xlsx"]
    batch = upload_batch(served, [(name, CLEAN.read_bytes()) for name in names])
    state = wait_done(served, batch)
    folder = store.get(batch).folder
    inside = sorted(p.name for p in (folder / "上传").iterdir())
    assert inside == sorted(["x.xlsx", "y.xlsx", "z.xlsx", "新行.xlsx", "x (2).xlsx"])
    assert all(p.resolve().is_relative_to(store.root.resolve()) for p in folder.rglob("*"))
    assert not (store.root.parent / "x.xlsx").exists() and not Path("/tmp/z.xlsx").exists()
    shown = [item["name"] for item in state["files"]]
    assert shown[3] == "新\\n行\\x1b.xlsx"  # escaped as the CLI prints it, never a raw control character
    assert all(item["exit_code"] == 0 for item in state["files"])
    served.delete(f"/api/batches/{batch}", headers=WRITE)


# --------------------------------------------------------------------------- nothing left behind


def test_expired_batches_are_deleted(tmp_path):
    config = ServeConfig(limits=ServeLimits(ttl=0.6, upload_idle=0.6), sweep_seconds=0.1, workers=1, root=tmp_path)
    with client_for(config) as client:
        done = upload_batch(client, [(CLEAN.name, CLEAN.read_bytes())])
        wait_done(client, done)
        stalled = _new_batch(client, 2)  # the browser went quiet after creating it
        folders = [b.folder for b in client.app.state.store._batches.values()]
        assert len(folders) == 2 and all(folder.exists() for folder in folders)
        time.sleep(1.5)
        assert client.get(f"/api/batches/{done}").status_code == 404
        assert client.get(f"/api/batches/{stalled}").status_code == 404
        assert not any(folder.exists() for folder in folders)


def test_shutdown_deletes_everything_and_stops_the_workers(tmp_path):
    config = ServeConfig(workers=1, root=tmp_path)
    with client_for(config) as client:
        batch = upload_batch(client, [(SEED.name, SEED.read_bytes())])
        wait_done(client, batch)
        root = client.app.state.store.root
        processes = [p for pool in [client.app.state.engine._pool] for p in pool._processes.values()]
        assert root.exists() and any(root.rglob("*_自评结果.xlsx")) and processes
    assert not root.exists() and list(tmp_path.iterdir()) == []
    assert not any(process.is_alive() for process in processes)


def test_a_client_that_disconnects_mid_upload_leaves_nothing(tmp_path):
    app = create_app(ServeConfig(root=tmp_path))
    store = app.state.store
    with TestClient(app, base_url=LOCAL) as client:
        batch = _new_batch(client, 2)
        assert client.put(f"/api/batches/{batch}/files/0", params={"name": "a.xlsx"}, content=CLEAN.read_bytes(), headers=WRITE).status_code == 201
        folder = store.get(batch).folder
        messages = [{"type": "http.request", "body": SEED.read_bytes()[:3000], "more_body": True}, {"type": "http.disconnect"}]
        sent = []

        async def receive():
            await asyncio.sleep(0)
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
                 "path": f"/api/batches/{batch}/files/1", "raw_path": f"/api/batches/{batch}/files/1".encode(),
                 "query_string": b"name=b.xlsx", "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
                 "headers": [(b"host", b"127.0.0.1"), (b"x-perfxl", b"1"), (b"content-length", b"8270")], "state": {}}
        asyncio.run(app(scope, receive, send))
        assert not folder.exists()
        assert client.get(f"/api/batches/{batch}").status_code == 404
        assert len(store) == 0 and list(store.root.iterdir()) == []


def _copies(count: int) -> list[tuple[str, bytes]]:
    """The two samples under ``count`` different names, alternately (a batch with work in it)."""
    return [(f"{index:02d}_{source.name}", source.read_bytes()) for index, source in zip(range(count), [SEED, CLEAN] * count)]


def test_a_worker_that_dies_loses_no_file_and_the_server_stays_up(tmp_path):
    """A file that kills its worker process (out of memory, a crash in a library): the pool is
    replaced, the files it held are done again, and the server goes on serving."""
    with client_for(ServeConfig(workers=1, root=tmp_path)) as client:
        engine = client.app.state.engine
        batch = upload_batch(client, _copies(6))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (engine._pool is not None and engine._pool._processes):
            time.sleep(0.05)
        victim = next(iter(engine._pool._processes))
        os.kill(victim, signal.SIGKILL)
        state = wait_done(client, batch)
        assert [item["exit_code"] for item in state["files"]] == [1, 0] * 3  # the seed's errors, the clean sample's pass
        assert all(len(item["downloads"]) == 2 for item in state["files"]), state["files"]
        assert victim not in (engine._pool._processes if engine._pool else {})
        assert client.get("/").status_code == 200


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_on_the_network_needs_a_token_and_stops_clean(tmp_path, stop):
    import httpx

    port = free_port()
    process, lines = start_serve(["--host", "0.0.0.0", "--port", str(port), "-j", "1"], tmp_path)
    try:
        text = "\n".join(lines)
        assert "警告：--host 0.0.0.0 让其他电脑也能访问本服务" in text
        token = re.search(r"已生成访问口令：(\S+)（", text).group(1)
        assert f"?token={token}" in text
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/batches/x").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            batch = upload_batch(client, [(SEED.name, SEED.read_bytes()), (CLEAN.name, CLEAN.read_bytes())])
            state = wait_done(client, batch)
            assert state["files"][0]["exit_code"] == 1
        assert any(tmp_path.rglob("*_自评结果.xlsx"))
    finally:
        code = stop_serve(process, stop)
    log = "\n".join(lines)
    assert code == 0, log
    assert lines[-1] == "已停止服务；上传的文件和结果已全部删除。", log
    assert re.search(r"127\.0\.0\.1 上传 2020年度益阳智慧大脑\+政务服务项目绩效自评表\.xlsx（8 KB）到批次 \S{6}…", log), log
    assert batch not in log  # never a whole id in the log: whoever has it has the files
    assert list(tmp_path.iterdir()) == [], list(tmp_path.rglob("*"))


def test_stopping_in_the_middle_of_a_batch_leaves_nothing(tmp_path):
    """SIGTERM while the workers are writing: they stop through their cleanup, every folder goes."""
    import httpx

    temp = tmp_path / "temp"
    temp.mkdir()
    port = free_port()
    process, lines = start_serve(["--port", str(port), "-j", "2"], temp)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            batch = upload_batch(client, _copies(10))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                files = client.get(f"/api/batches/{batch}").json()["files"]
                if any(item["state"] == "done" for item in files):
                    break
                time.sleep(0.05)
            assert not all(item["state"] == "done" for item in files)
    finally:
        code = stop_serve(process)
    assert code == 0, lines
    assert list(temp.iterdir()) == [], list(temp.rglob("*"))


def test_serve_on_this_computer_asks_no_token(tmp_path):
    import httpx

    port = free_port()
    process, lines = start_serve(["--port", str(port)], tmp_path)
    try:
        assert f"perfxl 网页已启动：http://127.0.0.1:{port}/" in lines[0] and "口令" not in "\n".join(lines)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        # A real client that hangs up mid-upload: the batch and every byte it sent are gone.
        batch = httpx.post(f"http://127.0.0.1:{port}/api/batches", json={"count": 1}, headers=WRITE).json()["id"]
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(f"PUT /api/batches/{batch}/files/0?name=a.xlsx HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Perfxl: 1\r\n"
                        f"Content-Length: 100000\r\n\r\n".encode() + SEED.read_bytes()[:5000])
            time.sleep(0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and httpx.get(f"http://127.0.0.1:{port}/api/batches/{batch}").status_code != 404:
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/api/batches/{batch}").status_code == 404
        assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    finally:
        code = stop_serve(process)
    assert code == 0 and list(tmp_path.iterdir()) == []


def test_a_port_in_use_is_said_in_chinese(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "perfxl", "serve", "--no-browser", "--port", str(port)], capture_output=True,
                              text=True, encoding="utf-8", timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr == f"错误：端口 {port} 已被占用，或 127.0.0.1 不是本机的地址。请用 --port 指定另一个端口，或检查 --host。\n"
    assert list(tmp_path.iterdir()) == []
