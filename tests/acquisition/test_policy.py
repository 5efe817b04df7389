"""The pipeline policy: one pipeline per bucket of dimension and batch size."""

from __future__ import annotations

import pytest

from gennes_bo.acquisition.policy import POLICY, choose_pipeline


@pytest.mark.parametrize(("q", "d", "bucket"), [(1, 6, (False, "q = 1")), (16, 60, (True, "q = 2-32")),
                                                (32, 29, (False, "q = 2-32")), (33, 30, (True, "q >= 33")),
                                                (64, 10, (False, "q >= 33")), (1, 0, (False, "q = 1"))])
def test_each_call_falls_in_one_bucket(q, d, bucket):
    assert choose_pipeline(q=q, d=d, greedy=q > 1) == POLICY[bucket]


def test_every_bucket_names_a_pipeline_and_bad_sizes_raise():
    assert set(POLICY.values()) <= {"gennes", "lbfgs"} and len(POLICY) == 6
    with pytest.raises(ValueError, match="`q` must be >= 1"):
        choose_pipeline(q=0, d=3, greedy=False)
