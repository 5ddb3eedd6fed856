"""Golden outputs: what perfxl writes for a fixed set of forms, part by part, as SHA-256 digests.

The inputs are files in ``tests/data/golden/inputs`` (the bundled samples and every real-form
variant of tests/realvariants.py, stored as built so that a new openpyxl cannot change them). For each
input, the manifest holds the digest of every zip member of ``_自评结果.xlsx`` and
``_自评报告.docx``, of the 汇总.xlsx members (all but docProps/core.xml, which carries the run's
time), and of the ``perfxl check --format json`` text. The date a report is made on is left out.

    python tests/golden.py --update    # after an intended change of output: rewrite the manifest
    python tests/golden.py --inputs    # rebuild the stored inputs (then --update)

tests/test_golden_outputs.py fills the inputs and compares; a refactoring must leave it green.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "data" / "golden"
INPUTS = GOLDEN / "inputs"
MANIFEST = GOLDEN / "manifest.json"
VOLATILE = {"docProps/core.xml"}  # 汇总.xlsx: the time it was made


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _today() -> bytes:
    """The report's 成文日期 as it writes today's date (2026年12月8日): a report's only part that
    depends on the day it is made, replaced by ``{DATE}`` before the digest."""
    import datetime as dt

    today = dt.date.today()
    return f"{today.year}年{today.month}月{today.day}日".encode("utf-8")


def _parts(path: Path, skip=frozenset()) -> dict[str, str]:
    today = _today()
    with zipfile.ZipFile(path) as package:
        return {name: _digest(package.read(name).replace(today, b"{DATE}")) for name in sorted(package.namelist())
                if name not in skip}


def _perfxl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return subprocess.run([sys.executable, "-m", "perfxl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8")


def produce(workdir: Path) -> dict:
    """Fill and check every stored input in ``workdir``; returns the manifest of what was written."""
    forms = workdir / "forms"
    shutil.copytree(INPUTS, forms)
    out = workdir / "out"
    filled = _perfxl("fill", "forms", "-o", "out", "--jobs", "1", cwd=workdir)
    checked = _perfxl("check", "forms", "--format", "json", "--jobs", "1", cwd=workdir)
    manifest = {"fill_exit": filled.returncode, "check_exit": checked.returncode, "forms": {}}
    for form in sorted(forms.iterdir()):
        entry = {}
        for suffix in ("_自评结果.xlsx", "_自评报告.docx"):
            output = out / f"{form.stem}{suffix}"
            entry[suffix] = _parts(output) if output.exists() else None
        manifest["forms"][form.name] = entry
    manifest["汇总.xlsx"] = _parts(out / "汇总.xlsx", VOLATILE)
    manifest["check_json"] = _digest(checked.stdout.encode("utf-8"))
    return manifest


def build_inputs() -> None:
    sys.path.insert(0, str(HERE))
    shutil.rmtree(INPUTS, ignore_errors=True)
    INPUTS.mkdir(parents=True)
    subprocess.run([sys.executable, str(HERE / "realvariants.py"), str(INPUTS)], check=True, capture_output=True)
    for sample in (ROOT / "samples").glob("*.xlsx"):
        shutil.copy(sample, INPUTS / sample.name)


def main(argv: list[str]) -> int:
    import tempfile
    if "--inputs" in argv:
        build_inputs()
    if "--update" in argv or "--inputs" in argv:
        with tempfile.TemporaryDirectory() as work:
            manifest = produce(Path(work))
        MANIFEST.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{MANIFEST}: {len(manifest['forms'])} forms")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
