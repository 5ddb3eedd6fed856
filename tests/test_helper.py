"""The helper process of perfxl/helper.py: the same outputs as doing the work here, and a safe fallback.

A cold ``perfxl fill`` checks its forms in a helper process (pandas loads there while this
process loads openpyxl and the report stack). Whatever the helper does, the user must get the
same workbook, report, findings and exit code as without it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, SEED, WITH_INFO

from perfxl import helper as helper_module
from perfxl.batch import FillOptions, fill_path
from perfxl.helper import Helper, InProcess, start
from perfxl.model import FormError

TWO_CORES = helper_module.usable_cores() >= 2


@pytest.fixture(scope="module")
def helper():
    stage = Helper(report=True)
    assert stage.alive, "the helper process did not start"
    yield stage
    stage.close()


def _two_forms(tmp_path: Path) -> Path:
    wb = openpyxl.load_workbook(CLEAN)
    second = wb.copy_worksheet(wb["自评表"])
    second.title = "项目二"
    second["B2"] = "第二个项目"
    second["H20"] = 90  # a total that does not add up
    path = tmp_path / "两个项目.xlsx"
    wb.save(path)
    return path


def _workbook(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {
        (ws.title, cell.coordinate): (cell.value, cell.comment.text if cell.comment else None, cell.fill.fgColor.rgb)
        for ws in wb.worksheets for row in ws.iter_rows() for cell in row
    }


def _parts(path: Path) -> dict[str, bytes]:
    """The report's parts, but for its timestamps."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def _findings(outcome) -> list:
    return [[(f.code, f.severity, f.cell, f.message, f.expected, f.actual) for f in r.findings] for r in outcome.results]


@pytest.mark.parametrize("source", [SEED, CLEAN, WITH_INFO, "two"], ids=["seed", "clean", "with-info", "two-forms"])
def test_helper_gives_the_same_outputs_as_this_process(tmp_path, helper, source):
    form = _two_forms(tmp_path) if source == "two" else Path(shutil.copy(source, tmp_path / Path(source).name))
    here = fill_path(form, FillOptions(output_dir=tmp_path / "here"), stage=InProcess())
    there = fill_path(form, FillOptions(output_dir=tmp_path / "there"), stage=helper)
    assert helper.alive  # the helper did the checking: it did not fall back
    assert there.error is None and here.error is None
    assert there.exit_code == here.exit_code
    assert _findings(there) == _findings(here) and _findings(here)[0] is not None
    assert [r.computed for r in there.results] == [r.computed for r in here.results]
    assert [p.name for p in there.outputs] == [p.name for p in here.outputs]
    assert len(there.outputs) == 1 + len(here.results)  # the workbook and one report per form
    for ours, theirs in zip(here.outputs, there.outputs):
        if ours.suffix == ".docx":
            assert _parts(theirs) == _parts(ours)
        else:
            assert _workbook(theirs) == _workbook(ours)


def test_strict_and_no_report_are_kept(tmp_path, helper):
    form = Path(shutil.copy(SEED, tmp_path / SEED.name))
    strict = fill_path(form, FillOptions(output_dir=tmp_path / "strict", strict=True), stage=helper)
    assert [p.suffix for p in strict.outputs] == [".xlsx"]  # the seed has errors: no report
    bare = fill_path(form, FillOptions(output_dir=tmp_path / "bare", report=False), stage=helper)
    assert [p.suffix for p in bare.outputs] == [".xlsx"]
    assert helper.alive


def test_an_error_raised_in_the_helper_is_raised_here(helper):
    """Raised again by running the check here: the same error, with the traceback of the code that failed."""
    with pytest.raises(AttributeError) as raised:
        helper.check(["不是一张自评表"])
    assert any(frame.filename.endswith(os.path.join("perfxl", "rules.py")) for frame in traceback.extract_tb(raised.tb))
    assert helper.alive  # a failing form does not end the helper
    assert helper.check([]) == []


def test_a_broken_template_gives_the_same_message(tmp_path, helper):
    form = Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))
    template = tmp_path / "模板.docx"
    template.write_bytes(b"not a docx")
    options = FillOptions(output_dir=tmp_path / "out", template=template)
    here = fill_path(form, options, stage=InProcess())
    with Helper(report=True, template=template) as stage:
        there = fill_path(form, options, stage=stage)
    assert there.error is not None and here.error is not None
    assert (there.error.code, there.error.message) == (here.error.code, here.error.message)
    assert "模板.docx" in there.error.message


def test_form_errors_cross_processes_whole():
    error = pickle.loads(pickle.dumps(FormError("template-error", "报告模板有误", "/tmp/模板.docx")))
    assert (error.code, error.message, error.path, str(error)) == ("template-error", "报告模板有误", Path("/tmp/模板.docx"), "报告模板有误")


def test_a_helper_that_dies_is_replaced_by_this_process(tmp_path):
    form = Path(shutil.copy(SEED, tmp_path / SEED.name))
    expected = fill_path(form, FillOptions(output_dir=tmp_path / "here", report=False))
    stage = Helper(report=False)
    stage.process.kill()
    stage.process.wait()
    outcome = fill_path(form, FillOptions(output_dir=tmp_path / "out", report=False), stage=stage)
    assert not stage.alive
    assert _findings(outcome) == _findings(expected)
    stage.close()  # closing a dead helper is quiet


def test_a_helper_that_cannot_start_is_never_used(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "没有这个程序"))
    stage = Helper()
    assert not stage.alive
    form = Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))
    assert fill_path(form, FillOptions(output_dir=tmp_path / "out"), stage=stage).exit_code == 0


@pytest.mark.skipif(os.name == "nt" or shutil.which("true") is None, reason="needs a POSIX `true`")
def test_a_helper_that_is_not_python_falls_back(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", shutil.which("true"))  # starts, reads nothing, exits
    stage = Helper()
    form = Path(shutil.copy(SEED, tmp_path / SEED.name))
    outcome = fill_path(form, FillOptions(output_dir=tmp_path / "out"), stage=stage)
    assert outcome.exit_code == 1 and len(outcome.outputs) == 2
    assert not stage.alive


def test_the_helper_imports_nothing_from_the_current_folder(tmp_path):
    """perfxl run in a folder of received files must not run a pickle.py (or re.py …) lying there."""
    (tmp_path / "pickle.py").write_text("open('RAN', 'w').close()\n", encoding="utf-8")
    form = Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))
    script = (
        "from pathlib import Path\n"
        "from perfxl.helper import Helper\n"
        "from perfxl.reader import read_forms\n"
        "helper = Helper(report=False)\n"
        f"results = helper.check(read_forms(Path({str(form)!r})))\n"
        "print(helper.alive, len(results))\n"
        "helper.close()\n"
    )
    # -I here too: this test's own process must not pick up the pickle.py either.
    run = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["True", "1"], run.stdout + run.stderr
    assert not (tmp_path / "RAN").exists()


def test_no_helper_in_a_warm_process(monkeypatch):
    assert "pandas" in sys.modules  # the test process has checked forms already
    assert type(start(True, None)) is InProcess
    monkeypatch.setattr(helper_module, "usable_cores", lambda: 1)
    monkeypatch.delitem(sys.modules, "pandas")
    assert type(start(True, None)) is InProcess


def _fresh_run(args: list[str]) -> tuple[str, str]:
    """Run perfxl's app in a new Python; (what it printed, 'pandas-loaded docxtpl-loaded exit-code')."""
    script = (
        "import sys\n"
        "from perfxl.cli import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "print('pandas' in sys.modules, 'docxtpl' in sys.modules, code)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8", timeout=120)
    lines = run.stdout.splitlines() or [run.stderr]
    return run.stdout + run.stderr, lines[-1]


@pytest.mark.skipif(not TWO_CORES, reason="the helper is only used on two or more cores")
@pytest.mark.parametrize("command, outputs", [("fill", ["_自评报告.docx", "_自评结果.xlsx"]), ("report", ["_自评报告.docx"])])
def test_a_cold_run_checks_in_the_helper_and_never_loads_pandas(tmp_path, command, outputs):
    """A real cold `perfxl fill` / `perfxl report`: this process writes the outputs without ever importing pandas."""
    form = Path(shutil.copy(SEED, tmp_path / SEED.name))
    printed, modules = _fresh_run([command, str(form), "-o", str(tmp_path / "out")])
    assert modules == "False True 1", printed
    assert "总分 102（待定）" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [form.stem + suffix for suffix in outputs]


@pytest.mark.skipif(not TWO_CORES, reason="the helper is only used on two or more cores")
def test_jobs_1_keeps_everything_in_one_process(tmp_path):
    form = Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))
    printed, modules = _fresh_run(["fill", str(form), "-o", str(tmp_path / "out"), "--jobs", "1"])
    assert modules == "True True 0", printed


def test_the_console_script_flushes_its_output_before_leaving(tmp_path):
    """main() leaves with os._exit (no interpreter teardown): everything printed must still arrive."""
    form = Path(shutil.copy(SEED, tmp_path / SEED.name))
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    run = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(form), "-o", str(tmp_path / "out")],
                         capture_output=True, env=env, timeout=120)
    assert run.returncode == 1
    out = run.stdout.decode("gbk")
    assert out.count("已写出：") == 2 and "总分 102（待定）" in out
    run = subprocess.run([sys.executable, "-m", "perfxl", "fill", str(tmp_path / "没有.xlsx")], capture_output=True, timeout=120)
    assert run.returncode == 2 and "找不到文件" in run.stderr.decode("utf-8")


def test_no_console_at_all_still_gives_the_right_exit_code(tmp_path):
    """Under pythonw (a scheduled task, a VBA Shell call) sys.stdout and sys.stderr are None."""
    form = Path(shutil.copy(CLEAN, tmp_path / CLEAN.name))
    script = (
        "import sys\n"
        "sys.stdout = sys.stderr = None\n"
        f"sys.argv = ['perfxl', 'fill', {str(form)!r}, '-o', {str(tmp_path / 'out')!r}]\n"
        "from perfxl.cli import main\n"
        "main()\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert len(list((tmp_path / "out").iterdir())) == 2
