"""Windows, where the users are (issue 23, item 11), tested from here: the drag-and-drop launcher's
arguments through cmd's and the C runtime's quoting rules, the launcher end to end, and (once, with
network: PERFXL_NETWORK_TESTS=1) the dependency set resolving to win_amd64 wheels."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLEAN, ROOT, SEED

from perfxl.cli.drop import LAUNCHER, launcher_bytes, main, write_launcher

BAT = ROOT / "templates" / LAUNCHER
#: Names a 财政局 receives: spaces, Chinese, ASCII and full-width brackets, a dot in a folder name, a
#: drive's root (the one path Explorer gives with a trailing backslash; it holds no space, so it is not quoted).
DROPPED = [r"C:\Users\张 三\Desktop\2023年度 城区道路维修（第二批）.xlsx", r"D:\收件\乙(1).xlsx", r"D:\收件\v1.2 汇总前",
           r"C:\Program Files\表.xlsx", "E:\\"]


def explorer_arguments(paths: list[str]) -> str:
    """The text Explorer puts where %* goes when files are dropped on a .bat: each path, quoted when it holds a space."""
    return " ".join(f'"{path}"' if " " in path else path for path in paths)


def cmd_splits(line: str) -> bool:
    """Whether cmd would act on a metacharacter outside quotes (and so split the command or redirect)."""
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "&|<>^":
            return True
    return False


def crt_argv(line: str) -> list[str]:
    """The argv the Microsoft C runtime (python.exe, py.exe) makes of a command line (CommandLineToArgvW rules)."""
    args, current, quoted, i, started = [], [], False, 0, False
    while i < len(line):
        char = line[i]
        if char == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            if j < len(line) and line[j] == '"':
                current.append("\\" * ((j - i) // 2))
                if (j - i) % 2:
                    current.append('"')
                    i = j + 1
                else:
                    i = j
            else:
                current.append("\\" * (j - i))
                i = j
            started = True
            continue
        if char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


def test_launcher_is_plain_ascii_with_crlf_and_passes_the_paths_outside_blocks():
    data = launcher_bytes()
    assert data == BAT.read_bytes()
    text = data.decode("ascii")  # cmd reads a .bat in the console's code page: nothing but ASCII inside
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF only (labels and goto misbehave otherwise)
    commands = [line for line in text.split("\r\n") if line and not line.lower().startswith("rem ")]
    assert not any(ch in line for line in commands for ch in "()")  # a ")" in a dropped name would end a block
    runs = [line for line in commands if "%*" in line]
    assert runs == ["py -3 -m perfxl.cli.drop %*", "python -m perfxl.cli.drop %*"]
    assert "%" not in "".join(line for line in text.split("\r\n") if line.lower().startswith("rem "))


@pytest.mark.parametrize("line", ["py -3 -m perfxl.cli.drop %*", "python -m perfxl.cli.drop %*"])
def test_dropped_paths_reach_perfxl_whole(line):
    """Spaces, Chinese, brackets, a trailing backslash-free folder: Explorer's quoting, cmd, then the C
    runtime give perfxl.cli.drop exactly the dropped paths."""
    command = line.replace("%*", explorer_arguments(DROPPED))
    assert not cmd_splits(command), command
    assert crt_argv(command)[line.split().index("%*"):] == DROPPED


def test_the_quoting_check_can_fail():
    """A name with & and no space is not quoted by Explorer: cmd would split there (README says so)."""
    assert cmd_splits("py -3 -m perfxl.cli.drop " + explorer_arguments([r"D:\收件\甲&乙.xlsx"]))
    assert crt_argv(r'py "a b\\" c') == ["py", "a b\\", "c"]


def test_drop_fills_what_was_dropped_and_waits_for_enter(tmp_path):
    """The launcher end to end (as python -m perfxl.cli.drop runs it): a file and a folder with spaces and
    Chinese in their names; results beside each, a 汇总 for the folder, then it waits for Enter."""
    folder = tmp_path / "收到的 自评表（第一批）"
    folder.mkdir()
    shutil.copy(SEED, folder / "益阳 智慧大脑(1).xlsx")
    single = Path(shutil.copy(CLEAN, tmp_path / "老旧小区 改造.xlsx"))
    done = subprocess.run([sys.executable, "-m", "perfxl.cli.drop", str(single), str(folder)], input="\n", capture_output=True,
                          text=True, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8"), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr  # the seed's errors
    assert (tmp_path / "老旧小区 改造_自评结果.xlsx").is_file() and (tmp_path / "老旧小区 改造_自评报告.docx").is_file()
    assert (folder / "益阳 智慧大脑(1)_自评结果.xlsx").is_file()
    assert "处理完毕：有自评表存在错误" in done.stdout and done.stdout.rstrip().endswith("按回车键关闭本窗口……")


def test_drop_without_paths_says_how_to_use_it(capsys, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "")
    assert main([]) == 2
    assert "拖到“perfxl 处理自评表”图标上" in capsys.readouterr().out


def test_launcher_is_written_where_asked_and_never_over_another_file(tmp_path, capsys):
    assert main(["--launcher", str(tmp_path)]) == 0
    assert (tmp_path / LAUNCHER).read_bytes() == launcher_bytes()
    assert write_launcher(tmp_path) == tmp_path / LAUNCHER  # the same content again: fine
    own = "rem 我自己的脚本\r\n".encode("gbk")
    (tmp_path / LAUNCHER).write_bytes(own)
    assert main(["--launcher", str(tmp_path)]) == 2 and "已存在且内容不同" in capsys.readouterr().err
    assert (tmp_path / LAUNCHER).read_bytes() == own


def test_readme_windows_commands_are_powershell_safe():
    """The Windows section: no bash-only syntax (&&, export, $(…), single-quoted extras), py -m pip, python -m perfxl."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## 在 Windows 上使用"):]
    section = section[:section.index("\n## ", 3)]
    blocks = re.findall(r"```powershell\n(.*?)```", section, re.S)
    assert blocks
    commands = [line for block in blocks for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for command in commands:
        assert "&&" not in command and not command.startswith(("export ", "source ", ". ")) and "$(" not in command, command
    assert any(c.startswith("py -m pip install") for c in commands)
    assert any(c.startswith("python -m perfxl ") for c in commands)
    assert LAUNCHER in section and "perfxl-drop" in section and "PERFXL_SOFFICE" in section


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("PERFXL_NETWORK_TESTS") != "1", reason="needs the network: PERFXL_NETWORK_TESTS=1")
def test_dependencies_resolve_to_windows_wheels(tmp_path):
    """Every dependency (and theirs) has a wheel for 64-bit Windows: `pip install` there needs no compiler."""
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--platform", "win_amd64", "--only-binary=:all:",
                           "--python-version", "3.11", "--dest", str(tmp_path), *dependencies],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = [path.name for path in tmp_path.iterdir()]
    assert all(name.endswith(".whl") for name in wheels)
    assert any(name.startswith("pandas-") and "win_amd64" in name for name in wheels)
    assert any(name.startswith("pypinyin-") for name in wheels)
