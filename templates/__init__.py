"""Files perfxl ships to users: the blank standard form and the Word report template.

They live in the project's ``templates/`` folder and are installed as ``perfxl.templates``.
``samples/make_samples.py`` regenerates 自评表模板.xlsx.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FORM_TEMPLATE = "自评表模板.xlsx"
REPORT_TEMPLATE = "自评报告模板.docx"


def resource_path(name: str) -> Path:
    """Filesystem path of a shipped template file."""
    return Path(str(resources.files(__name__).joinpath(name)))


def blank_form_bytes() -> bytes:
    return resource_path(FORM_TEMPLATE).read_bytes()
