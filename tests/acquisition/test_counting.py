"""Tests of acquisition-evaluation counting."""

from __future__ import annotations

import math
import time

import pytest
import torch
from botorch.optim import optimize_acqf

from gennes_bo.acquisition import count_acqf_evals


class Quadratic(torch.nn.Module):
    """`b x q x d -> b`: minus the squared distance of the batch to 0.5, a stand-in acquisition."""

    def forward(self, X):
        return -((X - 0.5) ** 2).sum((-1, -2))


def test_counts_points_and_calls():
    acqf = Quadratic()
    with count_acqf_evals(acqf) as counter:
        acqf(torch.rand(5, 2, 3))
        acqf(torch.rand(1, 3))  # a single q x d batch
        acqf(torch.rand(4, 6, 1, 3))
        time.sleep(0.05)
    assert counter.n_calls == 3
    assert counter.n_evals == 5 + 1 + 24
    assert counter.trace == []
    assert 0.05 <= counter.wall_time < 5.0  # the whole block, sleep included


def test_hook_is_removed_on_exit_even_after_an_error():
    acqf = Quadratic()
    with pytest.raises(RuntimeError), count_acqf_evals(acqf) as counter:
        acqf(torch.rand(2, 1, 3))
        raise RuntimeError("boom")
    acqf(torch.rand(3, 1, 3))
    assert counter.n_evals == 2
    assert len(acqf._forward_hooks) == 0


def test_record_trace_is_the_best_so_far_and_skips_nonfinite():
    acqf = Quadratic()
    x_good = torch.full((1, 1, 2), 0.5)  # value 0
    x_bad = torch.zeros(2, 1, 2)  # value -0.5 each
    with count_acqf_evals(acqf, record=True) as counter:
        acqf(x_bad)
        acqf(x_good)
        acqf(x_bad)
        acqf(torch.full((1, 1, 2), math.nan))
    assert counter.trace == [(2, -0.5), (3, 0.0), (5, 0.0), (6, 0.0)]
    assert counter.evals_to_reach(-0.5) == 2
    assert counter.evals_to_reach(0.0) == 3
    assert counter.evals_to_reach(0.1) is None


def test_counts_a_real_botorch_optimization(logei, bounds):
    with count_acqf_evals(logei) as counter:
        optimize_acqf(logei, bounds, q=1, num_restarts=2, raw_samples=16, options={"maxiter": 5})
    # At least the raw samples and one value-and-gradient per restart.
    assert counter.n_evals >= 16 + 2
    assert counter.n_calls >= 2
