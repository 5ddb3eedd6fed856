import json

from conftest import CLEAN, SEED


def test_seed_check_json(run_cli):
    result = run_cli("check", SEED, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["form"]["total"]["weight"] == 110
    assert doc["form"]["total"]["score_stated"] == 92
    assert doc["form"]["total"]["score_computed"] == 102
    assert doc["form"]["funds"]["rate"] == 1.0
    assert doc["form"]["funds"]["score"] == 10
    codes = [f["code"] for f in doc["findings"]]
    for code in ("total-mismatch", "total-weight-not-100", "level1-weight-mismatch", "subrow-scored"):
        assert code in codes
    assert codes.count("deducted-but-complete") == 4
    mismatch = next(f for f in doc["findings"] if f["code"] == "level1-weight-mismatch")
    assert mismatch["expected"] == 30 and mismatch["actual"] == 40
    assert len(doc["form"]["indicators"]) == 13


def test_clean_sample_passes(run_cli):
    result = run_cli("check", CLEAN, "--format", "json")
    assert result.exit_code == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["ok"] is True
    assert [f for f in doc["findings"] if f["severity"] in ("error", "warning")] == []
