"""octavo.stack: a deep call tree runs in one stack chunk, so a hot call at a chunk's edge does not
map and unmap a chunk each time (CPython gh-142183)."""

from __future__ import annotations

import resource
import sys

import pytest

from octavo.stack import ENLARGED, in_one_chunk

CALLS = 3000


def _leaf(n: int) -> int:
    return n


def _hot(calls: int) -> int:
    return sum(_leaf(i) for i in range(calls))


def _at_depth(depth: int, calls: int) -> int:
    return _at_depth(depth - 1, calls) if depth else _hot(calls)


def _faults(run: object) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert callable(run)
    run()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _worst_depth() -> tuple[int, int]:
    """The depth, below this test's own frames, at which the hot calls fault the most."""
    return max((_faults(lambda d=depth: _at_depth(d, CALLS)), depth) for depth in range(400))


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the chunked frame stack is CPython's")
def test_a_hot_call_at_a_chunk_edge_stops_faulting_in_one_chunk() -> None:
    faults, depth = _worst_depth()
    if faults < CALLS // 2:
        pytest.skip(f"this Python does not map a chunk per call at any depth (at most {faults} faults)")
    assert ENLARGED
    inside = _faults(lambda: in_one_chunk(_at_depth)(depth, CALLS))
    assert inside < faults // 20, (depth, faults, inside)
    assert in_one_chunk(_at_depth)(depth, CALLS) == _at_depth(depth, CALLS) == sum(range(CALLS))


def test_a_call_inside_another_runs_directly_and_gives_the_same_result() -> None:
    @in_one_chunk
    def outer() -> int:
        return in_one_chunk(_hot)(10) + 1

    assert outer() == sum(range(10)) + 1
