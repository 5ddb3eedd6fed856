"""The ``perfxl`` command line: arguments, printing and exit codes only; the work is elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from perfxl import __version__
from perfxl.cli.text import ChineseCommand, ChineseGroup
from perfxl.systext import printable
from perfxl.show.verdict import record_lines, tally_line

APP_HELP = """perfxl：项目支出绩效自评表的校验、重算与自评报告生成工具。

示例：

  perfxl fill 自评表.xlsx              校验、重算，写出结果工作簿和 Word 报告
  perfxl fill 收到的自评表/ -o 结果/   处理整个文件夹，另写 汇总.xlsx
  perfxl check 自评表.xlsx             只校验，不写文件
  perfxl check 自评表.xlsx -f json     输出 JSON（供其他程序使用）
  perfxl check --list-rules            列出全部校验规则
  perfxl template -o 空白自评表.xlsx   生成标准空白自评表

退出码：0 = 未发现错误；1 = 发现错误（输出仍会写出）；2 = 有文件无法处理或用法错误。
"""

app = typer.Typer(
    cls=ChineseGroup,
    help=APP_HELP,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # users' data must not spill into screenshots
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


class State:
    debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"perfxl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[Optional[bool], typer.Option("--version", "-V", help="显示版本号并退出。", callback=_version, is_eager=True)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整的技术信息（traceback）。")] = False,
) -> None:
    State.debug = debug


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


FormsArg = Annotated[list[str], typer.Argument(help="自评表文件（.xlsx/.xlsm/.xls）或文件夹，可写多个，支持 *.xlsx 通配。", metavar="自评表...", show_default=False)]


@app.command("check", cls=ChineseCommand)
def check_command(
    forms: Annotated[Optional[list[str]], typer.Argument(help="自评表文件（.xlsx/.xlsm/.xls）或文件夹，可写多个，支持 *.xlsx 通配。", metavar="自评表...", show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", metavar="<text|json>", help="输出格式：text（中文说明）或 json。")] = "text",
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="文件夹包含子文件夹。")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="<份数>", help="同时校验的文件数（默认：CPU 核数，文件不足 64 份时逐个处理）。", min=1, show_default=False)] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="列出全部校验规则（代码、严重程度、说明）后退出。")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="逐行列出每个单元格被读作什么（表头、资金行、指标的哪一列、脚注……）和没有读取的内容，再给出校验结果。")] = False,
) -> None:
    """只读取并校验自评表，不写任何文件。

    示例：perfxl check 自评表.xlsx ；perfxl check 收到的自评表/ --format json ；perfxl check 自评表.xlsx --explain
    """
    if list_rules:
        from perfxl.checks.catalogue import catalogue_document, catalogue_text

        if output_format == "json":
            import json

            typer.echo(json.dumps(catalogue_document(), ensure_ascii=False, indent=2))
        else:
            typer.echo(catalogue_text())
        raise typer.Exit(0)
    if output_format not in ("text", "json"):
        _fail(f"--format 只能是 text 或 json，收到“{output_format}”。")
    if not forms:
        _fail("请指定要校验的自评表文件或文件夹，例如：perfxl check 自评表.xlsx")
    import time
    from functools import partial

    from perfxl.batch.plan import plan_batch
    from perfxl.batch.pool import default_jobs, run_batch
    from perfxl.pipeline import FillOptions
    from perfxl.show.render import as_checked_file, checked_file, json_element, warm_check

    started = time.monotonic()
    plan = plan_batch(forms, FillOptions(workbook=False, report=False), recursive=recursive)
    _say_skipped(plan, "check")
    if not plan.jobs:
        _fail(_no_forms_message(forms, recursive, "check", plan.skipped))
    if explain:  # for a person who doubts a reading: in-process, file by file
        from perfxl.pipeline import check_path
        from perfxl.show.render import explain_text

        outcomes = [check_path(job.path) for job in plan.jobs]
        for outcome in outcomes:
            typer.echo(explain_text(outcome) + "\n", err=outcome.error is not None)
        raise typer.Exit(max((outcome.exit_code for outcome in outcomes), default=0))
    # A check costs a few milliseconds: a worker pays off only for large folders.
    workers = jobs or min(default_jobs(), max(1, len(plan.jobs) // 32))
    # JSON is always one list (one element per form, whatever the number of files), streamed element
    # by element so memory stays flat.
    pending: dict[int, object] = {}
    printed = 0

    def emit(checked) -> None:
        nonlocal printed
        if output_format == "text":
            typer.echo(checked.text + "\n", err=checked.error_message is not None)
            return
        if checked.error_message is not None:
            typer.echo(f"错误：{printable(checked.error_message)}", err=True)
        for document in checked.documents:
            typer.echo(("[\n" if printed == 0 else ",\n") + json_element(document), nl=False)
            printed += 1

    next_index = 0

    def on_record(index, record) -> None:
        nonlocal next_index
        checked = pending[index] = as_checked_file(record)
        while next_index in pending:  # in input order, whatever order the workers finish in
            emit(pending.pop(next_index))
            next_index += 1
        _stop_on_internal_error(checked.error_code, checked.error_message, checked.error_detail)

    process = partial(checked_file, output_format=output_format)
    # Checking is light: one pool for the whole folder, warmed with the reading modules only.
    codes = run_batch(plan.jobs, workers, on_record, process=process, keep=False, worker_tasks=0,
                      warm=warm_check)
    if output_format == "json":
        typer.echo("[]" if printed == 0 else "\n]")
    elif plan.summary_dir is not None:  # a folder or several files: the same closing line as fill
        from perfxl.batch.records import STATUSES

        typer.echo(tally_line([STATUSES[code] for code in codes], time.monotonic() - started))
    raise typer.Exit(max(codes, default=0))


def _no_forms_message(forms: list[str], recursive: bool, command: str, skipped: list = ()) -> str:
    """"Nothing found", naming where perfxl looked, and pointing at --recursive when sub-folders hold forms."""
    from perfxl.batch.inputs import expand_inputs

    places = [Path(item) for item in forms]
    if len(places) == 1:
        where = f"文件夹 {printable(places[0])}" if places[0].is_dir() else f"{printable(places[0])}"
    else:
        where = f"指定的位置（{'、'.join(printable(place) for place in places)}）"
    message = f"{where} 中没有找到 .xlsx/.xlsm/.xls 自评表文件"
    if skipped:
        message = f"{where} 中没有收到的自评表，只有 perfxl 写出的文件（见上一行）"
    folders = [place for place in places if place.is_dir()]
    nested = len(expand_inputs(folders, recursive=True)) if folders and not recursive else 0
    if nested:
        message += f"；其子文件夹中有 {nested} 份，加 --recursive（-r）可一并处理，例如：perfxl {command} {printable(folders[0])} --recursive"
    return message + "。"


def _say_skipped(plan, command: str) -> None:
    """One line (stderr) naming perfxl's own files that the inputs held and the run passed over."""
    if plan.skipped:
        from perfxl.batch.inputs import skipped_line

        typer.echo(skipped_line(plan.skipped, command), err=True)


def _guarded(function, *args):
    """Run a per-file step; with --debug let the traceback through."""
    outcome = function(*args)
    if outcome.error is not None:
        _stop_on_internal_error(outcome.error.code, outcome.error.message, outcome.error.detail)
    return outcome


def _stop_on_internal_error(code: str | None, message: str | None, detail: str) -> None:
    """With --debug, stop at a bug and show where it happened: the traceback of the file's worker."""
    if State.debug and code == "internal-error":
        raise RuntimeError(f"{message}\n\n{detail}".rstrip())


@app.command("fill", cls=ChineseCommand, short_help="校验并重算自评表，写出自评结果工作簿和 Word 自评报告。")
def fill_command(
    forms: FormsArg,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", metavar="<文件夹>", help="输出文件夹（默认：与输入文件相同的文件夹）。")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="只写自评结果工作簿，不写 Word 自评报告。")] = False,
    template: Annotated[Optional[Path], typer.Option("--template", "-t", metavar="<模板.docx>", help="自定义 Word 报告模板（.docx）。")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="自评表有错误时不生成 Word 报告。")] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="文件夹包含子文件夹。")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="<份数>", help="同时处理的文件数（默认：CPU 核数，文件不足 16 份时逐个处理；1 = 全部在本进程内逐个处理）。", min=1, show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在且不是 perfxl 写出的（例如您自己的同名文件）时，仍然覆盖。")] = False,
) -> None:
    """校验并重算自评表，写出“<原名>_自评结果.xlsx”和“<原名>_自评报告.docx”。

    文件夹或多个文件另写 汇总.xlsx（每份自评表一行，含指向输出文件的链接）。
    对自评结果再运行 fill 时写出带编号的新文件（表_自评结果.xlsx → 表_自评结果(2).xlsx），不会覆盖正在读取的文件；
    不会覆盖本次的任何输入文件，也不会覆盖不是 perfxl 写出的同名文件（除非加 --force）。

    示例：perfxl fill 自评表.xlsx ；perfxl fill 收到的自评表/ -o 结果/ --jobs 4
    """
    _fill(forms, output_dir, no_report, template, strict, recursive, jobs, force)


def _fill(forms, output_dir, no_report, template, strict, recursive, jobs, force) -> None:
    from perfxl.batch.plan import BACKGROUND_XLS_JOBS, fill_record, plan_batch, preconvert_xls
    from perfxl.batch.pool import default_jobs, run_batch
    from perfxl.cli.progress import BatchProgress
    from perfxl.pipeline import FillOptions, warm_fill, worst_exit_code

    options = _fill_options(FillOptions, output_dir, template, report=not no_report, strict=strict, force=force)
    plan = plan_batch(forms, options, recursive=recursive)
    _say_skipped(plan, "fill")
    if not plan.jobs:
        _fail(_no_forms_message(forms, recursive, "fill", plan.skipped))
    # Starting a worker costs about as much as a few forms: small batches run in this process.
    workers = jobs or min(default_jobs(), max(1, len(plan.jobs) // 8))
    if workers == 1:
        # Every stage imported before the first file, not between files: CPython (3.11) remembers a
        # Ctrl-C that lands while an import runs exec() (dataclasses do) and ends the process by
        # SIGINT at exit, after perfxl has stopped cleanly and said so.
        warm_fill()
    pending: dict[int, object] = {}
    printed = 0

    with BatchProgress(len(plan.jobs)) as progress:

        def on_record(index, record) -> None:
            # Results are printed in input order, whatever order the workers finish in.
            nonlocal printed
            progress.advance(printable(record.label), record.status)
            pending[index] = record
            while printed in pending:
                for line, to_stderr in record_lines(pending.pop(printed), strict_report=options.report and options.strict):
                    progress.emit(line, sys.stderr if to_stderr else sys.stdout)
                printed += 1
            _stop_on_internal_error(record.error_code, record.error_message, record.error_detail)

        background = workers == 1 and len(plan.jobs) <= BACKGROUND_XLS_JOBS
        with preconvert_xls(plan.jobs, background=background) as jobs_to_run:
            records = run_batch(jobs_to_run, workers, on_record, fill_record)
    code = worst_exit_code(records)
    if plan.summary_dir is not None:
        from perfxl.pipeline import SUMMARY_NAME
        from perfxl.model import FormError
        from perfxl.batch.summary import write_summary

        typer.echo(tally_line([record.status for record in records], progress.elapsed))
        try:
            clash = plan.clash(plan.summary_dir / SUMMARY_NAME)
            if clash is not None:
                raise FormError("output-is-input", f"汇总表未写出：{SUMMARY_NAME} 是本次的输入文件之一，为免覆盖，未写出。请用 -o 指定另一个输出文件夹。")
            typer.echo(f"汇总表：{printable(write_summary(records, plan.summary_dir, force=options.force))}")
        except FormError as error:
            typer.echo(f"错误：{printable(error.message)}", err=True)
            code = 2
    raise typer.Exit(code)


@app.command("report", cls=ChineseCommand)
def report_command(
    form: Annotated[Path, typer.Argument(help="自评表文件（.xlsx/.xlsm/.xls）。", metavar="自评表", show_default=False)],
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", metavar="<文件夹>", help="输出文件夹（默认：与输入文件相同的文件夹）。")] = None,
    template: Annotated[Optional[Path], typer.Option("--template", "-t", metavar="<模板.docx>", help="自定义 Word 报告模板（.docx）。")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="自评表有错误时不生成报告。")] = False,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在且不是 perfxl 写出的（例如您自己的同名文件）时，仍然覆盖。")] = False,
) -> None:
    """只生成 Word 绩效自评报告“<原名>_自评报告.docx”。

    示例：perfxl report 自评表.xlsx --template 我单位报告模板.docx
    """
    from perfxl.pipeline import fill_path, FillOptions

    options = _fill_options(FillOptions, output_dir, template, report=True, strict=strict, workbook=False, force=force)
    outcome = _guarded(fill_path, form, options)
    _print_fill(outcome, strict_report=strict)
    raise typer.Exit(outcome.exit_code)


def _fill_options(factory, output_dir, template, **flags):
    if template is not None and not template.is_file():
        _fail(f"找不到报告模板：{template}。请检查路径，或去掉 --template 使用内置模板。")
    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        _fail(f"输出位置 {output_dir} 是一个文件，不是文件夹。")
    return factory(output_dir=output_dir, template=template, **flags)


def _print_fill(outcome, strict_report: bool = False) -> None:
    from perfxl.batch.records import FileRecord

    for line, to_stderr in record_lines(FileRecord.from_outcome(outcome), strict_report=strict_report):
        typer.echo(line, err=to_stderr)


@app.command("watch", cls=ChineseCommand, short_help="监视文件夹：自动处理放入的每一份自评表，并随时更新 汇总.xlsx。")
def watch_command(
    folder: Annotated[Path, typer.Argument(help="要监视的文件夹（放入自评表的“收件箱”）。", metavar="文件夹", show_default=False)],
    no_report: Annotated[bool, typer.Option("--no-report", help="只写自评结果工作簿，不写 Word 自评报告。")] = False,
    template: Annotated[Optional[Path], typer.Option("--template", "-t", metavar="<模板.docx>", help="自定义 Word 报告模板（.docx）。")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="自评表有错误时不生成 Word 报告。")] = False,
    interval: Annotated[float, typer.Option("--interval", metavar="<秒>", help="检查文件夹的间隔（秒）。", min=0.05)] = 1.0,
    force: Annotated[bool, typer.Option("--force", help="输出文件夹中已有不是 perfxl 写出的同名文件时，仍然覆盖。")] = False,
    max_seconds: Annotated[Optional[float], typer.Option("--max-seconds", hidden=True)] = None,
) -> None:
    """监视文件夹：每放入（或修改）一份自评表，待其完整写入后自动处理，结果写入“文件夹/输出/”，并随时更新 汇总.xlsx。按 Ctrl-C 停止。

    示例：perfxl watch 收到的自评表/
    """
    import time

    from perfxl.pipeline import FillOptions
    from perfxl.batch.watch import OUTPUT_FOLDER, Watcher

    if folder.is_file():
        _fail(f"perfxl watch 需要一个文件夹（放入自评表的“收件箱”），而 {printable(folder)} 是一个文件。"
              f"请指定文件夹，例如：perfxl watch {printable(folder.parent)} ；只处理这一个文件请用：perfxl fill {printable(folder)}")
    if not folder.is_dir():
        _fail(f"找不到文件夹：{printable(folder)}。请指定一个已存在的文件夹。")
    options = _fill_options(FillOptions, None, template, report=not no_report, strict=strict, force=force)

    def say(line: str, to_stderr: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        typer.echo(f"[{stamp}] {line}" if not line.startswith(" ") else line, err=to_stderr)

    def on_record(record) -> None:
        for line, to_stderr in record_lines(record, strict_report=options.report and options.strict):
            say(line, to_stderr)

    def on_current(record) -> None:
        # An earlier run made its outputs from this very content: nothing was written now.
        from dataclasses import replace

        for line, to_stderr in record_lines(replace(record, outputs=[]), strict_report=False):
            say(line, to_stderr)
        say("  结果已是最新（上次监视时生成），未重写。")

    def on_waiting(path) -> None:
        say(f"{printable(path.name)}：暂时无法读取，正在等待写入完成（最长 {watcher.give_up_seconds:g} 秒）……")

    def on_summary(target, error) -> None:
        if error is not None:
            typer.echo(f"警告：{printable(error.message)}（问题解除后自动重试）", err=True)
        else:
            typer.echo(f"  已更新汇总表：{printable(target)}")

    watcher = Watcher(folder, options, stable_seconds=max(interval, 0.5), on_record=on_record, on_summary=on_summary,
                      on_waiting=on_waiting, on_current=on_current)
    typer.echo(f"正在监视 {printable(folder)}（结果写入 {printable(folder / OUTPUT_FOLDER)}），按 Ctrl-C 停止。")
    try:
        watcher.run(poll_interval=interval, max_seconds=max_seconds)
    except KeyboardInterrupt:
        pass
    current = f"；另有 {watcher.current} 份的结果已是最新，未重写" if watcher.current else ""
    typer.echo(f"已停止监视，本次共处理 {watcher.processed} 份自评表{current}。")
    raise typer.Exit(0)


@app.command("serve", cls=ChineseCommand, short_help="打开网页：拖入自评表，查看结论和问题清单，下载结果和汇总表。")
def serve_command(
    host: Annotated[str, typer.Option("--host", metavar="<地址>", help="监听地址。默认 127.0.0.1（只有本机能访问）；在单位内网供多人使用时写 0.0.0.0（需要访问口令）。")] = "127.0.0.1",
    port: Annotated[Optional[int], typer.Option("--port", "-p", metavar="<端口>", help="端口（默认 8765，被占用时自动换下一个）。", min=1, max=65535, show_default=False)] = None,
    token: Annotated[Optional[str], typer.Option("--token", metavar="<口令>", envvar="PERFXL_TOKEN", help="访问口令（也可用环境变量 PERFXL_TOKEN）；--host 不是本机时必需，不写则自动生成并显示。", show_default=False)] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="不自动打开浏览器（--host 不是本机时本来就不打开）。")] = False,
    max_file_mb: Annotated[int, typer.Option("--max-file-mb", metavar="<MB>", help="单个文件的大小上限。", min=1)] = 50,
    max_files: Annotated[int, typer.Option("--max-files", metavar="<个数>", help="每批最多文件数。", min=1)] = 200,
    max_batches: Annotated[int, typer.Option("--max-batches", metavar="<批数>", help="同时处理的批数上限（超过时请用户稍后再试）。", min=1)] = 8,
    keep_minutes: Annotated[float, typer.Option("--keep-minutes", metavar="<分钟>", help="结果在服务器上最长保留的时间（下载全部结果后立即删除）。", min=0.1)] = 60,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="<进程数>", help="处理文件的工作进程数（默认：CPU 核数）。", min=1, show_default=False)] = None,
) -> None:
    """打开 perfxl 的网页（默认只有本机能访问）：拖入一个或多个自评表，查看与 perfxl fill 相同的结论和问题清单，
    下载每份的自评结果、自评报告、全部结果（.zip）和汇总表。按 Ctrl-C 停止；停止时删除全部上传的文件和结果。

    示例：perfxl serve ；perfxl serve --host 0.0.0.0 --port 8080 --token 口令
    """
    from perfxl.batch.pool import default_jobs
    from perfxl.web.jobs import ServeLimits
    from perfxl.web.server import serve

    limits = ServeLimits(max_file_bytes=max_file_mb * 1024 * 1024, max_files=max_files, max_jobs=max_batches, ttl=keep_minutes * 60)

    def echo(line: str, to_stderr: bool = False) -> None:
        typer.echo(line, err=to_stderr)

    try:
        serve(host, port, token, not no_browser, limits, jobs or default_jobs(), echo)
    except OSError as error:
        _fail(str(error))


@app.command("template", cls=ChineseCommand)
def template_command(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="<文件>", help="空白自评表的保存位置。", show_default=False)] = None,
    department: Annotated[bool, typer.Option("--department", help="生成部门整体支出绩效自评表（默认：项目支出绩效自评表）。")] = False,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时仍然覆盖（其中填写的内容将丢失）。")] = False,
) -> None:
    """生成标准的空白项目支出绩效自评表（--department：部门整体支出绩效自评表），含“报告信息”工作表，供填写。

    默认文件名：项目支出绩效自评表（空白）.xlsx / 部门整体支出绩效自评表（空白）.xlsx。
    文件已存在时不覆盖（它可能是已填写的自评表），除非加 --force。

    示例：perfxl template -o 2024年度自评表.xlsx ；perfxl template --department
    """
    from perfxl.templates import blank_form_bytes
    from perfxl.atomic import write_bytes_atomic

    output = output or Path(f"{'部门整体支出' if department else '项目支出'}绩效自评表（空白）.xlsx")
    if output.suffix.lower() != ".xlsx":
        output = output.with_suffix(".xlsx")
    from perfxl.model import FormError

    blank = blank_form_bytes(department)
    if output.is_dir():
        _fail(f"{output} 是一个文件夹。请用 -o 指定空白自评表的文件名，例如：perfxl template -o 2024年度自评表.xlsx")
    if output.exists() and not force:
        try:
            same = output.read_bytes() == blank
        except OSError:
            same = False
        if not same:
            _fail(f"{output} 已存在，为免覆盖（它可能是已填写的自评表），未写出空白表。请用 -o 换一个文件名；确需覆盖时加 --force。")
        typer.echo(f"空白自评表已存在（内容相同）：{output}")
        return
    try:
        write_bytes_atomic(output, blank)
    except FormError as error:
        _fail(error.message)
    typer.echo(f"已生成空白自评表：{output}")


def _configure_streams() -> None:
    """Never crash on a GBK console: replace what it cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _exit_now(code) -> None:
    """End the process with ``code`` after removing the run's temporary folder (every file perfxl
    writes is closed and atomically renamed before its command returns)."""
    from perfxl.batch.lifecycle import remove_private_tempdir

    remove_private_tempdir()
    sys.exit(code)


def main() -> None:
    from perfxl.batch import lifecycle

    _configure_streams()
    # SIGTERM (a service stop, `timeout`) ends the run like Ctrl-C: through every cleanup path,
    # with one Chinese line and nothing left in the output or temporary folders.
    lifecycle.install_handlers()
    lifecycle.use_private_tempdir()
    if "--debug" not in sys.argv:
        lifecycle.quiet_unraisable()
    try:
        try:
            app()
        except SystemExit as done:  # how every command ends
            _exit_now(done.code)
        except KeyboardInterrupt as interrupt:
            _interrupted(interrupt)
        except Exception as exc:  # last resort: one Chinese line, no traceback unless --debug
            if State.debug or "--debug" in sys.argv:
                lifecycle.remove_private_tempdir()
                raise
            from perfxl.model import FormError

            message = exc.message if isinstance(exc, FormError) else f"perfxl 内部错误（{exc.__class__.__name__}）。加 --debug 查看详细信息，并反馈给维护者。"
            typer.echo(f"错误：{message}", err=True)
            _exit_now(2)
    except KeyboardInterrupt as interrupt:  # a second signal while the first was being handled
        _interrupted(interrupt)


def _interrupted(interrupt: KeyboardInterrupt) -> None:
    from perfxl.batch import lifecycle

    try:
        typer.echo(lifecycle.message(interrupt), err=True)
    except Exception:  # stderr gone: the exit code says it
        pass
    _exit_now(lifecycle.exit_code(interrupt))
