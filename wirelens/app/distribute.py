"""One piece of work per item, spread out, the results given back in the items' order:
over the local cores (a process pool), or over an existing Dask cluster (``--dask
ADDRESS``: dask.distributed, imported only then).

On Dask the scheduler hands each item to a worker; a worker that dies has its items run
again elsewhere (the scheduler's own retry of lost tasks). A task that fails for good (its
work raised, or it killed too many workers) is given back as ``failed(item, error)``, so
one file never ends the run. ``done`` is told how many items are finished, as they finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

CONNECT_TIMEOUT = "10s"  # to reach the scheduler; a wrong address says so after this


class DaskError(Exception):
    """The cluster cannot be used: one line."""


def ordered_map(work: Callable[[Item], Result], items: Sequence[Item], *,
                dask: str | None = None, done: Callable[[int], None] | None = None,
                failed: Callable[[Item, str], Result] | None = None) -> Iterator[Result]:
    if dask:
        yield from _on_dask(work, items, dask, done, failed)
    else:
        yield from _on_cores(work, items, done)


def _on_cores(work: Callable[[Item], Result], items: Sequence[Item],
              done: Callable[[int], None] | None) -> Iterator[Result]:
    if len(items) <= 1:
        for item in items:
            yield work(item)
        if done is not None:
            done(len(items))
        return
    # imported here: 7 ms saved at start-up when not needed
    import multiprocessing

    workers = min(len(items), os.cpu_count() or 1)
    results: dict[int, Result] = {}
    following = 0
    # fork, not spawn: a worker inherits the descriptors a root parent opened and the
    # modules already loaded (a process that dropped root may not read the interpreter).
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for count, (i, result) in enumerate(
                pool.imap_unordered(_Indexed(work), enumerate(items)), start=1):
            results[i] = result
            if done is not None:
                done(count)
            while following in results:
                yield results.pop(following)
                following += 1


class _Indexed:
    """``work`` on (index, item), giving (index, result): picklable for the pool."""

    def __init__(self, work: Callable[[Any], Any]) -> None:
        self.work = work

    def __call__(self, pair: tuple[int, Any]) -> tuple[int, Any]:
        return pair[0], self.work(pair[1])


def _on_dask(work: Callable[[Item], Result], items: Sequence[Item], address: str,
             done: Callable[[int], None] | None,
             failed: Callable[[Item, str], Result] | None) -> Iterator[Result]:
    try:
        # imported here: 269 ms saved at start-up when not needed
        from distributed import Client, as_completed
    except ImportError as exc:
        raise DaskError("--dask needs dask.distributed: pip install 'wirelens[dask]'") from exc
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        # pure=False: two equal items (the same file named twice) are two tasks
        futures = client.map(work, items, pure=False)
        where = {future.key: i for i, future in enumerate(futures)}
        results: dict[int, Result] = {}
        following = 0
        # results come back in batches as they finish, errors as values, not raised
        finished = as_completed(futures, with_results=True, raise_errors=False,
                                loop=client.loop)
        for count, (future, result) in enumerate(finished, start=1):
            i = where[future.key]
            # an error comes as its exception; a result may come while the future's status
            # still moves (a worker killed after it answered), so the value decides
            if not isinstance(result, BaseException):
                results[i] = result
            else:
                error = f"the Dask cluster could not run it: {result!r}"
                if failed is None:
                    raise DaskError(error)
                results[i] = failed(items[i], error)
            if done is not None:
                done(count)
            while following in results:
                yield results.pop(following)
                following += 1
    finally:
        client.close()
