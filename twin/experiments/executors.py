"""Where tasks run: this process, a local process pool, or a Dask cluster.

``executor`` names it:

``"local"``
    One worker: the tasks run here, one after another. More: a
    :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes (started
    with ``spawn``: a fresh interpreter each, safe beside the threads of a progress
    bar). Workers ignore Ctrl-C; the sweep stops them.
``"dask"``
    A ``dask.distributed.LocalCluster`` of ``workers`` single-threaded processes on this
    machine.
``"dask://HOST:PORT"`` (or ``"tcp://HOST:PORT"``)
    The Dask scheduler at that address; its workers must have this package installed.

Dask is the optional extra ``dask`` (``pip install "shopfloor-twin[dask]"``), imported
only when asked for. Every executor yields ``(task, TaskResult)`` as tasks finish;
leaving the ``with`` block early (an error, Ctrl-C) cancels what has not run.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from twin.errors import TwinError
from twin.experiments.tasks import Task, TaskResult, run_task

__all__ = ["DASK_EXTRA", "Executor", "check_executor", "import_distributed", "open_executor"]

DASK_EXTRA = 'pip install "shopfloor-twin[dask]"'


class Executor(Protocol):
    """Runs tasks; :meth:`run` yields each task with its result as it finishes."""

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, TaskResult]]: ...


def check_executor(executor: str) -> str:
    """``local``, ``dask`` or a Dask scheduler address; raises :class:`TwinError`."""
    if executor in ("local", "dask"):
        return executor
    for scheme in ("dask://", "tcp://", "tls://"):
        if executor.startswith(scheme) and len(executor) > len(scheme):
            return executor
    raise TwinError(
        f"--executor {executor!r}: expected local, dask or a Dask scheduler address "
        "like dask://HOST:PORT"
    )


class _Serial:
    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, TaskResult]]:
        for task in tasks:
            yield task, run_task(task)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Pool:
    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, TaskResult]]:
        futures: dict[Future[TaskResult], Task] = {
            self.pool.submit(run_task, task): task for task in tasks
        }
        for future in as_completed(futures):
            yield futures[future], _outcome(futures[future], future)


def _outcome(task: Task, future: Any) -> TaskResult:
    """The task's result; a worker that died (killed, out of memory) fails its task."""
    try:
        result = future.result()
    except Exception as exc:
        return TaskResult(task.point, error=f"{type(exc).__name__}: {exc}")
    if not isinstance(result, TaskResult):
        return TaskResult(task.point, error=f"unexpected result {type(result).__name__}")
    return result


class _Dask:
    def __init__(self, client: Any) -> None:
        self.client = client

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, TaskResult]]:
        from distributed import as_completed as dask_completed

        futures = {}
        run = uuid.uuid4().hex[:12]  # keys unique per run: a cluster keeps results by key
        for k, task in enumerate(tasks):
            key = f"twin-sweep-{run}-{k}"
            futures[self.client.submit(run_task, task, key=key, pure=False)] = task
        try:
            for future in dask_completed(list(futures)):
                yield futures[future], _outcome(futures[future], future)
        finally:
            self.client.cancel(list(futures))


def import_distributed() -> Any:
    """``distributed``, or :class:`TwinError` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise TwinError(
            f"--executor dask needs Dask's distributed scheduler: {DASK_EXTRA}"
        ) from None
    return distributed


@contextlib.contextmanager
def open_executor(executor: str = "local", workers: int = 1) -> Iterator[Executor]:
    """The executor named by ``executor`` (see the module docstring) with ``workers``
    workers, shut down when the block ends."""
    executor = check_executor(executor)
    if workers < 1:
        raise TwinError(f"workers must be >= 1, got {workers}")
    if executor == "local":
        if workers == 1:
            yield _Serial()
            return
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_sigint,
        )
        clean = False
        try:
            yield _Pool(pool)
            clean = True
        finally:
            if clean:
                pool.shutdown(wait=True)
            else:  # interrupted or failed: do not wait for tasks nobody will read
                processes = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for process in processes:
                    process.terminate()
        return
    distributed = import_distributed()
    if executor == "dask":
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with distributed.Client(cluster) as client:
                yield _Dask(client)
        finally:
            cluster.close()
        return
    address = (
        "tcp://" + executor.removeprefix("dask://") if executor.startswith("dask://") else executor
    )
    try:
        client = distributed.Client(address, timeout="10s")
    except OSError as exc:
        raise TwinError(f"--executor {executor}: cannot reach the Dask scheduler: {exc}") from None
    with client:
        yield _Dask(client)
