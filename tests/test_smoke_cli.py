import json
import re

from conftest import CLEAN, SEED


def test_seed_check_json(run_cli):
    result = run_cli("check", SEED, "--format", "json")
    assert result.exit_code == 1
    [doc] = json.loads(result.stdout)
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
    [doc] = json.loads(result.stdout)
    assert doc["ok"] is True
    assert [f for f in doc["findings"] if f["severity"] in ("error", "warning")] == []


def test_check_folder_in_parallel_matches_sequential(tmp_path, run_cli):
    import shutil

    for index in range(3):
        shutil.copy(SEED, tmp_path / f"{index}_seed.xlsx")
    shutil.copy(CLEAN, tmp_path / "clean.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    (tmp_path / "~$clean.xlsx").write_bytes(b"lock")
    results = {jobs: run_cli("check", tmp_path, "--format", "json", "--jobs", jobs) for jobs in (1, 2)}
    assert results[1].exit_code == results[2].exit_code == 2
    assert results[1].stdout == results[2].stdout
    docs = json.loads(results[2].stdout)
    assert [d["file"].rsplit("/", 1)[-1] for d in docs] == ["0_seed.xlsx", "1_seed.xlsx", "2_seed.xlsx", "broken.xlsx", "clean.xlsx"]
    assert docs[3]["error"]["code"] == "not-a-spreadsheet" and docs[4]["ok"] is True
    text = {jobs: run_cli("check", tmp_path, "--jobs", jobs) for jobs in (1, 2)}
    untimed = {jobs: re.sub(r"用时 [^。]+。", "", result.stdout) for jobs, result in text.items()}
    assert untimed[1] == untimed[2] and "broken.xlsx" in text[2].stderr
    # a folder ends with the same closing line as fill
    assert re.search(r"\n共 5 份：通过 1 份，有错误 3 份，无法读取 1 份；用时 \d+\.\d 秒。\n$", text[2].stdout), text[2].stdout


def test_worker_pools_are_recycled_without_hanging(tmp_path, monkeypatch):
    """Long batches replace their workers (memory stays flat) and still finish, in order."""
    import threading

    from perfxl.batch import plan as batch
    from perfxl.batch import pool
    from perfxl.pipeline import FillOptions
    from perfxl.show.render import checked_file

    monkeypatch.setattr(pool, "WORKER_TASKS", 2)  # a fresh pool every 4 files with 2 workers
    for index in range(9):
        (tmp_path / f"{index}.xlsx").write_bytes(b"broken")
    plan = batch.plan_batch([tmp_path], FillOptions(workbook=False, report=False))
    seen, done = [], []
    # A daemon thread, so that a hang (CPython's max_tasks_per_child bug) fails the test instead of blocking it.
    thread = threading.Thread(target=lambda: done.append(pool.run_batch(plan.jobs, 2, lambda i, r: seen.append(i), checked_file)), daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert done, "run_batch did not finish within 120 s"
    records = done[0]
    assert sorted(seen) == list(range(9))
    assert [r.path.name for r in records] == [f"{i}.xlsx" for i in range(9)]
    assert all(r.exit_code == 2 for r in records)


def test_json_is_always_a_list_as_json_dumps_writes_it(tmp_path, run_cli):
    """One file, several, none readable, nothing at all: always one list (one element per form or
    unreadable file), streamed, and byte for byte what ``json.dumps(list, indent=2)`` writes."""
    import shutil

    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    shutil.copy(CLEAN, tmp_path / "clean.xlsx")
    for args, count in (([CLEAN], 1), ([tmp_path], 2), ([tmp_path / "broken.xlsx"], 1)):
        result = run_cli("check", *args, "--format", "json")
        docs = json.loads(result.stdout)
        assert isinstance(docs, list) and len(docs) == count, result.stdout
        assert result.stdout == json.dumps(docs, ensure_ascii=False, indent=2) + "\n"


def test_library_api_fill(seed_form, tmp_path):
    import perfxl

    outcome = perfxl.fill(seed_form, output_dir=tmp_path / "结果")
    assert outcome.error is None and outcome.exit_code == 1
    assert sorted(p.name for p in outcome.outputs) == sorted([seed_form.stem + "_自评结果.xlsx", seed_form.stem + "_自评报告.docx"])
    assert outcome.results[0].computed.total_score == 102
