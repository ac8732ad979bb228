"""The shared recount budget (core/cooldown.py), on a clock moved by hand."""

from __future__ import annotations

import pytest

from hashrally.core import cooldown


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr("hashrally.core.cooldown.time.monotonic", lambda: now[0])
    return now


def _run(budget: cooldown.CoolDown, key: int, clock: list[float], seconds: float) -> None:
    def work() -> None:
        clock[0] += seconds

    budget.run(key, work)


def test_with_the_whole_time_the_budget_never_runs_out(clock: list[float]) -> None:
    budget = cooldown.CoolDown(lambda: 1.0, shared=True)
    for key in range(5):  # runs far longer than the budget saved
        assert budget.ready(key)
        _run(budget, key, clock, 3.0)


def test_a_long_run_makes_every_key_wait_its_share(clock: list[float]) -> None:
    budget = cooldown.CoolDown(lambda: 0.05, shared=True)
    _run(budget, 1, clock, 1.0)  # 0.25 saved + 0.05 earned - 1.0: 0.7 s of work owed
    assert not budget.ready(2)
    clock[0] += 13.0  # 0.65 earned back
    assert not budget.ready(2)
    clock[0] += 1.5
    assert budget.ready(2)


def test_small_runs_go_together_until_the_saved_budget_is_spent(clock: list[float]) -> None:
    budget = cooldown.CoolDown(lambda: 0.05, shared=True)
    done = []
    for key in budget.order(range(100)):
        if not budget.ready(key):
            break
        _run(budget, key, clock, 0.01)
        done.append(key)
    # 0.25 s saved, 0.0095 s net per run: 26 runs of 10 ms in one round, then a wait.
    assert len(done) == 27
    assert budget.order([5, 99, 3]) == [99, 3, 5]  # never run first, then the longest waiting
