"""A second process for an audit's independent work: charts and the report's past quarters.

The audit's analyses run one after the other in the calling process. Drawing a part's
chart needs only its published table, and recomputing a past quarter's primary figures
(the report's trend) needs only the dataset: neither waits for the analyses still to run,
so on a machine with a second core they run beside them, in one worker process.

- The worker is **spawned** (a fresh interpreter, as on Windows and macOS; never forked
  from a process whose libraries already run threads) and **one**: jobs run in the order
  given.
- **Work stealing**: a job the worker has not started when its result is asked for is
  taken back and computed in the calling process, so neither process idles while the other
  has work queued.
- **Same output**: a job is a plain function of picklable arguments, computed by the same
  code with the same seed wherever it runs. Anything that goes wrong in the worker (it
  cannot start, a job cannot be pickled, the worker dies or raises) makes the job be
  computed here, and the calling process gives the error, if any, as a serial run would.
- ``processes=1`` (the library's default) runs everything here, in order, when asked.
- Both processes fit their models with **one BLAS thread** (:func:`one_blas_thread`).

Large inputs (the dataset) go to the worker once (:meth:`Worker.share`) and jobs refer to
them by a key.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from threadpoolctl import threadpool_limits

_SHARED: dict[str, Any] = {}
"""Inputs sent once to this process when it is the worker (key -> object)."""

_KEYS = itertools.count()


def _keep(key: str, value: Any) -> None:
    _SHARED[key] = value


def _call_shared(fn: Callable[..., Any], key: str, args: tuple[Any, ...]) -> Any:
    return fn(_SHARED[key], *args)


def one_blas_thread() -> threadpool_limits:
    """Limit BLAS to one thread for the audit's model fits (a context manager).

    The audit's designs are tall and thin (many rows, a few columns): BLAS threads add
    little there and, on shared cores, spin while they wait and cost CPU time.
    """
    return threadpool_limits(limits=1, user_api="blas")


def _warm() -> None:
    """Import what the jobs use while the calling process still loads and analyses."""
    one_blas_thread()  # kept for the worker's life: it runs analyses of past quarters
    import pathaudit.report._charts  # noqa: F401  (matplotlib and the plotters)
    from pathaudit.report._charts import _new_figure

    _new_figure((1.0, 1.0))  # the Agg and SVG backends


def _new_pool() -> ProcessPoolExecutor | None:
    if multiprocessing.parent_process() is not None:
        return None  # no worker of a worker
    try:
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(1, mp_context=ctx, initializer=_warm)
    except (OSError, ValueError, ImportError, NotImplementedError):
        return None


_EARLY: ProcessPoolExecutor | None = None
"""A worker started by :func:`start_early`, taken by the next ``Worker(2)``."""


def start_early() -> None:
    """Start the worker now (its imports run while this process loads the data).

    The command line calls it before loading an export for ``pathaudit audit``; the next
    ``Worker(2)`` takes it. Never needed for the same files.
    """
    global _EARLY
    if _EARLY is None:
        pool = _new_pool()
        if pool is not None:
            try:
                pool.submit(int)  # the process starts on the first job
            except Exception:  # noqa: BLE001  no worker: Worker(2) runs the jobs here
                pool = None
        _EARLY = pool


class Pending:
    """The result of one job: computed by the worker, or here when it has not started."""

    def __init__(self, future: Future[Any] | None, local: Callable[[], Any]) -> None:
        self._future = future
        self._local = local
        self._done = False
        self._value: Any = None

    def result(self) -> Any:
        """The job's result (waits for the worker, or computes it here)."""
        if not self._done:
            self._value = self._compute()
            self._done = True
        return self._value

    def _compute(self) -> Any:
        future = self._future
        if future is None or future.cancel():  # not started: take it back
            return self._local()
        try:
            return future.result()
        except Exception:  # noqa: BLE001  any failure there: computed here, as serially
            return self._local()


class Worker:
    """One spawned worker process for picklable jobs, or none (everything here).

    Parameters
    ----------
    processes
        2 or more: start one worker process beside this one; 1: none. No worker is
        started inside another multiprocessing process (no nesting), and none when the
        platform cannot start one.

    Examples
    --------
    >>> with Worker(1) as w:
    ...     w.submit(sum, [1, 2]).result()
    3
    """

    def __init__(self, processes: int = 1) -> None:
        global _EARLY
        self._pool: ProcessPoolExecutor | None = None
        if processes > 1:
            self._pool, _EARLY = _EARLY or _new_pool(), None

    @property
    def parallel(self) -> bool:
        """Whether a worker process is running the jobs."""
        return self._pool is not None

    def _send(self, fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
        if self._pool is None:
            return None
        try:
            return self._pool.submit(fn, *args)
        except Exception:  # noqa: BLE001  broken or shut down: the rest runs here
            self._pool = None
            return None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending:
        """Run ``fn(*args)`` in the worker (``fn`` importable by name, ``args`` picklable)."""
        return Pending(self._send(fn, *args), lambda: fn(*args))

    def share(self, value: Any) -> str:
        """Send ``value`` to the worker once; jobs name it by the key returned."""
        key = f"shared-{next(_KEYS)}"
        if self._send(_keep, key, value) is None:
            self._pool = None  # a job naming the key must not run where it is missing
        return key

    def submit_shared(
        self, fn: Callable[..., Any], key: str, value: Any, *args: Any
    ) -> Pending:
        """Run ``fn(value, *args)``; in the worker, ``value`` is the one sent by :meth:`share`.

        ``value`` is this process's object under ``key``, used when the job runs here.
        """
        return Pending(self._send(_call_shared, fn, key, args), lambda: fn(value, *args))

    def close(self) -> None:
        """Stop the worker (a job still running there is abandoned)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _with_derived(data: Any, derived: dict[str, Any]) -> Any:
    for key, value in derived.items():
        data.derived(key, lambda value=value: value)
    return data


class Shareable:
    """A dataset as sent to the worker: its tables and its spells and exposure, no other cache.

    Unpickled, it is the :class:`~pathaudit.data.AuditData` itself, with ``spells`` and
    ``exposure`` already in its one cache (not derived again there).
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    def __reduce__(self) -> tuple[Any, ...]:
        import dataclasses

        data = self.data
        derived = {"spells": data.spells, "exposure": data.exposure}
        return (_with_derived, (dataclasses.replace(data), derived))
