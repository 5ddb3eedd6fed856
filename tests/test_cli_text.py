"""The command line's own words are Chinese: help pages, the help option, usage errors (perfxl/cli/text.py)."""

from __future__ import annotations

import re
import sys

import pytest

from perfxl.cli.text import display_width, wrap

COMMANDS = [[], ["check"], ["fill"], ["report"], ["watch"], ["serve"], ["template"]]
# ASCII words a help page may show: the program, its commands and options, formats and products.
ALLOWED = {"perfxl", "check", "fill", "report", "watch", "serve", "template", "text", "json", "JSON", "Word", "WPS", "Excel",
           "Ctrl", "CPU", "traceback", "xlsx", "xlsm", "xls", "docx", "zip",
           "PERFXL", "TOKEN"}  # the name of an environment variable (PERFXL_TOKEN)


def _english_words(text: str) -> set[str]:
    text = re.sub(r"--?[a-z][a-z-]*", " ", text)  # option names
    return {word for word in re.findall(r"[A-Za-z]{3,}", text)} - ALLOWED


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "perfxl")
def test_help_pages_have_no_english_prose(run_cli, command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    page = result.stdout
    assert page.startswith(f"用法：perfxl {' '.join(command)}".rstrip() + " ")
    assert "显示本帮助并退出。" in page and "选项：" in page
    assert not _english_words(page), _english_words(page)


def test_help_columns_line_up_in_terminal_columns(run_cli):
    page = run_cli("fill", "-h").stdout
    options = page.split("选项：\n", 1)[1].splitlines()
    starts = set()
    for line in options:
        match = re.match(r"(  -\S.*?)\s{2,}(\S)", line)
        if match:
            starts.add(display_width(line[: match.start(2)]))
    assert len(starts) == 1, options  # every description starts at the same column
    assert all(display_width(line) <= 80 for line in page.splitlines()), page
    assert "[必填]" in page and "[≥1]" in page and "<文件夹>" in page


def test_bare_perfxl_prints_the_help(run_cli):
    result = run_cli()
    assert result.exit_code == 2  # as click: a usage error that shows the help
    assert "用法：perfxl [选项] 命令 [参数]..." in result.stderr and "命令：" in result.stderr


@pytest.mark.parametrize("args, expected", [
    (["fill"], "错误：缺少参数“自评表文件”。"),
    (["fill", "--job", "2", "表.xlsx"], "错误：没有 --job 这个选项，是否想用 --jobs？"),
    (["fill", "-j", "0", "表.xlsx"], "错误：选项 --jobs/-j 的值无效：0 超出允许的范围（≥1）。"),
    (["fill", "-j", "abc", "表.xlsx"], "错误：选项 --jobs/-j 的值无效：“abc”不是整数。"),
    (["watch", "收件箱", "--interval", "0"], "超出允许的范围（≥0.05）"),
    (["chek", "表.xlsx"], "错误：没有 chek 这个命令，是否想用 check？"),
    (["template", "多余"], "错误：多余的参数：多余。"),
    (["fill", "--strict=3", "表.xlsx"], "错误：选项 --strict 后面不能写值。"),
    (["fill", "表.xlsx", "-o"], "错误：选项 -o 后面要写一个值。"),
])
def test_usage_errors_are_chinese(run_cli, args, expected):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert not re.search(r"Error|Usage|Try |Invalid|Missing|No such|Got unexpected", result.stderr), result.stderr
    if args[0] == "fill" and args[-1] != "-o" and "--strict=3" not in args:  # the parser gives those two no context
        assert "用法：perfxl fill [选项] {自评表...}" in result.stderr
        assert "输入 perfxl fill -h 查看帮助。" in result.stderr


def test_wrap_breaks_chinese_anywhere_but_keeps_words_and_punctuation():
    lines = wrap("同时处理的文件数（默认：CPU 核数，文件不足 16 份时逐个处理）。", 20)
    assert all(display_width(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == "同时处理的文件数（默认：CPU核数，文件不足16份时逐个处理）。"
    assert not any(line[0] in "，。）：" for line in lines)
    assert any("CPU" in line for line in lines) and any("16" in line for line in lines)
    assert wrap("", 10) == [""]
    assert display_width("汇总.xlsx") == 9


def test_ctrl_c_says_so_in_chinese():
    import typer
    from typer.testing import CliRunner

    from perfxl.cli.text import ChineseCommand, ChineseGroup

    app = typer.Typer(cls=ChineseGroup)

    @app.command("fill", cls=ChineseCommand)
    def interrupted() -> None:
        raise KeyboardInterrupt

    @app.command("abort", cls=ChineseCommand)
    def aborted() -> None:
        raise typer.Abort()

    @app.command("bug", cls=ChineseCommand)
    def bug() -> None:
        raise ValueError("a bug")

    result = CliRunner().invoke(app, ["fill"])
    assert result.exit_code == 130 and result.stderr.strip() == "已中断。"
    result = CliRunner().invoke(app, ["abort"])
    assert result.exit_code == 1 and result.stderr.strip() == "已中断。"
    with pytest.raises(ValueError, match="a bug"):  # anything else passes through untouched, to main()
        CliRunner().invoke(app, ["bug"], catch_exceptions=False)


def test_a_paragraph_split_over_source_lines_is_joined_without_spaces_in_chinese():
    from perfxl.cli.text import HelpFormatter

    formatter = HelpFormatter(width=60)
    formatter.write_text("监视文件夹：每放入一份自评表，\n自动处理。Ctrl-C\nstops it.")
    assert formatter.getvalue() == "监视文件夹：每放入一份自评表，自动处理。Ctrl-C stops it.\n"


def test_a_gbk_console_counts_ambiguous_characters_double(monkeypatch):
    """cmd.exe with the GBK code page draws “ ” ≥ ； two columns wide: columns must still line up there."""
    import io

    from perfxl.cli import text as clitext

    assert display_width("“≥”", "WF") == 3 and display_width("“≥”", "WFA") == 6
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="cp936"))
    assert clitext._wide_classes() == "WFA"
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    assert clitext._wide_classes() == "WF"

    monkeypatch.setattr(clitext, "_WIDE", "WFA")
    formatter = clitext.HelpFormatter(width=40)
    formatter.write_dl([("“甲”", "说明一"), ("-x", "说明二")])
    lines = formatter.getvalue().splitlines()
    assert [display_width(line[: line.index("说")], "WFA") for line in lines] == [8, 8]
