"""Tune logistic regression on sklearn's digits with BoTorch, GENNES optimizing the acquisition.

The objective is the paper's BO experiment (`DigitsLogisticRegression`): the test error of SGD logistic
regression as a function of log10 learning rate, log10 L2 and L1 penalties and the number of epochs. A
SingleTaskGP with LogEI proposes one configuration per iteration; `optimize_acqf_gennes` maximizes LogEI.

    python examples/hpo_digits.py                        # 6 random points + 20 BO iterations, about a minute
    python examples/hpo_digits.py --iterations 30 --seed 2 --out figures/
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from botorch.acquisition import LogExpectedImprovement  # noqa: E402
from botorch.fit import fit_gpytorch_mll  # noqa: E402
from botorch.models import SingleTaskGP  # noqa: E402
from botorch.models.transforms import Normalize, Standardize  # noqa: E402
from gpytorch.mlls import ExactMarginalLogLikelihood  # noqa: E402

from gennes_bo import optimize_acqf_gennes  # noqa: E402
from gennes_bo.test_functions import DigitsLogisticRegression  # noqa: E402


def plot(errors: list[float], n_init: int, path: Path) -> None:
    """Test error of every evaluation and the best so far."""
    best = torch.tensor(errors).cummin(0).values
    fig, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
    ax.plot(range(1, len(errors) + 1), errors, "o", ms=4, color="0.6", label="evaluated")
    ax.step(range(1, len(errors) + 1), best, where="post", label="best so far")
    ax.axvline(n_init + 0.5, color="0.3", ls=":", lw=1, label="end of random design")
    ax.set(xlabel="evaluation", ylabel="test error", yscale="log",
           title="Digits logistic regression: BO with LogEI + GENNES")
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20, help="BO iterations (default 20)")
    parser.add_argument("--n-init", type=int, default=6, help="random initial configurations (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data split, the design and the optimizer")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder of the figure (default: here)")
    args = parser.parse_args(argv)

    problem = DigitsLogisticRegression(seed=args.seed, negate=True)  # BoTorch maximizes: -test error
    bounds = problem.bounds.to(torch.float64)
    d = bounds.shape[1]
    rng = torch.Generator().manual_seed(args.seed)
    train_X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(args.n_init, d, generator=rng, dtype=torch.float64)
    train_Y = problem(train_X).unsqueeze(-1)
    print(f"{args.n_init} random configurations, best test error {-train_Y.max():.4f}")

    for iteration in range(args.iterations):
        model = SingleTaskGP(train_X, train_Y, input_transform=Normalize(d, bounds=bounds),
                             outcome_transform=Standardize(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # occasional fitting warnings on tiny data sets
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acqf = LogExpectedImprovement(model, best_f=train_Y.max())
        candidate, _ = optimize_acqf_gennes(acqf, bounds=bounds, q=1, seed=args.seed * 1000 + iteration)
        new_Y = problem(candidate).unsqueeze(-1)
        train_X, train_Y = torch.cat([train_X, candidate]), torch.cat([train_Y, new_Y])
        print(f"iteration {iteration + 1:3d}: test error {-new_Y.item():.4f}, best {-train_Y.max():.4f}")

    best = int(train_Y.argmax())
    settings = DigitsLogisticRegression.hyperparameters(train_X[best])
    found = {"learning_rate": settings["eta0"], "l2": 10.0 ** train_X[best, 1].item(),
             "l1": 10.0 ** train_X[best, 2].item(), "epochs": settings["max_iter"]}
    print("best hyperparameters: " + ", ".join(
        f"{name} = {value:.3g}" if isinstance(value, float) else f"{name} = {value}" for name, value in found.items()))
    print(f"test error {-train_Y[best].item():.4f} after {len(train_Y)} evaluations")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "hpo_digits.png"
    plot((-train_Y.squeeze(-1)).tolist(), args.n_init, path)
    print(f"figure saved to {path}")
    return {**found, "test_error": -train_Y[best].item()}


if __name__ == "__main__":
    main()
