"""Finding LibreOffice where installers put it (issue 23, item 10), on fake machines laid out in tmp_path.

A standard Windows install does not put soffice on PATH: perfxl looks at PERFXL_SOFFICE, PATH, the
registry's install path and Program Files. These tests need no LibreOffice.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED

from perfxl.read.office import find_soffice


def _install(folder: Path, name: str = "soffice.exe") -> Path:
    program = folder / "program"
    program.mkdir(parents=True)
    (program / name).write_bytes(b"MZ")
    return program / name


def _windows(environ: dict, registry=()) -> str | None:
    return find_soffice({"PATH": "", **environ}, "win32", lambda: list(registry))


def test_program_files_is_searched_on_windows(tmp_path):
    soffice = _install(tmp_path / "Program Files" / "LibreOffice")
    assert _windows({"ProgramFiles": str(tmp_path / "Program Files")}) == str(soffice)
    assert _windows({}) is None  # nothing installed, nothing on PATH


def test_32_bit_and_older_versioned_folders_are_found(tmp_path):
    old = _install(tmp_path / "Program Files (x86)" / "LibreOffice 5")
    environ = {"ProgramFiles": str(tmp_path / "Program Files"), "ProgramFiles(x86)": str(tmp_path / "Program Files (x86)")}
    assert _windows(environ) == str(old)
    current = _install(tmp_path / "Program Files" / "LibreOffice")
    assert _windows(environ) == str(current)  # the 64-bit install comes first


def test_a_per_user_install_is_found(tmp_path):
    soffice = _install(tmp_path / "AppData" / "Local" / "Programs" / "LibreOffice")
    assert _windows({"LOCALAPPDATA": str(tmp_path / "AppData" / "Local")}) == str(soffice)


def test_the_registry_install_path_is_used(tmp_path):
    """An install on another drive or folder: the installer's UNO\\InstallPath names its program folder."""
    soffice = _install(tmp_path / "D" / "办公软件" / "LibreOffice")
    assert _windows({}, registry=[str(soffice.parent)]) == str(soffice)
    assert _windows({}, registry=[str(tmp_path / "gone")]) is None


def test_perfxl_soffice_names_the_program_or_its_folder_and_comes_first(tmp_path):
    default = _install(tmp_path / "Program Files" / "LibreOffice")
    chosen = _install(tmp_path / "便携版 LibreOffice")
    base = {"ProgramFiles": str(tmp_path / "Program Files")}
    for named in (chosen, chosen.parent, chosen.parent.parent, f'"{chosen}"'):
        assert _windows({**base, "PERFXL_SOFFICE": str(named)}) == str(chosen), named
    # a wrong PERFXL_SOFFICE does not hide an install perfxl can find itself
    assert _windows({**base, "PERFXL_SOFFICE": str(tmp_path / "没有这个文件.exe")}) == str(default)


def test_path_comes_before_the_install_folders(tmp_path):
    _install(tmp_path / "Program Files" / "LibreOffice")
    on_path = tmp_path / "bin"
    on_path.mkdir()
    script = on_path / "soffice"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    found = find_soffice({"PATH": str(on_path), "ProgramFiles": str(tmp_path / "Program Files")}, "linux", lambda: [])
    assert found == str(script)
    assert find_soffice({"PATH": "", "ProgramFiles": str(tmp_path / "Program Files")}, "linux", lambda: []) is None  # no Program Files on Linux


@pytest.mark.skipif(os.name != "posix", reason="the fake soffice is a shell script")
def test_fill_converts_an_xls_with_the_soffice_perfxl_soffice_names(tmp_path, monkeypatch, run_cli):
    """End to end: no soffice on PATH, PERFXL_SOFFICE names one (a fake that 'converts' by copying the
    seed's .xlsx): the .xls keeps its formatting instead of being rebuilt in the standard layout."""
    fake = tmp_path / "LibreOffice" / "program" / "soffice"
    fake.parent.mkdir(parents=True)
    fake.write_text(
        "#!/bin/sh\n"
        'while [ "$#" -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;; *.xls) src="$1";; esac; shift; done\n'
        f'name="${{src##*/}}"; /bin/cp "{SEED}" "$out/${{name%.xls}}.xlsx"\n', encoding="utf-8")  # PATH has no coreutils here
    fake.chmod(0o755)
    xls = Path(shutil.copy(Path(__file__).parent / "data" / "seed.xls", tmp_path / "自评 表.xls"))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    monkeypatch.setenv("PERFXL_SOFFICE", str(fake.parent.parent))
    assert run_cli("fill", xls, "--no-report").exit_code == 1
    notes = [row[0].value for row in openpyxl.load_workbook(tmp_path / "自评 表_自评结果.xlsx")["校验结果"].iter_rows(max_row=6)]
    assert any("已用 LibreOffice 转换" in str(note) for note in notes), notes
    monkeypatch.delenv("PERFXL_SOFFICE")
    assert run_cli("fill", xls, "--no-report").exit_code == 1
    notes = [row[0].value for row in openpyxl.load_workbook(tmp_path / "自评 表_自评结果.xlsx")["校验结果"].iter_rows(max_row=6)]
    assert any("本机未找到 LibreOffice" in str(note) and "PERFXL_SOFFICE" in str(note) for note in notes), notes
