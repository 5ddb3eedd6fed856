"""Renderings of check results for people (Chinese text) and for machines (JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from perfxl.pipeline import FileOutcome
from perfxl.checks.catalogue import SEVERITY_ZH
from perfxl.model import KIND_DEPARTMENT, KIND_ZH
from perfxl.numbers import format_number, format_percent
from perfxl.read import schemes
from perfxl.systext import printable

_SEVERITIES = ("error", "warning", "info")


def warm_check() -> None:
    """What a worker process that checks imports before its first file: reading, the rules, this module."""
    import perfxl.checks.rules  # noqa: F401  (with it: pandas)
    import perfxl.checks.trust  # noqa: F401
    import perfxl.read.reader  # noqa: F401


def outcome_text(outcome: FileOutcome) -> str:
    """A readable Chinese report of one file: findings grouped by severity, each with its cell."""
    name = printable(outcome.path.name)
    if outcome.error is not None:
        return f"{name}：无法处理 —— {printable(outcome.error.message)}"
    blocks = []
    for result in outcome.results:
        form = result.form
        lines = [f"{name}（工作表：{printable(form.sheet)}；{KIND_ZH[form.kind]}{schemes.note(form.scheme)}）"]
        lines.extend(f"  {line}" for line in result_head(result))
        if not result.findings:
            lines.append("  未发现问题。")
        for severity in _SEVERITIES:
            items = [f for f in result.findings if f.severity == severity]
            if not items:
                continue
            lines.append(f"  {SEVERITY_ZH[severity]} {len(items)} 项：")
            for finding in items:
                lines.append(f"    [{finding.cell or '全表'}] {finding.message}（{finding.code}）")
        verdict = "通过" if result.ok else "有错误，请改正后再提交"
        lines.append(f"  结论：{verdict}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def explain_text(outcome: FileOutcome) -> str:
    """The accounted reading of one file, row by row: each non-empty cell with what perfxl took it for,
    and 【未读取】 for what nothing accounts for (each of those is a row-unread / cell-unread finding)."""
    from perfxl.xlsx.cells import a1

    if outcome.error is not None:
        return outcome_text(outcome)
    blocks = []
    for result in outcome.results:
        form = result.form
        lines = [f"{printable(outcome.path.name)}（工作表：{printable(form.sheet)}）逐行读取结果："]
        unread = {}
        for item in form.unread:
            unread.setdefault(item.row, []).append(item)
        rows: dict[int, list[str]] = {}
        for (row, col), role in form.roles.items():
            rows.setdefault(row, []).append(f"{a1(row, col)} {role}")
        for row, items in unread.items():
            rows.setdefault(row, []).extend(f"{item.cell} 【未读取】“{_short(item.text)}”" for item in items)
        for row in sorted(rows):
            lines.append(f"  第 {row} 行：" + "；".join(rows[row]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n" + outcome_text(outcome)


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return printable(text if len(text) <= limit else text[:limit] + "…")


def result_head(result) -> list[str]:
    """The lines under a form's name in ``perfxl check``: project (or unit), funds, 总分 填写/重算 and grade."""
    form, computed = result.form, result.computed
    if form.kind == KIND_DEPARTMENT:
        lines = [f"部门（单位）：{form.unit.text or '（未填写）'}"]
    else:
        lines = [f"项目：{form.project.text or '（未填写）'}　主管部门：{form.department.text or '（未填写）'}"]
    totals = computed.funds_totals
    scored = ("预算执行率作为三级指标计分" if schemes.of(form.scheme).scoring.budget == schemes.BUDGET_INDICATOR
              else f"预算执行率得分 {format_number(computed.budget_score)}/{format_number(computed.budget_weight)}")
    lines.append(
        f"全年预算数 {format_number(totals.get('budget'))} 万元，全年执行数 {format_number(totals.get('executed'))} 万元，"
        f"执行率 {format_percent(computed.rate)}，{scored}"
    )
    if schemes.of(form.scheme).scoring.row_score == schemes.ROW_UNSCORED:
        lines[-1] = lines[-1].rsplit("，", 1)[0]  # no budget score either
        lines.append("不计分的表：没有分值和得分，不给出总分和等级")
        return lines
    stated = form.total_score.number
    stated_text = f"填写 {format_number(stated)}，" if stated is not None else ""
    recomputed = "无法重算" if computed.total_score is None else f"重算 {format_number(computed.total_score)}"
    weights = "无法核对" if computed.total_weight is None else format_number(computed.total_weight)
    lines.append(f"总分：{stated_text}{recomputed}（{computed.grade_text}），分值合计 {weights}")
    return lines


def outcome_documents(outcome: FileOutcome) -> list[dict]:
    """The JSON documents of one file: one per form, or one error document."""
    if outcome.error is not None:
        return [error_document(outcome.path, outcome.error.code, outcome.error.message)]
    return [result.to_dict() for result in outcome.results]


def error_document(path: Path, code: str, message: str) -> dict:
    return {"file": str(path), "ok": False, "error": {"code": code, "message": message}}


def json_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def json_element(text: str) -> str:
    """A serialised document indented one level, as an element of a list."""
    return "\n".join("  " + line for line in text.splitlines())


@dataclass(frozen=True)
class CheckedFile:
    """One checked file, rendered in the requested format (small and picklable: what a worker sends back)."""

    path: Path
    exit_code: int
    text: str = ""  # --format text
    documents: tuple[str, ...] = ()  # --format json: one serialised document per form
    error_message: str | None = None
    error_code: str | None = None
    error_detail: str = ""  # an internal error's traceback, for --debug


def checked_file(job, output_format: str = "text") -> CheckedFile:
    """Check one batch job's file and render it (the unit of work of ``perfxl check``)."""
    from perfxl.pipeline import check_path

    outcome = check_path(job.path)
    error = outcome.error
    about = {"error_message": error.message, "error_code": error.code, "error_detail": error.detail} if error is not None else {}
    if output_format == "json":
        documents = tuple(json_text(doc) for doc in outcome_documents(outcome))
        return CheckedFile(outcome.path, outcome.exit_code, documents=documents, **about)
    return CheckedFile(outcome.path, outcome.exit_code, text=outcome_text(outcome), **about)


def as_checked_file(record) -> CheckedFile:
    """A batch record that is not a CheckedFile (a crash the batch caught) as one, in both formats."""
    if isinstance(record, CheckedFile):
        return record
    text = f"{printable(record.path.name)}：无法处理 —— {printable(record.error_message)}"
    document = json_text(error_document(record.path, record.error_code, record.error_message))
    return CheckedFile(record.path, 2, text, (document,), record.error_message, record.error_code, record.error_detail)
