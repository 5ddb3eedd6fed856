"""Files perfxl ships to users: the blank standard form and the Word report templates
(项目支出 and 部门整体支出).

They live in the project's ``templates/`` folder and are installed as ``perfxl.templates``.
``samples/make_samples.py`` regenerates 自评表模板.xlsx and 部门整体支出自评表模板.xlsx.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FORM_TEMPLATE = "自评表模板.xlsx"
DEPARTMENT_FORM_TEMPLATE = "部门整体支出自评表模板.xlsx"  # perfxl template --department
REPORT_TEMPLATE = "自评报告模板.docx"
DEPARTMENT_REPORT_TEMPLATE = "部门整体支出自评报告模板.docx"  # chosen for 部门整体支出绩效自评表


def resource_path(name: str) -> Path:
    """Filesystem path of a shipped template file."""
    return Path(str(resources.files(__name__).joinpath(name)))


def blank_form_bytes(department: bool = False) -> bytes:
    """The blank 项目支出绩效自评表 (or, with ``department``, the 部门整体支出绩效自评表) as shipped."""
    return resource_path(DEPARTMENT_FORM_TEMPLATE if department else FORM_TEMPLATE).read_bytes()
