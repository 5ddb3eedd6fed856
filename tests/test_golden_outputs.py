"""The outputs stay byte for byte what they were (tests/golden.py): every zip member of every filled
workbook and report, the 汇总 and the JSON, for the samples and the real-form corpus.

A refactoring must keep this green. An intended change of output rewrites the manifest
(``python tests/golden.py --update``) in the same commit, so the change is reviewed as a change.
"""

from __future__ import annotations

import json

import golden


def test_outputs_are_unchanged_byte_for_byte(tmp_path):
    expected = json.loads(golden.MANIFEST.read_text(encoding="utf-8"))
    actual = golden.produce(tmp_path)
    assert len(actual["forms"]) == len(expected["forms"]) >= 50
    changed = []
    for name, outputs in expected["forms"].items():
        for suffix, parts in outputs.items():
            got = actual["forms"][name][suffix]
            if got != parts:
                members = sorted(m for m in set(parts or {}) | set(got or {})
                                 if (parts or {}).get(m) != (got or {}).get(m))
                changed.append(f"{name}{suffix}: {members}")
    assert not changed, "outputs changed:\n" + "\n".join(changed)
    assert actual["汇总.xlsx"] == expected["汇总.xlsx"]
    assert actual["check_json"] == expected["check_json"]
    assert (actual["fill_exit"], actual["check_exit"]) == (expected["fill_exit"], expected["check_exit"])
