"""Tests of the noise-annealing schedules."""

from __future__ import annotations

import math

import pytest

from gennes_bo.gennes import StagnationDecay, constant, cosine_decay, decay_to, exponential_decay, stagnation_decay
from gennes_bo.gennes.schedules import AdaptiveSchedule


def test_exponential_decay_values():
    schedule = exponential_decay(0.9)
    assert schedule(0) == 1.0
    assert schedule(1) == pytest.approx(0.9)
    assert schedule(10) == pytest.approx(0.9**10)
    floored = exponential_decay(0.5, floor=0.1)
    assert floored(2) == pytest.approx(0.25)
    assert floored(10) == 0.1


def test_decay_to_reaches_final_scale_at_n_steps():
    schedule = decay_to(1e-2, 40)
    assert schedule(0) == 1.0
    assert schedule(40) == pytest.approx(1e-2, rel=1e-9)
    assert schedule(20) == pytest.approx(1e-1, rel=1e-9)


def test_cosine_decay_values():
    schedule = cosine_decay(10, final_scale=0.01)
    assert schedule(0) == pytest.approx(1.0)
    assert schedule(5) == pytest.approx(0.01 + 0.99 * 0.5)
    assert schedule(10) == pytest.approx(0.01)
    assert schedule(100) == pytest.approx(0.01)  # constant after n_steps
    values = [schedule(t) for t in range(11)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_constant():
    schedule = constant()
    assert [schedule(t) for t in (0, 1, 1000)] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: exponential_decay(1.0), "rate"),
        (lambda: exponential_decay(0.0), "rate"),
        (lambda: exponential_decay(-0.5), "rate"),
        (lambda: exponential_decay(0.9, floor=1.0), "floor"),
        (lambda: exponential_decay(0.9, floor=-0.1), "floor"),
        (lambda: decay_to(1.5, 10), "final_scale"),
        (lambda: decay_to(0.1, 0), "n_steps"),
        (lambda: cosine_decay(0), "n_steps"),
        (lambda: cosine_decay(10, final_scale=0.0), "final_scale"),
        (lambda: StagnationDecay(rate=1.0), "rate"),
        (lambda: StagnationDecay(patience=0), "patience"),
        (lambda: StagnationDecay(tol=-1e-3), "tol"),
        (lambda: StagnationDecay(floor=1.0), "floor"),
        (lambda: stagnation_decay(rate=2.0), "rate"),
    ],
)
def test_validation_errors_name_the_argument(factory, name):
    with pytest.raises(ValueError, match=f"`{name}` must be"):
        factory()


def test_stagnation_decay_only_decays_on_stagnation():
    schedule = stagnation_decay(rate=0.5, patience=3, tol=0.0)
    assert isinstance(schedule, StagnationDecay)
    assert isinstance(schedule, AdaptiveSchedule)
    assert not isinstance(exponential_decay(), AdaptiveSchedule)
    assert schedule(0) == 1.0
    for value in (1.0, 2.0, 3.0, 4.0):  # steady improvement: no decay
        schedule.observe(value)
    assert schedule(4) == 1.0
    schedule.observe(4.0)
    schedule.observe(4.0)
    assert schedule(6) == 1.0  # two stagnant steps < patience
    schedule.observe(4.0)
    assert schedule(7) == 0.5  # third stagnant step: decay, counter reset
    schedule.observe(4.0)
    schedule.observe(4.0)
    assert schedule(9) == 0.5
    schedule.observe(4.0)
    assert schedule(10) == 0.25
    schedule.observe(5.0)  # an improvement resets the count
    schedule.observe(5.0)
    schedule.observe(5.0)
    assert schedule(13) == 0.25
    # The scale does not depend on the step argument, only on what was observed.
    assert schedule(0) == schedule(1000) == 0.25


def test_stagnation_decay_relative_tolerance_and_floor():
    schedule = StagnationDecay(rate=0.1, patience=1, tol=1e-2, floor=0.05)
    schedule.observe(100.0)
    schedule.observe(100.5)  # +0.5% < 1% relative: counts as stagnation
    assert schedule(2) == pytest.approx(0.1)
    schedule.observe(102.0)  # +1.5%: an improvement
    assert schedule(3) == pytest.approx(0.1)
    schedule.observe(102.0)
    assert schedule(4) == 0.05  # 0.01 would be below the floor
    schedule.observe(102.0)
    assert schedule(5) == 0.05


def test_stagnation_decay_absolute_tolerance_near_zero():
    # Near zero, the tolerance is absolute (relative to max(|best|, 1)).
    schedule = StagnationDecay(rate=0.5, patience=1, tol=1e-2)
    schedule.observe(0.0)
    schedule.observe(0.005)
    assert schedule(2) == 0.5
    schedule.observe(0.02)
    assert schedule(3) == 0.5


def test_stagnation_decay_never_improving_from_minus_inf():
    schedule = StagnationDecay(rate=0.5, patience=2)
    schedule.observe(-math.inf)
    schedule.observe(-math.inf)
    assert schedule(2) == 0.5
