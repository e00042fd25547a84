"""The audit's second process (audit/_worker.py): same files, work taken back, failures here."""

import os
import pickle
import threading
import time

import pandas as pd

from pathaudit.audit import run_audit
from pathaudit.audit._worker import Shareable, Worker


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_audit_with_a_second_process_writes_the_same_files_byte_for_byte(
    sample_data, tmp_path
):
    # charts, the report (its trend over past quarters and its embedded charts) and every
    # table: drawn and computed in the worker, or here, they are the same bytes
    serial = run_audit(sample_data, tmp_path / "serial", analyses=["attrition"], processes=1)
    two = run_audit(sample_data, tmp_path / "two", analyses=["attrition"], processes=2)
    assert serial == two
    a, b = _files(tmp_path / "serial"), _files(tmp_path / "two")
    assert a.keys() == b.keys()
    assert any(p.suffix == ".svg" for p in a) and any(p.name == "report.html" for p in a)
    assert [p for p in a if a[p] != b[p]] == []


def test_one_process_runs_every_job_here_when_asked():
    with Worker(1) as worker:
        assert not worker.parallel
        pending = worker.submit(os.getpid)
        assert pending.result() == os.getpid()
        key = worker.share([1, 2])
        assert worker.submit_shared(sum, key, [3, 4]).result() == 7  # this process's value


def test_the_worker_runs_jobs_elsewhere_and_a_job_not_started_is_taken_back():
    with Worker(2) as worker:
        assert worker.parallel
        first = worker.submit(os.getpid)  # runs there, once the worker has started
        worker.submit(time.sleep, 1.0)
        later = [worker.submit(os.getpid) for _ in range(4)]
        # asked for before the worker reaches it: computed here instead of waiting
        assert later[-1].result() == os.getpid()
        assert first.result() != os.getpid()


def test_a_job_that_cannot_go_to_the_worker_is_computed_here():
    lock = threading.Lock()  # cannot be pickled
    with Worker(2) as worker:
        assert worker.submit(str, lock).result() == str(lock)
        key = worker.share(lock)
        assert worker.submit_shared(str, key, lock).result() == str(lock)


def test_the_dataset_sent_to_the_worker_keeps_its_spells_and_exposure(sample_data):
    copy = pickle.loads(pickle.dumps(Shareable(sample_data)))
    assert copy is not sample_data
    cached = copy.__dict__.get("_derived", {})
    assert set(cached) == {"spells", "exposure"}  # in the one cache, nothing else
    pd.testing.assert_frame_equal(copy.exposure, sample_data.exposure)
    pd.testing.assert_frame_equal(copy.spells, sample_data.spells)
    pd.testing.assert_frame_equal(copy.history, sample_data.history)
    assert copy.as_of == sample_data.as_of


def test_the_command_uses_a_second_process_only_when_a_core_is_idle(monkeypatch):
    from pathaudit import cli

    assert (cli.audit_processes("1"), cli.audit_processes("2")) == (1, 2)
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(cli.os, "getloadavg", lambda: (0.3, 0.5, 0.5))
    assert cli.audit_processes("auto") == 2
    monkeypatch.setattr(cli.os, "getloadavg", lambda: (1.6, 1.0, 1.0))  # both cores busy
    assert cli.audit_processes("auto") == 1
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(cli.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert cli.audit_processes("auto") == 1


def test_a_worker_started_early_is_taken_by_the_next_worker_of_two():
    from pathaudit.audit import _worker

    _worker.start_early()
    assert _worker._EARLY is not None
    with Worker(2) as worker:
        assert _worker._EARLY is None  # taken
        pending = worker.submit(os.getpid)
        time.sleep(0.5)  # handed to the worker by then (a job not handed over is taken back)
        assert worker.parallel and pending.result() != os.getpid()
    with Worker(1) as worker:  # one process: nothing started
        assert not worker.parallel
