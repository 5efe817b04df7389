"""The pipeline policy: one pipeline per bucket of dimension and batch size, the greedy steps' restarts, and the
batch strategy (qUCB apart)."""

from __future__ import annotations

import pytest
import torch

from gennes_bo.acquisition.policy import (
    BATCH_POLICY,
    GREEDY_STEP_RESTARTS,
    POLICY,
    acquisition_family,
    choose_batch_strategy,
    choose_pipeline,
    greedy_step_restarts,
    policy_bucket,
)
from gennes_bo.acquisition.settings import AcqfSettings


@pytest.mark.parametrize(("q", "d", "bucket"), [(1, 6, (False, "q = 1")), (16, 60, (True, "q = 2-32")),
                                                (32, 29, (False, "q = 2-32")), (33, 30, (True, "q >= 33")),
                                                (64, 10, (False, "q >= 33")), (1, 0, (False, "q = 1"))])
def test_each_call_falls_in_one_bucket(q, d, bucket):
    assert policy_bucket(q=q, d=d) == bucket
    assert choose_pipeline(q=q, d=d, greedy=q > 1) == POLICY[bucket]


def test_every_bucket_names_a_pipeline_and_bad_sizes_raise():
    assert set(POLICY.values()) <= {"gennes", "lbfgs"} and len(POLICY) == 6
    with pytest.raises(ValueError, match="`q` must be >= 1"):
        choose_pipeline(q=0, d=3, greedy=False)


def test_greedy_steps_take_the_policys_restarts_where_it_sets_them_and_an_explicit_value_wins():
    assert greedy_step_restarts(q=1, d=6) is None  # one point: no greedy step
    assert greedy_step_restarts(q=16, d=10) == GREEDY_STEP_RESTARTS[(False, "q = 2-32")]
    assert greedy_step_restarts(q=16, d=60) is None  # no entry: `recommended_restarts`
    assert AcqfSettings().resolve(16, 10, greedy=True).num_restarts == GREEDY_STEP_RESTARTS[(False, "q = 2-32")]
    assert AcqfSettings().resolve(16, 60, greedy=True).num_restarts == 4
    assert AcqfSettings().resolve(64, 10, greedy=True).num_restarts == 4
    assert AcqfSettings().resolve(16, 10, greedy=False).num_restarts == 12  # a joint search keeps its own
    assert AcqfSettings(num_restarts=5).resolve(16, 10, greedy=True).num_restarts == 5
    assert AcqfSettings().resolve(16, 10, greedy=True, policy=False).num_restarts == 4  # the hook's, as before
    assert AcqfSettings().resolve(16, None, greedy=True).num_restarts is None  # a record of no fixed dimension


def test_qucb_is_told_apart_by_object_and_by_name(gp_model, qlogei):
    from botorch.acquisition import qUpperConfidenceBound

    assert acquisition_family(qUpperConfidenceBound(gp_model, beta=10.0)) == "qUCB"
    assert acquisition_family(qlogei) == "other acquisitions"
    assert acquisition_family("qucb") == "qUCB" and acquisition_family("qlognei") == "other acquisitions"


def test_the_batch_strategy_is_sequential_for_qucb_only_where_the_table_says():
    assert choose_batch_strategy(q=16, d=10, family="qUCB") == BATCH_POLICY[(False, "q = 2-32", "qUCB")]
    assert choose_batch_strategy(q=16, d=10, family="qUCB") == "sequential"
    assert choose_batch_strategy(q=16, d=10, family="other acquisitions") == "greedy"
    assert choose_batch_strategy(q=16, d=60, family="qUCB") == "greedy"
    assert choose_batch_strategy(q=64, d=10, family="qUCB") == "greedy"
    assert choose_batch_strategy(q=1, d=10, family="qUCB") == "greedy"
    with pytest.raises(ValueError, match="`family` must be one of"):
        choose_batch_strategy(q=4, d=3, family="qucb")
    auto = AcqfSettings()
    assert auto.with_strategy(16, 10, "qUCB") == auto.replace(batch_strategy="sequential")
    assert auto.with_strategy(16, 10, "qUCB").resolve(16, 10, greedy=True).num_restarts == 2  # the greedy steps'
    assert AcqfSettings(num_restarts=6).with_strategy(16, 10, "qUCB").num_restarts == 6  # the caller's wins
    assert AcqfSettings(batch_strategy="greedy").with_strategy(16, 10, "qUCB").batch_strategy == "greedy"
    assert auto.with_strategy(16, None, "qUCB") is auto and auto.with_strategy(16, 10, None) is auto


def test_a_default_call_builds_a_qucb_batch_sequentially_as_sequential_true_does(gp_model, bounds, qlogei):
    from botorch.acquisition import qUpperConfidenceBound

    from gennes_bo import optimize_acqf_gennes

    qucb = qUpperConfidenceBound(gp_model, beta=10.0)
    small = {"raw_samples": 32}
    default, _, info = optimize_acqf_gennes(qucb, bounds, 2, seed=0, return_info=True, **small)
    assert (info.settings.batch_strategy, info.settings.num_restarts) == ("sequential", 2)
    explicit, _ = optimize_acqf_gennes(qucb, bounds, 2, seed=0, sequential=True, **small)
    assert torch.equal(default, explicit)  # the policy's choice is the `sequential=True` call, point for point
    _, _, info = optimize_acqf_gennes(qucb, bounds, 2, seed=0, return_info=True,
                                      settings=AcqfSettings(batch_strategy="greedy", **small))
    assert info.settings.batch_strategy == "greedy"
    _, _, info = optimize_acqf_gennes(qlogei, bounds, 2, seed=0, return_info=True, **small)
    assert info.settings.batch_strategy == "greedy"
