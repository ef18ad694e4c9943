"""Where a run's independent fits run: in this process, in local worker processes (joblib's loky backend), or on
an existing Dask distributed cluster (joblib's dask backend). Every task is a pure function of its arguments, so a
config and its seeds give the same numbers wherever they ran; only the run's record says where that was."""
from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Iterable, Iterator

from core.errors import ComputeError

SCHEDULER_ENV = "PSEUDOLENS_SCHEDULER"
CONNECT_SECONDS = 10
# `n_jobs = "auto"` fits in local processes only when a run's fits train on at least this many rows in all (about
# ten seconds of TF-IDF newton-cg fits in one process: bench/learning_curve.py's 570,000 rows took 27 s): below it,
# starting the worker processes and importing scikit-learn in each (one to two seconds) costs about what it saves,
# and a test suite's small runs stay in their own process. The 50k learning curve's run took 45.7 s in one process
# and 36.7 s in two (2026-12-06).
LOCAL_PROCESSES_FROM_ROWS = 200_000


def scheduler_address(option: str | None, configured: str | None) -> str | None:
    """The Dask scheduler a run sends its fits to: the command line's `--scheduler`, else the environment's
    PSEUDOLENS_SCHEDULER, else the run config's `[compute] scheduler`; None: this machine."""
    return option or os.environ.get(SCHEDULER_ENV) or configured or None


@dataclass
class Dispatch:
    """Runs tasks through joblib on the backend chosen for a run and counts them. `n_jobs` None is "auto": fixed
    by `size_for` from the run's work before the first task."""

    n_jobs: int | None
    scheduler: str | None = None
    client: Any = None
    tasks: int = 0
    backend: str = field(init=False, default="")

    def size_for(self, training_rows: int) -> None:
        """Fixes the local processes for a run whose fits train on `training_rows` rows in all (see
        LOCAL_PROCESSES_FROM_ROWS); a cluster's workers are the cluster's."""
        if self.client is not None:
            self.backend = f"dask {self.scheduler}"
            return
        if self.n_jobs is None:
            from joblib import cpu_count

            self.n_jobs = cpu_count() if training_rows >= LOCAL_PROCESSES_FROM_ROWS else 1
        self.backend = "serial" if self.n_jobs == 1 else f"loky n_jobs={self.n_jobs}"

    def map(self, function: Callable, calls: Iterable[tuple]) -> Generator:
        """`function(*call)` for every call, results in the calls' order, each as soon as it and those before it
        are done. Large arrays passed as the same object to many calls travel once: loky memory-maps them, the
        dask backend scatters them to the workers (an argument that is a tuple travels with its task)."""
        from joblib import Parallel, delayed, parallel_config

        if not self.backend:
            self.size_for(0)

        def counted():
            for call in calls:
                self.tasks += 1
                yield delayed(function)(*call)

        if self.client is not None:
            with parallel_config(backend="dask", client=self.client):
                yield from Parallel(return_as="generator")(counted())
        else:
            yield from Parallel(n_jobs=self.n_jobs, return_as="generator")(counted())

    def record(self) -> dict:
        """What a run stores about where its tasks ran."""
        return {"backend": self.backend or "serial", "tasks": self.tasks}


@contextmanager
def dispatching(scheduler: str | None, n_jobs: int | None) -> Iterator[Dispatch]:
    """A `Dispatch` for the run: on the Dask cluster at `scheduler` (connected, with a worker, before anything is
    written: else ComputeError), else on this machine with `n_jobs` processes (None: "auto")."""
    if not scheduler:
        yield Dispatch(n_jobs)
        return
    client = _connect(scheduler)
    try:
        yield Dispatch(None, scheduler, client)
    finally:
        client.close()


def _connect(scheduler: str):
    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    advice = (f"start one with `dask scheduler` and a worker with `dask worker {scheduler}`, or leave out --scheduler, "
              f"{SCHEDULER_ENV} and [compute] scheduler to fit on this machine")
    try:
        protocol, location = parse_address(scheduler)
        if protocol == "tcp":  # a refused port is said at once, rather than after the client's retries
            socket.create_connection(parse_host_port(location), timeout=CONNECT_SECONDS).close()
        client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ComputeError(f"the Dask scheduler {scheduler} cannot be reached ({exc}); {advice}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError):
        client.close()
        raise ComputeError(f"the Dask scheduler {scheduler} has no worker after {CONNECT_SECONDS} s; "
                           f"start one with `dask worker {scheduler}`") from None
    return client
