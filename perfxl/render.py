"""Renderings of check results for people (Chinese text) and for machines (JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .batch import FileOutcome
from .numbers import format_number, format_percent
from .catalogue import SEVERITY_ZH

_SEVERITIES = ("error", "warning", "info")


def outcome_text(outcome: FileOutcome) -> str:
    """A readable Chinese report of one file: findings grouped by severity, each with its cell."""
    if outcome.error is not None:
        return f"{outcome.path.name}：无法处理 —— {outcome.error.message}"
    blocks = []
    for result in outcome.results:
        form, computed = result.form, result.computed
        lines = [f"{outcome.path.name}（工作表：{form.sheet}）"]
        lines.append(f"  项目：{form.project.text or '（未填写）'}　主管部门：{form.department.text or '（未填写）'}")
        totals = computed.funds_totals
        lines.append(
            f"  全年预算数 {format_number(totals.get('budget'))} 万元，全年执行数 {format_number(totals.get('executed'))} 万元，"
            f"执行率 {format_percent(computed.rate)}，预算执行率得分 {format_number(computed.budget_score)}/{format_number(computed.budget_weight)}"
        )
        stated = form.total_score.number
        stated_text = f"填写 {format_number(stated)}，" if stated is not None else ""
        lines.append(
            f"  总分：{stated_text}重算 {format_number(computed.total_score)}（等级：{computed.grade}），分值合计 {format_number(computed.total_weight)}"
        )
        if not result.findings:
            lines.append("  未发现问题。")
        for severity in _SEVERITIES:
            items = [f for f in result.findings if f.severity == severity]
            if not items:
                continue
            lines.append(f"  {SEVERITY_ZH[severity]} {len(items)} 项：")
            for finding in items:
                lines.append(f"    [{finding.cell or '—'}] {finding.message}（{finding.code}）")
        verdict = "通过" if result.ok else "有错误，请改正后再提交"
        lines.append(f"  结论：{verdict}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def outcome_documents(outcome: FileOutcome) -> list[dict]:
    if outcome.error is not None:
        return [{"file": str(outcome.path), "ok": False, "error": {"code": outcome.error.code, "message": outcome.error.message}}]
    return [result.to_dict() for result in outcome.results]


def outcomes_json(outcomes: list[FileOutcome]) -> str:
    """One JSON document for one form; a list for several."""
    return documents_json([doc for outcome in outcomes for doc in outcome_documents(outcome)])


@dataclass(frozen=True)
class CheckedFile:
    """One checked file, already rendered (small and picklable: what a worker sends back)."""

    path: Path
    text: str
    documents: list[dict]
    exit_code: int
    error_message: str | None = None


def checked_file(job) -> CheckedFile:
    """Check one batch job's file and render it (the unit of work of ``perfxl check --jobs``)."""
    from .batch import check_path

    outcome = check_path(job.path)
    message = outcome.error.message if outcome.error is not None else None
    return CheckedFile(outcome.path, outcome_text(outcome), outcome_documents(outcome), outcome.exit_code, message)


def as_checked_file(record) -> CheckedFile:
    """A batch record that is not a CheckedFile (a crash the batch caught) as one."""
    if isinstance(record, CheckedFile):
        return record
    doc = {"file": str(record.path), "ok": False, "error": {"code": record.error_code, "message": record.error_message}}
    return CheckedFile(record.path, f"{record.path.name}：无法处理 —— {record.error_message}", [doc], 2, record.error_message)


def documents_json(documents: list[dict]) -> str:
    """One JSON document for one form; a list for several."""
    payload = documents[0] if len(documents) == 1 else documents
    return json.dumps(payload, ensure_ascii=False, indent=2)
