"""Shared fixtures: a tiny GP posterior and its acquisition functions (kept small so the suite runs in seconds)."""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import pytest
import torch
from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
from botorch.models import SingleTaskGP
from botorch.sampling import SobolQMCNormalSampler

from gennes_bo import GennesConfig

# A few short GENNES steps and a short polish: these tests check the contract, not the optimization quality.
FAST_CONFIG = GennesConfig(n_generators=2, population_size=8, n_iterations=5, hidden_width=16, n_hidden=2,
                           output_std=0.3, lr=0.02, alpha=0.9, n_polish=2, polish_maxiter=10)


@pytest.fixture(scope="session")
def gp_model() -> SingleTaskGP:
    """SingleTaskGP on 10 points of a concave function in d = 3 (default hyperparameters, no fitting)."""
    X = torch.rand(10, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = -((X - 0.4) ** 2).sum(-1, keepdim=True)
    model = SingleTaskGP(X, Y)
    model.eval()
    return model


@pytest.fixture
def bounds() -> torch.Tensor:
    return torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], dtype=torch.float64)


@pytest.fixture
def logei(gp_model) -> LogExpectedImprovement:
    """Analytic LogEI (q = 1 only)."""
    return LogExpectedImprovement(gp_model, best_f=gp_model.train_targets.max())


@pytest.fixture
def qlogei(gp_model) -> qLogExpectedImprovement:
    """qLogEI with a small seeded QMC sampler, so results are deterministic and cheap."""
    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([16]), seed=0)
    return qLogExpectedImprovement(gp_model, best_f=gp_model.train_targets.max(), sampler=sampler)


@pytest.fixture
def fast_config() -> GennesConfig:
    return FAST_CONFIG


@pytest.fixture(scope="session")
def quick_bench(tmp_path_factory) -> tuple[Path, str]:
    """`gennes-bo bench-acqf --quick --seeds 1` run once for the session (two GP fits): records path and stdout."""
    out = tmp_path_factory.mktemp("bench") / "acqf.jsonl"
    return out, run_cli("bench-acqf", "--quick", "--out", str(out), "--workers", "0", "--no-progress")


def run_cli(*argv: str) -> str:
    """Run `gennes-bo ARGV` in this process (warnings silenced); assert it exits 0; return its stdout."""
    from gennes_bo.cli import main

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(list(argv)) == 0
    return stdout.getvalue()
