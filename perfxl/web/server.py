"""Starting ``perfxl serve``: where it listens, the token, uvicorn, the browser, a clean stop."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
import sys
import threading

from .app import ServeConfig, create_app
from .jobs import ServeLimits

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int, exact: bool) -> socket.socket:
    """A listening socket; when ``port`` is the default and taken (a second ``perfxl serve``), the next free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in ([port] if exact else [port + offset for offset in range(20)]):
        sock = socket.socket(family, socket.SOCK_STREAM)
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), candidate))
            sock.listen(128)
            sock.set_inheritable(True)
            return sock
        except OSError:  # taken by another program, or not an address of this computer
            sock.close()
    where = f"端口 {port}" if exact else f"端口 {port}–{port + 19}"
    raise OSError(f"{where} 已被占用，或 {host} 不是本机的地址。请用 --port 指定另一个端口，或检查 --host。")


def serve(host: str, port: int | None, token: str | None, open_browser: bool, limits: ServeLimits, workers: int, echo) -> None:
    """Run the server until Ctrl-C or SIGTERM; every upload and result is deleted on the way out."""
    import uvicorn

    loopback = is_loopback(host)
    if not loopback:
        echo(f"警告：--host {host} 让其他电脑也能访问本服务（上传自评表、下载结果）。请只在单位内网中使用，不要开放到互联网。", True)
        if not token:
            token = secrets.token_urlsafe(12)
            echo(f"已生成访问口令：{token}（每次启动都不同；也可用 --token 指定）", True)
    sock = bind(host, port or DEFAULT_PORT, exact=port is not None)
    bound = sock.getsockname()[1]
    shown = "127.0.0.1" if loopback else (host if host not in ("0.0.0.0", "::") else _this_machine())
    url = f"http://{shown}:{bound}/"
    _configure_logging()
    config = ServeConfig(limits=limits, token=token, loopback=loopback, workers=workers, warm=True)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5))
    echo(f"perfxl 网页已启动：{url}")
    if token:
        from urllib.parse import quote

        echo(f"  访问口令：{token}　可直接打开：{url}?token={quote(token, safe='')}")
    echo(f"  每个文件不超过 {limits.max_file_bytes // (1024 * 1024)} MB，每批最多 {limits.max_files} 个文件，同时最多处理 {limits.max_jobs} 批；"
         f"结果下载后删除，最长保留 {limits.ttl / 60:g} 分钟。按 Ctrl-C 停止。")
    if open_browser and loopback:  # a server for the intranet has nobody in front of it
        threading.Thread(target=_open_when_ready, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn passes the signal on once it has shut down: already stopped
        pass
    finally:
        sock.close()
    echo("已停止服务；上传的文件和结果已全部删除。")


def _open_when_ready(server, url: str) -> None:
    import time
    import webbrowser

    for _ in range(200):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)


def _this_machine() -> str:
    """This computer's name, as other computers of the intranet usually reach it (no lookup is made)."""
    return socket.gethostname() or "本机IP地址"


def _configure_logging() -> None:
    """Who uploaded what file name when: one line each on stderr (never file contents, never whole ids)."""
    logger = logging.getLogger("perfxl.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", datefmt="%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
