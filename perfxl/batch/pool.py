"""Running a batch's jobs: in this process, or in pools of spawned worker processes.

Records come back in job order whatever the completion order; one failing file never stops the batch.
"""

from __future__ import annotations

import contextlib
import os

from perfxl.batch.plan import Job, fill_record
from perfxl.batch.records import FileRecord
from perfxl.pipeline import internal_error, warm_fill


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


#: Files each worker handles before the pool is replaced, so that a long batch's memory stays
#: flat. Done with a fresh pool per chunk: ProcessPoolExecutor(max_tasks_per_child=...) hangs
#: on Python 3.11–3.14 once the first workers retire (CPython gh-115634).
WORKER_TASKS = 200


def run_batch(jobs: list[Job], workers: int = 1, on_record=None, process=fill_record, keep: bool = True,
              worker_tasks: int | None = None, warm=warm_fill) -> list:
    """Run ``process`` over the jobs; records come back in job order whatever the completion order.

    ``workers`` > 1 uses pools of spawned processes (the same on Windows and Linux); each worker
    runs ``warm`` (a module-level function of imports, picklable) once and keeps its caches across files, and is replaced after about
    ``worker_tasks`` files (default WORKER_TASKS; 0 = never, for light work such as checking).
    ``on_record(index, record)`` is called in this process as each file finishes (in completion
    order). One failing file never stops the batch.
    """
    records: list = [None] * len(jobs)

    def finish(index: int, record) -> None:
        # keep=False: the caller consumes each record in on_record; only exit codes are kept.
        records[index] = record if keep else record.exit_code
        if on_record is not None:
            on_record(index, record)

    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for index, job in enumerate(jobs):
            finish(index, safely(process, job))
        return records
    tasks = WORKER_TASKS if worker_tasks is None else worker_tasks
    chunk = tasks * workers if tasks else len(jobs)
    indexed = list(enumerate(jobs))
    for start in range(0, len(jobs), chunk):
        _run_pool(indexed[start:start + chunk], workers, process, finish, warm)
    return records


def _run_pool(indexed_jobs: list[tuple[int, Job]], workers: int, process, finish, warm) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    broken: list[tuple[int, Job]] = []
    workers = min(workers, len(indexed_jobs))
    from perfxl.batch.lifecycle import run_in_worker

    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=warm_worker, initargs=(warm,)) as pool:
        futures = {pool.submit(run_in_worker, safely, process, job): (index, job) for index, job in indexed_jobs}
        try:
            for future in as_completed(futures):
                index, job = futures[future]
                try:
                    record = future.result()
                except Exception:  # the pool broke (a worker was killed, or could not start)
                    broken.append((index, job))
                    continue
                finish(index, record)
        except KeyboardInterrupt:
            # Stop the workers through their own cleanup (SIGTERM: perfxl/batch/lifecycle.py) and wait for
            # it, so that no worker is still writing when this process removes its temporary folder.
            stop_workers(pool)
            raise
    for index, job in sorted(broken, key=lambda item: item[0]):  # finish those here rather than lose them
        finish(index, safely(process, job))


def safely(process, job: Job) -> FileRecord:
    try:
        return process(job)
    except Exception as exc:  # a bug must not stop the batch
        error = internal_error(job.path, exc, job.label)
        return FileRecord(job.path, job.label, error_code=error.code, error_message=error.message, error_detail=error.detail)


def stop_workers(pool) -> None:
    """Stop a pool's workers now (SIGTERM, which they answer by cleaning up) and wait for them."""
    import multiprocessing

    workers = multiprocessing.active_children()  # this process's children: the pool's workers
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.terminate()
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.join(10)


def warm_worker(warm) -> None:
    """A worker's initializer: the handlers that let it stop cleanly, then ``warm``'s imports.

    An import that fails here fails loudly (the pool breaks and its files run in this process, each
    with its own message); tests/test_batch.py calls every warm-up function, so a renamed module is
    found by the tests, not by a slow batch.
    """
    from perfxl.batch.lifecycle import install_worker_handlers

    install_worker_handlers()
    warm()
