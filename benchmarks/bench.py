"""perfxl benchmark harness (issue 8): measures, prints a Markdown table with the targets, PASS/MISS.

    python benchmarks/bench.py                      # default: N = 100 and 1000, --jobs 1 and 2 (~15 min on 2 cores)
    python benchmarks/bench.py --quick              # smoke run: N = 20 (~1–2 min)
    python benchmarks/bench.py --n 100 --jobs 1 --no-office --out /tmp/results.md

Sections:
  1. per-stage timings per form, in this process after a warm-up: open+read, check, write
     workbook, write report; and the floors for the same files (openpyxl load + save of the input;
     python-docx default document + the report's paragraphs and tables + save), with ratios;
  2. the CLI over folders of N generated forms (``python -m perfxl fill DIR -o OUT --jobs J`` and
     ``python -m perfxl check DIR --format json``): wall time, forms/s, ms/form, CPU time and the
     peak RSS of the whole process tree (sum of VmRSS of the process and its descendants, sampled
     from /proc every ~20 ms);
  3. cold starts (fresh processes, median of 5): ``perfxl --help`` and ``perfxl fill <sample>``;
  4. LibreOffice headless recalculation of the same forms (``soffice --convert-to xlsx``): one file
     per call, and 20 files in one call.

Nothing here is part of the test run; it needs Linux (/proc). Forms come from benchmarks/generate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

SEED_SAMPLE = ROOT / "samples" / "2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx"
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results


@dataclass
class Row:
    section: str
    measure: str
    value: str
    target: str = ""
    status: str = ""  # PASS | MISS | "" (informational)
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # extra Markdown blocks (per-stage table, CLI table)

    def add(self, section: str, measure: str, value: str, target: str = "", ok: bool | None = None, note: str = "") -> None:
        status = "" if ok is None else ("PASS" if ok else "MISS")
        self.rows.append(Row(section, measure, value, target, status, note))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mb(byte_count: float) -> str:
    return f"{byte_count / 2**20:.0f} MB"


# ---------------------------------------------------------------- process-tree sampling (/proc)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def _rss_and_name(pid: int) -> tuple[int, str]:
    """VmRSS in bytes and the process name; (0, "") once the process is gone."""
    rss, name = 0, ""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("Name:"):
                    name = line.split(None, 1)[1].strip()
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    return rss, name


class TreeSampler(threading.Thread):
    """Samples the summed VmRSS of ``pid`` and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0  # whole tree
        self.peak_python = 0  # the tree without LibreOffice (soffice.bin, oosplash)
        self.max_processes = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self) -> None:
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(_children(pid))
        total = python = 0
        for pid in tree:
            rss, name = _rss_and_name(pid)
            total += rss
            if not name.startswith(("soffice", "oosplash")):
                python += rss
        self.peak = max(self.peak, total)
        self.peak_python = max(self.peak_python, python)
        self.max_processes = max(self.max_processes, len(tree))
        self.samples += 1

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the process and the children it waited for
    exit_code: int
    peak_rss: int
    peak_rss_python: int
    processes: int
    stderr_tail: str = ""  # last line of stderr, shown when a run went wrong
    timed_out: bool = False


RUN_TIMEOUT = 900.0  # seconds; a hung run is killed (process tree) and reported as TIMEOUT


def _kill_tree(pid: int) -> None:
    import signal

    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    for member in reversed(tree):  # only our own child and its descendants
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass


def run_measured(command: list[str], stdout_path: Path | None = None, cwd: Path | None = None) -> Run:
    """Run ``command``, sampling its process tree; wall clock from spawn to exit; killed after RUN_TIMEOUT."""
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    stderr = tempfile.TemporaryFile()
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(RUN_TIMEOUT, _kill_tree, (proc.pid,))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timed_out = not timer.is_alive() and wall >= RUN_TIMEOUT
        timer.cancel()
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        lines = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
    finally:
        stderr.close()
        if stdout_path:
            stdout.close()
    tail = lines[-1].strip()[:160] if lines else ""
    if timed_out:
        log(f"  killed after {RUN_TIMEOUT:.0f} s: {' '.join(command[-6:])}")
    return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode, sampler.peak, sampler.peak_python, sampler.max_processes, tail, timed_out)


def wall_of(command: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env, check=False)
    return time.perf_counter() - start


# ---------------------------------------------------------------- section 1: stages in-process


def report_shape(docx_path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """The paragraphs and tables (rows of cell texts) of a written report."""
    import docx

    document = docx.Document(str(docx_path))
    paragraphs = [p.text for p in document.paragraphs]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return paragraphs, tables


def docx_floor(paragraphs: list[str], tables: list[list[list[str]]], target: Path) -> None:
    """python-docx: default document, the same paragraphs and tables, save."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for rows in tables:
        width = max((len(r) for r in rows), default=1)
        table = document.add_table(rows=len(rows), cols=width)
        for row, texts in zip(table.rows, rows):
            for cell, text in zip(row.cells, texts):
                cell.text = text
    document.save(str(target))


def xlsx_floor(source: Path, target: Path) -> None:
    import openpyxl

    openpyxl.load_workbook(source).save(target)


def stage_timings(paths: list[Path], scratch: Path, results: Results) -> dict:
    """Section 1. Returns the medians used by later sections."""
    from perfxl.read.reader import read_forms
    from perfxl.report.document import write_report
    from perfxl.checks.rules import check
    from perfxl.read.workbook import open_book
    from perfxl.write.writer import write_filled_workbook

    scratch.mkdir(parents=True, exist_ok=True)
    stages = ("open+read", "check", "write workbook", "write report", "floor workbook", "floor report")
    times: dict[str, dict[str, list[float]]] = {"xlsx": {s: [] for s in stages}, "xls": {s: [] for s in stages}}
    sizes: list[tuple[int, int]] = []

    def one(path: Path, record: bool) -> None:
        kind = "xls" if path.suffix.lower() == ".xls" else "xlsx"
        out_wb, out_doc = scratch / "out.xlsx", scratch / "out.docx"
        t0 = time.perf_counter()
        book = open_book(path, styles=False)  # as batch.fill_path: the workbook is written by patching the input
        forms = read_forms(path, book)
        t1 = time.perf_counter()
        checked = [check(form) for form in forms]
        t2 = time.perf_counter()
        write_filled_workbook(book, checked, out_wb)
        t3 = time.perf_counter()
        for result in checked:
            write_report(result, out_doc)
        t4 = time.perf_counter()
        paragraphs, tables = report_shape(out_doc)  # not timed: the size the floor must match
        t5 = time.perf_counter()
        if kind == "xlsx":
            xlsx_floor(path, scratch / "floor.xlsx")
        t6 = time.perf_counter()
        docx_floor(paragraphs, tables, scratch / "floor.docx")
        t7 = time.perf_counter()
        if record:
            spent = times[kind]
            spent["open+read"].append(t1 - t0)
            spent["check"].append(t2 - t1)
            spent["write workbook"].append(t3 - t2)
            spent["write report"].append(t4 - t3)
            if kind == "xlsx":
                spent["floor workbook"].append(t6 - t5)
            spent["floor report"].append(t7 - t6)
            sizes.append((len(paragraphs), sum(len(rows) for rows in tables)))

    warm = [p for p in paths if p.suffix == ".xlsx"][:3]
    log(f"section 1: warm-up on {len(warm)} forms, then {len(paths)} forms in-process")
    for path in warm:
        one(path, record=False)
    for index, path in enumerate(paths):
        one(path, record=True)
        if (index + 1) % 25 == 0:
            log(f"  {index + 1}/{len(paths)}")

    x = times["xlsx"]
    med = {s: statistics.median(v) if v else float("nan") for s, v in x.items()}
    mean = {s: statistics.fmean(v) if v else float("nan") for s, v in x.items()}
    table = [
        f"### 1. Per-stage timings per form (in-process, after warm-up; {len(x['check'])} .xlsx forms"
        f"{', ' + str(len(times['xls']['check'])) + ' .xls' if times['xls']['check'] else ''})",
        "",
        f"Report size: median {statistics.median(p for p, _ in sizes):.0f} paragraphs and {statistics.median(r for _, r in sizes):.0f} table rows.",
        "perfxl's writer reuses the workbook loaded by open+read, while the workbook floor includes its own load:",
        "compare the per-stage ratios with that in mind; the fill line (all four stages vs both floors) is like for like.",
        "",
        "| stage | median | mean | floor (median) | ratio to floor (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    table.append(f"| open + read | {ms(med['open+read'])} | {ms(mean['open+read'])} | | |")
    table.append(f"| check | {ms(med['check'])} | {ms(mean['check'])} | | |")
    table.append(f"| write workbook | {ms(med['write workbook'])} | {ms(mean['write workbook'])} | {ms(med['floor workbook'])} (openpyxl load + save) | {med['write workbook'] / med['floor workbook']:.2f}× |")
    table.append(f"| write report | {ms(med['write report'])} | {ms(mean['write report'])} | {ms(med['floor report'])} (python-docx) | {med['write report'] / med['floor report']:.2f}× |")
    per_form = [sum(x[s][i] for s in ("open+read", "check", "write workbook", "write report")) for i in range(len(x["check"]))]
    floors = [a + b for a, b in zip(x["floor workbook"], x["floor report"])]
    fill_med, floor_med = statistics.median(per_form), statistics.median(floors)
    table.append(f"| **fill (all four)** | **{ms(fill_med)}** | {ms(statistics.fmean(per_form))} | **{ms(floor_med)}** (both floors) | **{fill_med / floor_med:.2f}×** |")
    if times["xls"]["check"]:
        xs = times["xls"]
        table.append(
            f"| .xls input (median of {len(xs['check'])}): open+read / check / write workbook / write report | "
            f"{ms(statistics.median(xs['open+read']))} / {ms(statistics.median(xs['check']))} / "
            f"{ms(statistics.median(xs['write workbook']))} / {ms(statistics.median(xs['write report']))} | | | |"
        )
    results.details.append("\n".join(table))
    results.add("1 stages", "fill per form in-process (read+check+workbook+report), median .xlsx", ms(fill_med),
                f"≤ 0.8 × floor ({ms(0.8 * floor_med)})", fill_med <= 0.8 * floor_med, f"{fill_med / floor_med:.2f}× floor")
    results.add("1 stages", "write workbook / openpyxl load+save", f"{med['write workbook'] / med['floor workbook']:.2f}×", "", None,
                f"{ms(med['write workbook'])} vs {ms(med['floor workbook'])}")
    results.add("1 stages", "write report / python-docx floor", f"{med['write report'] / med['floor report']:.2f}×", "", None,
                f"{ms(med['write report'])} vs {ms(med['floor report'])}")
    results.add("1 stages", "open+read / check per form, median", f"{ms(med['open+read'])} / {ms(med['check'])}")
    if times["xls"]["write workbook"]:
        results.add("1 stages", "write workbook of an .xls input (LibreOffice conversion inside), median",
                    ms(statistics.median(times["xls"]["write workbook"])))
    return {"floor": floor_med, "fill": fill_med}


# ---------------------------------------------------------------- section 2: CLI over folders


def cli_supports(command: str, option: str) -> bool:
    out = subprocess.run([PYTHON, "-m", "perfxl", command, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    return option in out.stdout


def cli_runs(folders: dict[int, Path], jobs: list[int], scratch: Path, floor: float, results: Results) -> None:
    check_jobs = cli_supports("check", "--jobs")
    lines = [
        "### 2. CLI over folders (subprocess; wall from spawn to exit; RSS = peak of summed VmRSS over the process tree)",
        "",
        "| command | N | jobs | wall | forms/s | ms/form | CPU (user+sys) | peak RSS tree | (without soffice) | max procs | exit | outputs ok |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    measured: dict[tuple[str, int, int], Run] = {}
    for n, folder in sorted(folders.items()):
        for j in jobs:
            out = scratch / f"fill-{n}-{j}"
            shutil.rmtree(out, ignore_errors=True)
            log(f"section 2: perfxl fill N={n} --jobs {j}")
            run = run_measured([PYTHON, "-m", "perfxl", "fill", str(folder), "-o", str(out), "--jobs", str(j)], scratch / "fill.stdout")
            workbooks = len(list(out.glob("*_自评结果.xlsx")))
            reports = len(list(out.glob("*_自评报告.docx")))
            ok = workbooks == n and reports == n and (out / "汇总.xlsx").is_file()
            measured[("fill", n, j)] = run
            verdict = f"{'yes' if ok else 'NO'} ({workbooks} xlsx, {reports} docx)"
            lines.append(_cli_line("fill", n, j, run, verdict if ok and run.exit_code != 2 else f"{verdict}; stderr: {run.stderr_tail}"))
            shutil.rmtree(out, ignore_errors=True)
        for j in (jobs if check_jobs else [0]):
            log(f"section 2: perfxl check N={n}" + (f" --jobs {j}" if j else ""))
            command = [PYTHON, "-m", "perfxl", "check", str(folder), "--format", "json"] + (["--jobs", str(j)] if j else [])
            stdout = scratch / "check.json"
            run = run_measured(command, stdout)
            try:
                documents = json.loads(stdout.read_text(encoding="utf-8"))
                ok = f"yes ({len(documents)} documents)" if len(documents) == n else f"NO ({len(documents)} documents)"
            except (ValueError, OSError) as exc:
                ok = f"NO ({exc.__class__.__name__})"
            measured[("check", n, j)] = run
            if not ok.startswith("yes") or run.exit_code == 2:
                ok += f"; stderr: {run.stderr_tail}"
            lines.append(_cli_line("check --format json", n, j or "—", run, ok))
    results.details.append("\n".join(lines))

    big, small = max(folders), min(folders)
    fill_big = measured.get(("fill", big, 1)) or measured[("fill", big, jobs[0])]
    results.add("2 CLI", f"perfxl fill per form, N={big} --jobs {1 if ('fill', big, 1) in measured else jobs[0]} (CLI, all in)",
                ms(fill_big.wall / big), f"≤ 1.0 × floor ({ms(floor)})", fill_big.wall / big <= floor, f"{fill_big.wall / big / floor:.2f}× floor")
    checks = [(key, run) for key, run in measured.items() if key[0] == "check" and key[1] == big and run.exit_code in (0, 1)]
    checks = checks or [(key, run) for key, run in measured.items() if key[0] == "check" and key[1] == big]
    best_key, best_check = min(checks, key=lambda item: item[1].wall)
    results.add("2 CLI", f"perfxl check per form, N={big}" + (f" (best: --jobs {best_key[2]})" if best_key[2] else " (no --jobs option)"),
                ms(best_check.wall / big), "≤ 10 ms", best_check.wall / big <= 0.010, f"{big / best_check.wall:.1f} forms/s")
    failed = [key for key, run in measured.items() if run.exit_code not in (0, 1)]
    results.add("2 CLI", "every CLI run finished (exit 0/1) with all its outputs", "yes" if not failed else f"{len(failed)} failed", "all", not failed,
                ", ".join(f"{c} N={n} jobs={j or '—'}" for c, n, j in failed))
    if ("fill", big, 1) in measured and ("fill", big, 2) in measured:
        ratio = measured[("fill", big, 2)].wall / measured[("fill", big, 1)].wall
        broken = ("fill", big, 2) in failed or ("fill", big, 1) in failed
        results.add("2 CLI", f"fill N={big}: --jobs 2 wall / --jobs 1 wall", f"{ratio:.2f}×" if not broken else "run failed", "≤ 0.6×",
                    ratio <= 0.6 and not broken, f"{measured[('fill', big, 2)].wall:.1f} s vs {measured[('fill', big, 1)].wall:.1f} s")
    peak = max(measured.items(), key=lambda item: item[1].peak_rss)
    results.add("2 CLI", "peak RSS of the process tree, worst run", mb(peak[1].peak_rss), "< 300 MB", peak[1].peak_rss < 300 * 2**20,
                f"{peak[0][0]} N={peak[0][1]} jobs={peak[0][2] or '—'}; without soffice {mb(peak[1].peak_rss_python)}")
    peak_py = max(measured.items(), key=lambda item: item[1].peak_rss_python)
    results.add("2 CLI", "peak RSS without LibreOffice (soffice.bin converting .xls), worst run", mb(peak_py[1].peak_rss_python), "< 300 MB",
                peak_py[1].peak_rss_python < 300 * 2**20, f"{peak_py[0][0]} N={peak_py[0][1]} jobs={peak_py[0][2] or '—'}")
    if big != small:
        growth = []
        for (command, n, j), run in measured.items():
            if run.exit_code == 2 or measured.get((command, small, j), run).exit_code == 2:
                continue  # a broken run says nothing about memory
            if n == big and (command, small, j) in measured:
                growth.append((run.peak_rss / measured[(command, small, j)].peak_rss, command, j))
        worst = max(growth, default=(float("nan"), "-", 0))
        results.add("2 CLI", f"peak RSS growth N={small} → N={big}, worst run", f"{worst[0]:.2f}×", "≤ 1.2× (not growing with N)",
                    worst[0] <= 1.2, f"{worst[1]} jobs={worst[2] or '—'}")


def _cli_line(command: str, n: int, jobs, run: Run, ok: str) -> str:
    return (f"| {command} | {n} | {jobs} | {run.wall:.1f} s | {n / run.wall:.1f} | {run.wall / n * 1000:.0f} | {run.cpu:.1f} s | "
            f"{mb(run.peak_rss)} | {mb(run.peak_rss_python)} | {run.processes} | {'TIMEOUT' if run.timed_out else run.exit_code} | {ok} |")


# ---------------------------------------------------------------- section 3: cold starts


def perfxl_command() -> list[str]:
    """The console script next to this interpreter (not a pyenv shim), else python -m perfxl."""
    script = Path(PYTHON).parent / "perfxl"
    return [str(script)] if script.is_file() else [PYTHON, "-m", "perfxl"]


def cold_starts(scratch: Path, repeats: int, results: Results) -> dict:
    perfxl = perfxl_command()
    out = scratch / "cold"
    cases = [
        ("python -c pass (interpreter alone)", [PYTHON, "-c", "pass"]),
        ("python -c 'import openpyxl, pandas, docx, jinja2' (libraries alone)", [PYTHON, "-c", "import openpyxl, pandas, docx, jinja2"]),
        (f"{Path(perfxl[0]).name} --help", [*perfxl, "--help"]),
        (f"{Path(perfxl[0]).name} fill <seed sample> -o tmp", [*perfxl, "fill", str(SEED_SAMPLE), "-o", str(out)]),
    ]
    medians = {}
    lines = [f"### 3. Cold starts (fresh process each time; median of {repeats} after one untimed run)", "",
             "| command | median | min | max |", "|---|---:|---:|---:|"]
    for name, command in cases:
        log(f"section 3: {name}")
        wall_of(command)
        walls = []
        for _ in range(repeats):
            shutil.rmtree(out, ignore_errors=True)
            walls.append(wall_of(command))
        medians[name] = statistics.median(walls)
        lines.append(f"| `{' '.join(Path(c).name if c.startswith('/') else c for c in command)}` | {ms(medians[name])} | {ms(min(walls))} | {ms(max(walls))} |")
    shutil.rmtree(out, ignore_errors=True)
    results.details.append("\n".join(lines))
    help_time, fill_time = medians[cases[2][0]], medians[cases[3][0]]
    results.add("3 cold", "`perfxl --help`", ms(help_time), "≤ 250 ms", help_time <= 0.25,
                f"interpreter alone {ms(medians[cases[0][0]])}")
    results.add("3 cold", "`perfxl fill` on the seed sample", ms(fill_time), "≤ 1.0 s", fill_time <= 1.0,
                f"importing openpyxl+pandas+docx+jinja2 alone {ms(medians[cases[1][0]])}")
    return {"fill": fill_time}


# ---------------------------------------------------------------- section 4: LibreOffice


def libreoffice(paths: list[Path], scratch: Path, batch: int, repeats: int, perfxl_cold: float | None, results: Results) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        results.add("4 LibreOffice", "soffice", "not installed")
        return
    profile = scratch / "lo-profile"
    env = {**os.environ, "HOME": str(profile)}

    def convert(files: list[Path], outdir: Path) -> float:
        shutil.rmtree(outdir, ignore_errors=True)
        return wall_of([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, files)], env=env)

    xlsx = [p for p in paths if p.suffix == ".xlsx"]
    log("section 4: LibreOffice, first run (creates its profile)")
    first = convert(xlsx[:1], scratch / "lo-out")
    singles = []
    for i in range(repeats):
        log(f"section 4: LibreOffice, one file ({i + 1}/{repeats})")
        singles.append(convert(xlsx[i + 1:i + 2], scratch / "lo-out"))
    log(f"section 4: LibreOffice, {batch} files in one call")
    many = statistics.median(convert(xlsx[:batch], scratch / "lo-out") for _ in range(2))
    converted = len(list((scratch / "lo-out").glob("*.xlsx")))
    single = statistics.median(singles)
    results.details.append("\n".join([
        "### 4. LibreOffice headless recalculation (`soffice --headless --convert-to xlsx`, private profile)", "",
        "| case | wall | per file |", "|---|---:|---:|",
        f"| first call, fresh profile, 1 file | {first:.2f} s | {first:.2f} s |",
        f"| one file per call (median of {repeats}) | {single:.2f} s | {single:.2f} s |",
        f"| {batch} files in one call (median of 2; {converted} converted) | {many:.2f} s | {ms(many / batch)} |",
    ]))
    results.add("4 LibreOffice", "soffice one file, cold process (profile exists)", f"{single:.2f} s", "", None, f"first call with a fresh profile {first:.2f} s")
    results.add("4 LibreOffice", f"soffice {batch} files in one call, per file", ms(many / batch))
    if perfxl_cold is not None:
        results.add("4 LibreOffice", "`perfxl fill` sample cold vs soffice one file cold", f"{perfxl_cold:.2f} s vs {single:.2f} s",
                    "perfxl faster", perfxl_cold < single)


# ---------------------------------------------------------------- main


def code_state() -> tuple[str, str]:
    """(last commit touching perfxl/, fingerprint of uncommitted changes under perfxl/ or "")."""
    import hashlib

    try:
        # The last commit that touched perfxl/ (commits to benchmarks/ or docs/ do not count).
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", "perfxl"], capture_output=True, text=True).stdout.strip()
        diff = subprocess.run(["git", "-C", str(ROOT), "diff", "HEAD", "--", "perfxl"], capture_output=True).stdout
    except OSError:
        return "?", ""
    return commit, hashlib.sha1(diff).hexdigest()[:8] if diff else ""


def machine_lines(n_sizes: list[int], jobs: list[int], seed: int, xls_share: float, load_before: str, elapsed: float,
                  state_before: tuple[str, str]) -> list[str]:
    import perfxl

    commit, dirty = code_state()
    changed = ""
    if (commit, dirty) != state_before:
        changed = (f"; **perfxl changed during the run** (started at {state_before[0]}"
                   f"{'+' + state_before[1] if state_before[1] else ''}): results mix code versions, run again")
    soffice = shutil.which("soffice")
    office = subprocess.run([soffice, "--version"], capture_output=True, text=True).stdout.strip() if soffice else "not installed"
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}; perfxl {perfxl.__version__} at {commit}"
        f"{' + uncommitted changes in perfxl/ (diff ' + dirty + ')' if dirty else ''}{changed}",
        f"- machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), Python {platform.python_version()}, {platform.platform()}; {office}",
        f"- load average before: {load_before}; after: {_loadavg()}; total benchmark time {elapsed / 60:.1f} min",
        f"- forms: benchmarks/generate.py seed {seed}, N = {', '.join(map(str, n_sizes))}, .xls share {xls_share:.0%}; jobs {', '.join(map(str, jobs))}",
    ]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def render(results: Results, header: list[str]) -> str:
    lines = ["# perfxl benchmarks", "", *header, "", "## Summary", "",
             "| section | measure | measured | target | result | note |", "|---|---|---:|---|---|---|"]
    for row in results.rows:
        lines.append(f"| {row.section} | {row.measure} | {row.value} | {row.target} | {row.status} | {row.note} |")
    lines += ["", "## Details", ""]
    for block in results.details:
        lines += [block, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global RUN_TIMEOUT
    parser = argparse.ArgumentParser(description="perfxl benchmarks (issue 8). Prints a Markdown table and writes it to --out.")
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000], help="folder sizes for the CLI runs (default: 100 1000)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values for the CLI runs (default: 1 2)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 20 only, fewer repeats")
    parser.add_argument("--no-office", action="store_true", help="skip the LibreOffice comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md", help="where to write the Markdown results")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xls-share", type=float, default=0.02,
                        help="share of .xls forms (default 0.02: each costs a LibreOffice start in `fill`)")
    parser.add_argument("--stage-forms", type=int, default=100, help="forms timed in section 1 (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the generated forms")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT, help="seconds before a CLI run is killed as hung (default 900)")
    args = parser.parse_args(argv)
    RUN_TIMEOUT = args.timeout

    sizes = [20] if args.quick else sorted(set(args.n))
    repeats = 3 if args.quick else 5
    load_before = _loadavg()
    state_before = code_state()
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="perfxl-bench-"))
    results = Results()
    try:
        biggest = max(sizes)
        log(f"generating {biggest} forms in {scratch}")
        t0 = time.perf_counter()
        all_paths = generate(scratch / f"forms-{biggest}", biggest, seed=args.seed, xls_share=args.xls_share, workers=len(os.sched_getaffinity(0)))
        log(f"  done in {time.perf_counter() - t0:.0f} s ({sum(p.suffix == '.xls' for p in all_paths)} .xls)")
        folders = {biggest: scratch / f"forms-{biggest}"}
        for n in sizes:
            if n != biggest:  # form i is the same whatever N: the first n forms, hard-linked
                folder = scratch / f"forms-{n}"
                folder.mkdir()
                for path in all_paths[:n]:
                    os.link(path, folder / path.name)
                folders[n] = folder

        stage_paths = all_paths[: min(args.stage_forms if not args.quick else 20, len(all_paths))]
        medians = stage_timings(stage_paths, scratch / "stages", results)
        cli_runs(folders, sorted(set(args.jobs)), scratch, medians["floor"], results)
        cold = cold_starts(scratch, repeats, results)
        if not args.no_office:
            batch = 10 if args.quick else 20
            libreoffice(all_paths, scratch, batch, 2 if args.quick else 3, cold["fill"], results)
    finally:
        if args.keep:
            log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    text = render(results, machine_lines(sizes, sorted(set(args.jobs)), args.seed, args.xls_share, load_before,
                                        time.perf_counter() - started, state_before))
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if "<!-- serve-load -->" in previous and "<!-- /serve-load -->" in previous:  # serve_load.py's section stays
        text += "\n\n" + previous[previous.index("<!-- serve-load -->"):previous.index("<!-- /serve-load -->") + len("<!-- /serve-load -->")]
    args.out.write_text(text + "\n", encoding="utf-8")
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
