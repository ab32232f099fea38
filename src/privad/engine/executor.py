"""Executors: one task per item (a video, a trade-off setting), in this process or on a Ray cluster.

Every task's failure is reported with its item; the other items go on. Callers decide which items are already done
(resume) and write each result as it arrives.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from privad.errors import PrivadError


@dataclass
class Outcome:
    """The result of one task: its value, or the one-line error that stopped it."""

    key: str
    value: Any = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Executor(Protocol):
    name: str

    def run(self, fn: Callable, items: dict[str, tuple], on_done: Callable[[Outcome], None] | None = None
            ) -> list[Outcome]:
        """Call `fn(*args)` for every `key: args`; `on_done` sees each outcome as it finishes."""

    def close(self) -> None:
        """Release the workers."""


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, PrivadError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _timed(fn: Callable, args: tuple) -> tuple[Any, float]:
    start = time.perf_counter()
    return fn(*args), time.perf_counter() - start


class LocalExecutor:
    """Tasks one after another in this process."""

    name = "local"

    def run(self, fn, items, on_done=None):
        outcomes = []
        for key, args in items.items():
            start = time.perf_counter()
            try:
                value, seconds = _timed(fn, args)
                out = Outcome(key, value, seconds=seconds)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 — reported per item, the others go on
                if not isinstance(exc, PrivadError):
                    traceback.print_exc()
                out = Outcome(key, error=_one_line(exc), seconds=time.perf_counter() - start)
            outcomes.append(out)
            if on_done:
                on_done(out)
        return outcomes

    def close(self) -> None:
        pass


class RayExecutor:
    """One Ray task per item, one CPU each. A task whose worker dies is retried `retries` times, then reported.

    Without `address` a local Ray instance with `workers` CPUs is started (and stopped by `close`).
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, retries: int = 1):
        try:
            import ray
        except ImportError as exc:
            raise PrivadError("--executor ray needs Ray: pip install 'privad[ray]'") from exc
        self._ray = ray
        self.retries = retries
        self._started = not ray.is_initialized()
        if self._started:
            try:
                from privad.device import ENV, setting

                kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
                asked = setting()
                if asked:  # workers resolve the device the user asked for on their own machine
                    kwargs["runtime_env"] = {"env_vars": {ENV: asked}}
                if address:
                    ray.init(address=address, **kwargs)
                else:
                    ray.init(num_cpus=workers, **kwargs)
            except Exception as exc:  # noqa: BLE001 — an unreachable cluster is a user-fixable problem
                raise PrivadError(f"could not start or reach Ray{f' at {address}' if address else ''}: "
                                  f"{_one_line(exc)}") from exc

    def run(self, fn, items, on_done=None):
        ray = self._ray
        remote = ray.remote(num_cpus=1, max_retries=self.retries)(_timed)
        pending = {remote.remote(fn, args): key for key, args in items.items()}
        started = time.perf_counter()
        outcomes = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            key = pending.pop(ref)
            try:
                value, seconds = ray.get(ref)
                out = Outcome(key, value, seconds=seconds)
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                out = Outcome(key, error=_one_line(cause) if cause is not None else _one_line(exc),
                              seconds=time.perf_counter() - started)
            except ray.exceptions.RayError as exc:  # worker crashed, node lost, ... after the retries
                out = Outcome(key, error=f"{type(exc).__name__}: the task's worker died "
                                         f"({self.retries} retries)", seconds=time.perf_counter() - started)
            outcomes.append(out)
            if on_done:
                on_done(out)
        return outcomes

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


EXECUTORS = ("local", "ray")


def make_executor(name: str = "local", address: str | None = None, workers: int | None = None,
                  retries: int = 1) -> Executor:
    """`local` or `ray` (`address` of a running cluster, else a local one with `workers` CPUs)."""
    if name == "local":
        if address:
            raise PrivadError("--address is for --executor ray")
        return LocalExecutor()
    if name == "ray":
        if workers is not None and workers < 1:
            raise PrivadError("--workers must be at least 1")
        return RayExecutor(address, workers, retries)
    raise PrivadError(f"unknown executor '{name}'; choose from {', '.join(EXECUTORS)}")


def failures_line(outcomes: list[Outcome]) -> str | None:
    """One line naming the failed items, or None."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return None
    return f"{len(failed)} of {len(outcomes)} failed: " + "; ".join(f"{o.key}: {o.error}" for o in failed)
