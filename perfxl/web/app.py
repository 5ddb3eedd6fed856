"""The Starlette application of ``perfxl serve``: the page, its JSON API and the downloads.

Every request for a batch names its id; a wrong, foreign or deleted id gets the same 404. With a
token (required when the server listens beyond this computer), every API request carries it, as
the ``perfxl_token`` cookie the page sets or as ``Authorization: Bearer``. Requests that change
something must carry ``X-Perfxl: 1``, which a page of another site cannot send without the
browser asking first (so it cannot upload through a user's browser); on 127.0.0.1 the ``Host``
must be this computer (so a web site cannot reach the server by DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from perfxl import __version__
from perfxl.systext import printable
from perfxl.show.verdict import record_lines
from .jobs import Batch, BatchStore, LimitError, ServeLimits, batch_too_large_message, log, run, short, too_large_message

HERE = Path(__file__).parent
COOKIE = "perfxl_token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class ServeConfig:
    """How one server runs (from the command's options)."""

    limits: ServeLimits = field(default_factory=ServeLimits)
    token: str | None = None  # None: no token asked (127.0.0.1 only)
    loopback: bool = True  # listening on this computer only: the Host header must say so
    workers: int = 1
    sweep_seconds: float = 60.0  # how often expired batches are looked for
    warm: bool = False  # start the workers at start-up (the first upload then does not wait for them)
    root: Path | None = None  # where the batches' temporary folders go (default: the system's)


def create_app(config: ServeConfig) -> Starlette:
    from .engine import Engine

    store = BatchStore(config.limits, config.root)
    engine = Engine(config.workers)
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        sweeper = asyncio.create_task(_sweep(store, config.sweep_seconds))
        if config.warm:
            threading.Thread(target=engine.warm, daemon=True).start()
        try:
            yield
        finally:
            sweeper.cancel()
            engine.stop()
            store.close()

    def guard(request: Request, write: bool = False) -> None:
        """Raise LimitError unless the request may go on (host, token, the header of a write)."""
        if config.loopback and _host_name(request.headers.get("host", "")) not in LOOPBACK_HOSTS:
            raise LimitError(403, "请通过 http://127.0.0.1 访问本页面。")
        if config.token is not None and not _token_ok(request, config.token):
            raise LimitError(401, "请输入访问口令（启动 perfxl serve 时显示的口令）。")
        if write and request.headers.get("x-perfxl") != "1":
            raise LimitError(403, "请求缺少 X-Perfxl 请求头：请通过 perfxl 的页面上传。")

    async def page(request: Request):
        given = request.query_params.get("token")
        if given is not None and config.token is not None:
            response = RedirectResponse("/", status_code=303)
            if hmac.compare_digest(given.encode(), config.token.encode()):
                _set_cookie(response, config.token)
            return response
        try:
            guard(request)
            authorized = True
        except LimitError as error:
            if error.status != 401:
                raise
            authorized = False
        context = {"version": __version__, "limits": config.limits, "token_required": config.token is not None,
                   "authorized": authorized, "max_file_mb": config.limits.max_file_bytes // (1024 * 1024)}
        return templates.TemplateResponse(request, "index.html", context, headers=_NO_STORE)

    def batch_of(request: Request, write: bool = False) -> Batch:
        """The batch the request names, once the request may go on (else LimitError: the handler answers)."""
        guard(request, write)
        return store.get(request.path_params["batch"])

    async def login(request: Request):
        if config.token is None:
            return JSONResponse({"ok": True})
        body = await _json(request, 4096)
        given = str(body.get("token", ""))
        if request.headers.get("x-perfxl") != "1" or not hmac.compare_digest(given.encode(), config.token.encode()):
            log.warning("%s 口令错误", _client(request))
            raise LimitError(401, "口令不正确。请核对启动 perfxl serve 时显示的口令。")
        response = JSONResponse({"ok": True})
        _set_cookie(response, config.token)
        return response

    async def create(request: Request):
        guard(request, write=True)
        body = await _json(request, 4096)
        try:
            count = int(body.get("count", 0))
        except (TypeError, ValueError):
            count = 0
        batch = store.create(count, _client(request))
        return JSONResponse({"id": batch.id, "limits": config.limits.as_json()}, status_code=201)

    async def upload(request: Request):
        batch = batch_of(request, write=True)
        index = request.path_params["index"]
        declared = request.headers.get("content-length")
        declared = int(declared) if declared and declared.isdigit() else None
        shown, path = store.add_upload(batch, index, request.query_params.get("name", ""), declared)
        limits, size = config.limits, 0
        try:
            with open(path, "xb") as out:  # never an existing file: the name is ours, in a folder of this batch
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limits.max_file_bytes:
                        raise LimitError(413, too_large_message(shown, limits.max_file_bytes))
                    if batch.received + size > limits.max_batch_bytes:
                        raise LimitError(413, batch_too_large_message(limits))
                    out.write(chunk)
        except ClientDisconnect:  # the browser went away mid-upload: nothing of the batch stays
            store.release(batch, index)
            store.delete(batch, "上传中断")
            return Response(status_code=499)
        except LimitError as error:
            store.release(batch, index)
            log.info("%s 上传 %s 被拒绝：%s", batch.client, shown, error.message)
            raise
        except OSError:  # the batch was deleted meanwhile, or the disk is full
            store.release(batch, index)
            raise LimitError(507, "服务器无法保存上传的文件（磁盘空间不足或这批文件已被删除）。请稍后重新上传。") from None
        except BaseException:
            store.release(batch, index)
            raise
        store.finish_upload(batch, index, shown, path, size)
        return JSONResponse({"index": index, "name": shown, "size": size}, status_code=201)

    async def start(request: Request):
        batch = batch_of(request, write=True)
        if batch.state != "uploading":
            raise LimitError(409, "这批文件已经开始处理。")
        if batch.reserved:
            raise LimitError(409, "还有文件正在上传，请等上传完成。")
        if not batch.uploads:
            raise LimitError(400, "这批文件一个也没有上传成功，无法处理。")
        batch.state = "running"
        threading.Thread(target=run, args=(batch, engine), name=f"perfxl-batch-{short(batch.id)}", daemon=True).start()
        return JSONResponse(batch_json(batch), status_code=202)

    async def status(request: Request):
        return JSONResponse(batch_json(batch_of(request)), headers=_NO_STORE)

    async def download(request: Request):
        batch = batch_of(request)
        record = batch.records.get(request.path_params["index"])
        number = request.path_params["number"]
        if record is None or not 0 <= number < len(record.record.outputs):
            raise LimitError(404, "没有这个结果文件。")
        return _file(batch, record.record.outputs[number], request)

    async def summary(request: Request):
        batch = batch_of(request)
        if batch.summary is None:
            raise LimitError(404, "这批文件没有汇总表（两份及以上才生成），或尚未处理完。")
        return _file(batch, batch.summary, request)

    async def archive(request: Request):
        batch = batch_of(request)
        if batch.state != "done":
            raise LimitError(409, "这批文件还在处理中，请处理完成后再下载。")
        path = await asyncio.to_thread(write_zip, batch)
        store.forget(batch)  # gone for every request from now on; its folder once the .zip is sent
        log.info("%s 下载批次 %s 的全部结果（.zip），随后删除", _client(request), short(batch.id))
        name = f"perfxl自评结果_{time.strftime('%Y%m%d-%H%M%S')}.zip"
        # Downloaded as a whole: nothing of the batch stays on the server.
        return FileResponse(path, media_type="application/zip", headers=_attachment(name) | _NO_STORE,
                            background=BackgroundTask(store.delete, batch, "已下载全部结果"))

    async def remove(request: Request):
        store.delete(batch_of(request, write=True), "用户删除")
        return JSONResponse({"deleted": True})

    def _file(batch: Batch, path: Path, request: Request):
        # Only files this batch wrote, inside its own folder.
        resolved = path.resolve()
        if not resolved.is_relative_to(batch.outputs.resolve()) or not resolved.is_file():
            raise LimitError(404, "没有这个结果文件。")
        log.info("%s 下载 %s（批次 %s）", _client(request), printable(path.name), short(batch.id))
        return FileResponse(resolved, headers=_attachment(path.name) | _NO_STORE, media_type=_media_type(path))

    routes = [
        Route("/", page),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/batches", create, methods=["POST"]),
        Route("/api/batches/{batch:str}", status, methods=["GET"]),
        Route("/api/batches/{batch:str}", remove, methods=["DELETE"]),
        Route("/api/batches/{batch:str}/files/{index:int}", upload, methods=["PUT"]),
        Route("/api/batches/{batch:str}/start", start, methods=["POST"]),
        Route("/api/batches/{batch:str}/files/{index:int}/outputs/{number:int}", download),
        Route("/api/batches/{batch:str}/summary", summary),
        Route("/api/batches/{batch:str}/zip", archive),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    # Every refusal is a LimitError: its status and its Chinese sentence, as JSON.
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={LimitError: lambda request, error: _error(error)})
    app.state.store, app.state.engine, app.state.config = store, engine, config
    return app


_NO_STORE = {"Cache-Control": "no-store"}


def batch_json(batch: Batch) -> dict:
    """What the page shows of a batch: each file's state, the CLI's verdict lines, findings and downloads."""
    base = f"/api/batches/{batch.id}"
    files = []
    for index in range(batch.expected):
        upload, web = batch.uploads.get(index), batch.records.get(index)
        if web is not None:
            state = "done"
        elif upload is None:
            state = "uploading" if index in batch.reserved else "waiting"
        elif batch.state == "uploading":
            state = "uploaded"
        else:
            state = "processing" if index in batch.processing else "queued"
        item = {"index": index, "name": upload.name if upload else None, "size": upload.size if upload else None, "state": state}
        if web is not None:
            record = web.record
            item.update({
                "exit_code": record.exit_code, "status": record.status, "error": record.error_message,
                "lines": [line for line, _ in record_lines(record, outputs=False)],
                "forms": web.forms,
                "downloads": [{"name": out.name, "kind": "report" if out.suffix.lower() == ".docx" else "workbook",
                               "url": f"{base}/files/{index}/outputs/{number}"} for number, out in enumerate(record.outputs)],
            })
        files.append(item)
    done = batch.state == "done"
    return {"id": batch.id, "state": batch.state, "tally": batch.tally, "files": files,
            "summary_url": f"{base}/summary" if batch.summary else None, "summary_error": batch.summary_error,
            "zip_url": f"{base}/zip" if done else None}


def write_zip(batch: Batch) -> Path:
    """Every output of the batch and its 汇总.xlsx in one .zip, flat (the links in 汇总 are relative:
    they work in the zip). Written into the batch's folder, so it goes with the batch."""
    path = batch.folder / "全部结果.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in sorted(batch.records):
            for out in batch.records[index].record.outputs:
                if out.is_file():
                    archive.write(out, out.name)
        if batch.summary is not None and batch.summary.is_file():
            archive.write(batch.summary, batch.summary.name)
    return path


def _media_type(path: Path) -> str:
    return {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12"}.get(path.suffix.lower(), "application/octet-stream")


def _attachment(name: str) -> dict:
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}


def _host_name(host: str) -> str:
    """``127.0.0.1:8765`` → ``127.0.0.1``; ``[::1]:8765`` → ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _token_ok(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), _cookie_value(token).encode())


def _cookie_value(token: str) -> str:
    """What the cookie holds: a digest of the token (ASCII whatever the token; never the token itself)."""
    import hashlib

    return hashlib.sha256(f"perfxl serve:{token}".encode()).hexdigest()


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, _cookie_value(token), httponly=True, samesite="strict", max_age=12 * 3600)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _error(error: LimitError) -> JSONResponse:
    return JSONResponse({"error": error.message}, status_code=error.status, headers=_NO_STORE)


async def _json(request: Request, limit: int) -> dict:
    import json

    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise LimitError(413, "请求过大。")
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise LimitError(400, "请求格式不正确。") from None
    return value if isinstance(value, dict) else {}


async def _sweep(store: BatchStore, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(store.expire)
        except Exception:  # never let the sweeper die
            logging.getLogger("perfxl.serve").exception("清理过期文件失败")
