"""The Word 绩效自评报告: a checked form → ``<stem>_自评报告.docx``, from an editable template.

Three steps, each in its own module:

1. :mod:`perfxl.report.facts` and :mod:`perfxl.report.context` turn a
   :class:`~perfxl.checks.rules.CheckResult` into plain Python values: every number and sentence of
   the report, formatted once, so the text and the 附件 table are built from the same strings.
2. The template (``templates/自评报告模板.docx`` or the user's ``--template``) is rendered by
   :mod:`perfxl.report.engine` (Jinja2 tags typed in Word, docxtpl's tag handling). Compiled
   templates are cached per process, so a batch of a thousand forms parses each template once.
3. The 附件 自评表 (:mod:`perfxl.report.annex`) is written as a real Word table at the
   ``{{ annex_table }}`` paragraph, and every run gets explicit East-Asian fonts (w:eastAsia) from
   its paragraph style.

This package knows the model only (Form, CheckResult); it never touches openpyxl.
"""

from __future__ import annotations

from pathlib import Path

from perfxl.model import KIND_DEPARTMENT, KIND_PROJECT, FormError
from perfxl.report.annex import annex_tables
from perfxl.report.context import build_context
from perfxl.report.engine import CompiledTemplate, cached_template



def default_template(kind: str = KIND_PROJECT) -> Path:
    """The built-in template for a kind of form (the department one for a 部门整体支出绩效自评表)."""
    from perfxl.templates import DEPARTMENT_REPORT_TEMPLATE, REPORT_TEMPLATE, resource_path

    return resource_path(DEPARTMENT_REPORT_TEMPLATE if kind == KIND_DEPARTMENT else REPORT_TEMPLATE)


def load_template(template: Path | None = None) -> CompiledTemplate:
    """The report template (``None``: the built-in one), compiled once per process."""
    return cached_template(Path(template) if template is not None else default_template())


def render_report(result, template: Path | None = None) -> bytes:
    """The report of one checked form as .docx bytes."""
    import jinja2

    path = Path(template) if template is not None else default_template(result.form.kind)
    compiled = load_template(path)
    context = build_context(result)
    title = context["title"]
    try:
        return compiled.render(context, title, annex=lambda: "".join(annex_tables(context["_facts"])))
    except jinja2.TemplateError as exc:
        detail = f"（{exc.message}）" if getattr(exc, "message", None) else ""
        raise FormError("template-error", f"报告模板 {path.name} 无法生成报告{detail}：请检查模板中的占位符，或去掉 --template 使用内置模板。", path) from None


def write_report(result, target: Path, template: Path | None = None) -> None:
    """Write the Word 绩效自评报告 of one checked form to ``target`` (atomically)."""
    from perfxl.atomic import write_bytes_atomic

    write_bytes_atomic(Path(target), render_report(result, template))
