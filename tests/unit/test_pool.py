"""octavo.pool: the one way octavo runs work in parallel, and its in-process path for one job."""

from __future__ import annotations

import os

import pytest

from octavo.pool import Pool, Start, can_fork, workers


def where(shared: dict[str, int], key: str, times: int = 1) -> tuple[int, int]:
    """The shared value times ``times``, and the process that worked it out."""
    return shared[key] * times, os.getpid()


def fail(shared: object, message: str) -> None:
    raise ValueError(message)


def test_one_job_runs_each_task_here_as_it_is_submitted() -> None:
    with workers(1, {"a": 2}) as pool:
        assert pool.executor is None
        assert pool.submit(where, "a", times=3).result() == (6, os.getpid())


def test_a_failed_task_is_raised_by_result_as_a_pool_would() -> None:
    pool = Pool(None)
    future = pool.submit(fail, "broken")
    with pytest.raises(ValueError, match="broken"):
        future.result()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_workers_see_the_shared_value_and_run_elsewhere(start: Start) -> None:
    if start == "fork":
        assert can_fork(), "the tests run on Linux, where octavo forks its page and chapter workers"
    with workers(2, {"a": 5}, start=start) as pool:
        results = [pool.submit(where, "a", times=n).result() for n in range(1, 5)]
    assert [value for value, _ in results] == [5, 10, 15, 20]
    assert all(pid != os.getpid() for _, pid in results)
