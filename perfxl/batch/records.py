"""What happened to one input of a batch: a small, picklable record that workers send back.

:class:`FormRow` is one form's line (the row of 汇总.xlsx and of :func:`perfxl.results_frame`);
:class:`FileRecord` is one file's forms, outputs and error, and its status, one of :data:`STATUSES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import owner
from perfxl.pipeline import FileOutcome, output_generation, safe_name


@dataclass(frozen=True)
class FormRow:
    """One checked form in a line: the 汇总 row and the row of :func:`perfxl.results_frame`. Small and
    picklable, so workers send this instead of the Form."""

    sheet: str
    project: str
    department: str
    budget: float | None
    executed: float | None
    rate: float | None
    score_stated: float | None
    score_computed: float | None
    grade: str
    errors: int
    warnings: int
    ok: bool
    report: Path | None = None  # this form's Word report, when one was written
    kind: str = "project"  # project | department (model.KIND_*)
    scheme: str = "mof-2020"  # the scoring scheme it was read on (perfxl.read.schemes)

    @classmethod
    def of(cls, result, report: Path | None = None, losses=()) -> FormRow:
        """The row of a :class:`perfxl.checks.rules.CheckResult` (``report``: its Word report, if written;
        ``losses``: the writer's roundtrip-loss findings of this form, counted with its warnings)."""
        form, computed = result.form, result.computed
        return cls(
            sheet=form.sheet,
            kind=form.kind,
            scheme=form.scheme,
            project=form.project.text or form.unit.text,
            department=form.department.text,
            budget=computed.funds_totals.get("budget"),
            executed=computed.funds_totals.get("executed"),
            rate=computed.rate,
            score_stated=form.total_score.number,
            score_computed=computed.total_score,
            grade=computed.grade,
            errors=result.count("error"),
            warnings=result.count("warning") + sum(1 for finding in losses if finding.severity == "warning"),
            ok=result.ok,
            report=report,
        )


#: Errors of the output side: the form was read, its results could not be written (or not safely).
WRITE_ERROR_CODES = frozenset({"write-failed", "output-conflict", "output-exists", "output-is-input"})
#: The statuses of a batch's files, in the order the closing tally and 汇总 count them.
STATUSES = ("通过", "有错误", "无法读取", "无法写入")


def shown_statuses(statuses: list[str]) -> tuple[str, ...]:
    """The statuses a count of ``statuses`` shows: always the first three, 无法写入 only when it happened."""
    return STATUSES[:3] + tuple(status for status in STATUSES[3:] if status in statuses)


@dataclass
class FileRecord:
    """What happened to one input of a batch, in a form cheap to send between processes."""

    path: Path
    label: str = ""  # the name shown to users and in 汇总 (relative to the folder given)
    forms: list[FormRow] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    error_detail: str = ""  # an internal error's traceback, for --debug

    def __post_init__(self) -> None:
        self.label = self.label or self.path.name

    @property
    def exit_code(self) -> int:
        if self.error_code is not None:
            return 2
        return 0 if all(form.ok for form in self.forms) else 1

    @property
    def status(self) -> str:
        """通过 / 有错误 / 无法读取 / 无法写入 (the reason is in ``error_message``)."""
        if self.error_code in WRITE_ERROR_CODES:
            return "无法写入"
        return STATUSES[self.exit_code]

    @property
    def workbook(self) -> Path | None:
        return next((out for out in self.outputs if out.suffix.lower() in (".xlsx", ".xlsm")), None)

    @classmethod
    def from_outcome(cls, outcome: FileOutcome, label: str = "") -> FileRecord:
        record = cls(outcome.path, label, outputs=list(outcome.outputs))
        if outcome.error is not None:  # with results too when the form was read and some outputs were written
            record.error_code, record.error_message, record.error_detail = outcome.error.code, outcome.error.message, outcome.error.detail
        reports = [out for out in outcome.outputs if out.suffix.lower() == ".docx"]
        for index, result in enumerate(outcome.results):
            losses = [finding for finding in outcome.losses if owner(outcome.results, finding) == index]
            if len(outcome.results) == 1:
                report = reports[0] if reports else None
            else:
                marker = f"_{safe_name(result.form.sheet)}"
                report = next((out for out in reports if output_generation(out.stem, "自评报告")[0].endswith(marker)), None)
            record.forms.append(FormRow.of(result, report, losses))
        return record

