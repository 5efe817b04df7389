"""The pipeline policy: one pipeline per bucket of dimension and batch size, and the greedy steps' restarts."""

from __future__ import annotations

import pytest

from gennes_bo.acquisition.policy import (
    GREEDY_STEP_RESTARTS,
    POLICY,
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
