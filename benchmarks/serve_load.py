"""Load test of ``perfxl serve`` on loopback: many clients, each uploading a batch of generated forms.

    python benchmarks/serve_load.py                      # 20 clients × 20 forms, 2 workers
    python benchmarks/serve_load.py --clients 5 --forms 10 --out /tmp/load.md

Starts ``perfxl serve`` on 127.0.0.1 (nothing else is ever contacted), and runs the clients at
once, each in a thread: create a batch, upload its forms, start it, poll until done, download
everything as one .zip. Every client's forms are distinct (``benchmarks/generate.py``, seed 0).
Checks that every result is right: each file's verdict lines are the ones ``perfxl fill`` prints
for it, and every file in each .zip is byte for byte what ``perfxl fill`` wrote. Samples the
memory of the server's process tree (the server and its workers, from /proc) throughout.

Reports per form: the time from the batch's start to the form's result being shown (what a
user waits, queueing behind the other 19 clients included), and per batch: upload, processing,
and total time. Writes its section of benchmarks/results.md (between the ``serve-load`` markers;
bench.py keeps it).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

BEGIN, END = "<!-- serve-load -->", "<!-- /serve-load -->"
MEMORY_LIMIT_MB = 500


def tree_rss_mb(pid: int) -> tuple[float, int]:
    """Resident memory of ``pid`` and all its descendants, in MB, and how many they are (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, count, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        count += 1
        todo.extend(children.get(current, []))
    return total / (1024 * 1024), count


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(args: list[str], temp: Path) -> tuple[subprocess.Popen, list[str]]:
    """``perfxl serve --no-browser ARGS`` in a process of its own (temporary files under ``temp``), once it listens.

    Its output keeps being read into the returned list (a full pipe would block the server).
    Also used by tests/test_serve.py and tests/test_serve_browser.py.
    """
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "perfxl", "serve", "--no-browser", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "按 Ctrl-C 停止" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or process.poll() is not None:
        process.kill()
        raise RuntimeError("perfxl serve did not start:\n" + "\n".join(lines))
    return process, lines


def stop_serve(process: subprocess.Popen, how=signal.SIGTERM) -> int:
    """Stop it as a service manager would (SIGTERM) or as Ctrl-C does (SIGINT): its exit code."""
    process.send_signal(how)
    code = process.wait(timeout=60)
    time.sleep(0.2)  # the reader thread takes the last lines
    return code


def client_run(base: str, files: list[Path], result: dict) -> None:
    try:
        _client_run(base, files, result)
    except Exception as error:  # reported as this client's missing result
        result["error"] = repr(error)


def _client_run(base: str, files: list[Path], result: dict) -> None:
    import httpx

    write = {"X-Perfxl": "1"}
    with httpx.Client(base_url=base, timeout=600) as http:
        began = time.monotonic()
        for attempt in range(600):  # the server may be busy: it says so (503), and we try again
            created = http.post("/api/batches", json={"count": len(files)}, headers=write)
            if created.status_code != 503:
                break
            result["busy"] = result.get("busy", 0) + 1
            time.sleep(0.5)
        created.raise_for_status()
        batch = created.json()["id"]
        for index, path in enumerate(files):
            http.put(f"/api/batches/{batch}/files/{index}", params={"name": path.name}, content=path.read_bytes(), headers=write).raise_for_status()
        uploaded = time.monotonic()
        http.post(f"/api/batches/{batch}/start", headers=write).raise_for_status()
        started = time.monotonic()
        seen: dict[int, float] = {}
        while True:
            state = http.get(f"/api/batches/{batch}").json()
            now = time.monotonic()
            for item in state["files"]:
                if item["state"] == "done" and item["index"] not in seen:
                    seen[item["index"]] = now - started
            if state["state"] == "done":
                break
            time.sleep(0.2)
        done = time.monotonic()
        archive = http.get(state["zip_url"])
        archive.raise_for_status()
        result.update(state=state, latencies=list(seen.values()), upload=uploaded - began, processing=done - started,
                      total=time.monotonic() - began, zip=archive.content,
                      gone=http.get(f"/api/batches/{batch}").status_code == 404)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--forms", type=int, default=20, help="forms per client's batch")
    parser.add_argument("--jobs", type=int, default=2, help="the server's worker processes")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="perfxl-load-"))
    total_forms = args.clients * args.forms
    print(f"generating {total_forms} forms …", flush=True)
    paths = generate(work / "forms", total_forms, seed=0, xls_share=0, workers=2)
    print("reference: perfxl fill …", flush=True)
    reference = work / "reference"
    cli = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(work / "forms"), "-o", str(reference), "--jobs", str(args.jobs)],
                         capture_output=True, text=True, encoding="utf-8")
    printed = set((cli.stdout + cli.stderr).splitlines())

    port = free_port()
    server_tmp = work / "server-tmp"
    server_tmp.mkdir()
    server, log = start_serve(["--port", str(port), "-j", str(args.jobs), "--max-batches", str(args.clients)], server_tmp)
    time.sleep(2)  # the workers warm up at start-up
    base = f"http://127.0.0.1:{port}"
    peak, peak_processes, stop = [0.0], [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            value, processes = tree_rss_mb(server.pid)
            peak[0] = max(peak[0], value)
            peak_processes[0] = max(peak_processes[0], processes)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    idle_mb = tree_rss_mb(server.pid)[0]
    results = [dict() for _ in range(args.clients)]
    threads = [threading.Thread(target=client_run, args=(base, paths[i * args.forms:(i + 1) * args.forms], results[i]))
               for i in range(args.clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    stop.set()
    sampler.join()
    code = stop_serve(server)
    leftovers = list(server_tmp.iterdir())

    # Every result right: the verdict lines as perfxl fill prints them, every file as perfxl fill wrote it.
    wrong: list[str] = []  # what is wrong, for the log
    right = 0  # forms whose verdict lines and every output are right
    latencies: list[float] = []
    for number, result in enumerate(results):
        if "state" not in result:
            wrong.append(f"client {number}: no result ({result.get('error', '')})")
            continue
        latencies += result["latencies"]
        with zipfile.ZipFile(BytesIO(result["zip"])) as archive:
            zipped = set(archive.namelist())
            for item in result["state"]["files"]:
                problems = [f"client {number}: {line}" for line in item["lines"] if line not in printed]
                for download in item["downloads"]:
                    if download["name"] not in zipped:
                        problems.append(f"client {number}: {download['name']} missing from the .zip")
                    elif archive.read(download["name"]) != (reference / download["name"]).read_bytes():
                        problems.append(f"client {number}: {download['name']} differs from perfxl fill's")
                right += not problems
                wrong += problems
            if "汇总.xlsx" not in zipped:
                wrong.append(f"client {number}: no 汇总.xlsx in the .zip")
        if not result["gone"]:
            wrong.append(f"client {number}: batch still there after the zip download")
    p50, p95, worst = statistics.median(latencies), percentile(latencies, 0.95), max(latencies)
    batch_totals = [r["total"] for r in results if "total" in r]
    uploads = [r["upload"] for r in results if "upload" in r]
    busy = sum(r.get("busy", 0) for r in results)
    ok = not wrong and right == total_forms and peak[0] < MEMORY_LIMIT_MB and code == 0 and not leftovers

    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines = [
        BEGIN,
        "## perfxl serve: load test on loopback (benchmarks/serve_load.py)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}; perfxl at {commit}; {os.cpu_count()} CPUs (shared with other work: load average after {load})",
        f"- {args.clients} clients at once, each a batch of {args.forms} distinct generated forms (benchmarks/generate.py seed 0; "
        f"{total_forms} forms), server `perfxl serve -j {args.jobs} --max-batches {args.clients}` on 127.0.0.1",
        "",
        "| measure | measured | target | result |",
        "|---|---:|---|---|",
        f"| every form's verdict lines as `perfxl fill` prints them, every output in the .zips byte for byte as `perfxl fill` writes it | "
        f"{right} / {total_forms} forms right | all | {'PASS' if right == total_forms else 'FAIL'} |",
        f"| every batch gone once its .zip was downloaded; 汇总.xlsx in every .zip | "
        f"{'yes' if not any('gone' in w or '汇总' in w for w in wrong) else 'no'} | yes | {'PASS' if not any('still there' in w or '汇总' in w for w in wrong) else 'FAIL'} |",
        f"| peak memory of the server's process tree (server + {args.jobs} workers; at most {peak_processes[0]} processes at once) | "
        f"{peak[0]:.0f} MB (idle {idle_mb:.0f} MB) | < {MEMORY_LIMIT_MB} MB | "
        f"{'PASS' if peak[0] < MEMORY_LIMIT_MB else 'FAIL'} |",
        f"| time per form, from its batch's start to its result on the page: p95 | {p95:.1f} s | reported | |",
        f"| … median / worst | {p50:.1f} s / {worst:.1f} s | | |",
        f"| throughput (all {total_forms} forms, {args.jobs} workers) | {total_forms / wall:.1f} forms/s ({1000 * wall / total_forms:.0f} ms per form) | | |",
        f"| one client's whole batch (create, upload {args.forms}, process, download .zip): median / worst | "
        f"{statistics.median(batch_totals):.1f} s / {max(batch_totals):.1f} s | | |",
        f"| upload of a batch of {args.forms}: median | {statistics.median(uploads):.2f} s | | |",
        f"| refused as busy (503, retried) | {busy} | | |",
        f"| after SIGTERM: exit code, files left in the server's temporary folder | {code}, {len(leftovers)} | 0, 0 | {'PASS' if code == 0 and not leftovers else 'FAIL'} |",
        "",
        f"The p95 is mostly queueing: {total_forms} forms arrive at once for {args.jobs} workers, so the last form of the last batch "
        f"waits for nearly all the others ({wall:.0f} s wall for the whole load).",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    for line in wrong[:20]:
        print("WRONG:", line)
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else "# perfxl benchmarks\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    args.out.write_text(text, encoding="utf-8")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
