"""The one place perfxl uses docxtpl's undocumented tag handling.

docxtpl's public ``DocxTemplate(...).render(context, jinja_env)`` re-opens and re-saves the whole
package with python-docx for every report (≈70 ms a report; perfxl's own renderer takes ≈8 ms, see
benchmarks/results.md). :mod:`perfxl.report.engine` therefore runs the same steps that render()
runs, on the parts that hold tags only: ``patch_xml`` (Word's split runs → clean Jinja tags),
``render_xml_part`` (Jinja over one part) and ``fix_tables`` (table grid repair). These are
methods of ``DocxTemplate`` without a leading underscore, but not documented API, so they may
change in any release: pyproject pins the docxtpl range tested (see docs/report.md, "Upgrading
docxtpl"), and tests/test_report.py::test_docxtpl_has_what_the_adapter_needs fails with a clear
message when an installed docxtpl lacks one of them.
"""

from __future__ import annotations

#: The DocxTemplate methods this module calls.
REQUIRED_METHODS = ("patch_xml", "render_xml_part", "fix_tables")


class DocxtplTags:
    """docxtpl's tag handling, on XML strings (the template file is never opened through docxtpl)."""

    def __init__(self):
        from docxtpl import DocxTemplate

        self._template = DocxTemplate(None)

    def patch(self, xml: str) -> str:
        """A part's XML with Word's run splits inside ``{{ … }}`` / ``{% … %}`` removed: Jinja source."""
        return self._template.patch_xml(xml)

    def render(self, source: str, context: dict, environment) -> str:
        """One patched part rendered with ``context`` in ``environment``."""
        return self._template.render_xml_part(source, None, context, environment)

    def fix_tables(self, xml: str):
        """The rendered body as an lxml element, tables whose rows outgrew their grid repaired."""
        return self._template.fix_tables(xml)


def missing_methods() -> list[str]:
    """The methods of :data:`REQUIRED_METHODS` the installed docxtpl lacks (empty: it is usable)."""
    from docxtpl import DocxTemplate

    return [name for name in REQUIRED_METHODS if not callable(getattr(DocxTemplate, name, None))]
