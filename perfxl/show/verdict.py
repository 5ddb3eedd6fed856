"""The verdict lines of a processed file and of a batch, as ``perfxl fill`` prints them.

One place for these sentences, so the command line and the web page (``perfxl serve``) say the same.
Light: no pandas, no openpyxl.
"""

from __future__ import annotations

from perfxl.systext import printable


def record_lines(record, strict_report: bool = False, outputs: bool = True) -> list[tuple[str, bool]]:
    """What to print for one processed file (a batch ``FileRecord``): (line, goes to stderr).

    ``strict_report``: --strict with a report wanted. ``outputs``: add the ``已写出：`` lines.
    """
    label = printable(record.label)
    if record.error_code is not None and not record.outputs:
        return [(f"{label}：无法处理 —— {printable(record.error_message)}", True)]
    lines = []
    for form in record.forms:
        status = "通过" if form.ok else f"有错误 {form.errors} 项"
        sheet = printable(form.sheet)
        lines.append((f"{label}［{sheet}］：总分 {'无法重算' if form.score_computed is None else format(form.score_computed, 'g')}（{form.grade}），{status}，警告 {form.warnings} 项", False))
        if strict_report and not form.ok and form.report is None:
            lines.append((f"  未生成自评报告：［{sheet}］有 {form.errors} 项错误（--strict）。请先修正自评表中的错误（perfxl check 可列出），再生成报告。", True))
    if outputs:
        lines.extend((f"  已写出：{printable(output)}", False) for output in record.outputs)
    if record.error_code is not None:  # what was written stands; the rest could not be written
        lines.append((f"{label}：其余结果未能写出 —— {printable(record.error_message)}", True))
    return lines


def tally_line(statuses: list[str], seconds: float) -> str:
    """共 N 份：通过 …，有错误 …，无法读取 …(，无法写入 …)；用时 …。 (a batch's closing line)."""
    from perfxl.batch.records import shown_statuses

    counts = [f"{status} {statuses.count(status)} 份" for status in shown_statuses(statuses)]
    return f"共 {len(statuses)} 份：{'，'.join(counts)}；用时 {duration_text(seconds)}。"


def duration_text(seconds: float) -> str:
    """4.2 秒, 3 分 12 秒."""
    if seconds < 60:
        return f"{seconds:.1f} 秒"
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} 分 {seconds} 秒"
