"""Ideal digits: the 8x8 image each classifier finds most convincing, found by evolution strategies.

A RandomForest trained on sklearn's digits is a black box with a piecewise-constant output, so it has no useful
gradient with respect to its input. Evolution strategies (`method="es"`) only need its scores: for each digit
they search the image in [0, 16]^64 that maximizes the predicted probability of that digit. The same search
then runs against an ensemble (the mean probability of a RandomForest, extra trees and a logistic regression),
whose ideal images usually look more like digits. Each run saves a 2 x 5 grid of the ten images with their
confidences.

    python examples/ideal_digits.py                      # 2000 evaluations per digit and model, < 1 minute
    python examples/ideal_digits.py --max-evals 400 --trees 20 --out figures/
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from torch import Tensor  # noqa: E402

from gennes_bo import minimize  # noqa: E402

PIXELS = 64
BOUNDS = torch.tensor([[0.0] * PIXELS, [16.0] * PIXELS], dtype=torch.float64)  # digits pixels are 0..16
# Larger populations and steps than the ES defaults, and normalized fitness as in the blog post: the forest's
# output is piecewise constant, so small perturbations often change nothing (tried on digits 1 and 3).
ES_OPTIONS = {"population_size": 50, "sigma": 0.3, "final_sigma": 0.05, "lr": 0.2, "shaping": "normalize"}


def train_models(n_trees: int, seed: int) -> dict[str, list]:
    """Fit the classifiers on all of sklearn's digits; returns `{"random_forest": [...], "ensemble": [...]}`."""
    data = load_digits()
    forest = RandomForestClassifier(n_estimators=n_trees, criterion="entropy", random_state=seed)
    extra = ExtraTreesClassifier(n_estimators=n_trees, random_state=seed)
    # Scaled pixels: lbfgs on raw 0..16 pixels needs thousands of iterations to converge.
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    for model in (forest, extra, logistic):
        model.fit(data.data, data.target)
    return {"random_forest": [forest], "ensemble": [forest, extra, logistic]}


def confidence(models: list, digit: int) -> Callable[[Tensor], np.ndarray]:
    """The objective: mean predicted probability of `digit` over `models`, for an `n x 64` batch of images."""

    def score(images: Tensor) -> np.ndarray:
        batch = images.detach().cpu().numpy()
        return np.mean([model.predict_proba(batch)[:, digit] for model in models], axis=0)

    return score


def ideal_digits(models: list, max_evals: int, seed: int) -> list[tuple[Tensor, float]]:
    """For each digit, the image that maximizes its confidence: ten `(64 pixels, confidence)` pairs."""
    found = []
    for digit in range(10):
        result = minimize(confidence(models, digit), BOUNDS, "es", max_evals=max_evals, seed=seed + digit,
                          maximize=True, **ES_OPTIONS, n_init=min(50, max_evals // 4))
        found.append((result.x, result.fun))
    return found


def plot_grid(found: list[tuple[Tensor, float]], title: str, path: Path) -> None:
    """A 2 x 5 grid of the ten images, each titled with its digit and confidence."""
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.6), constrained_layout=True)
    for digit, (ax, (image, score)) in enumerate(zip(axes.flat, found, strict=True)):
        ax.imshow(image.reshape(8, 8).numpy(), cmap="gray_r", vmin=0.0, vmax=16.0)
        ax.set_title(f"{digit}: {score:.2f}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-evals", type=int, default=2000, help="evaluations per digit and model (default 2000)")
    parser.add_argument("--trees", type=int, default=100, help="trees of each forest (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the models and of the searches")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder of the figures (default: here)")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    confidences = {}
    for name, models in train_models(args.trees, args.seed).items():
        found = ideal_digits(models, args.max_evals, args.seed)
        confidences[name] = [score for _, score in found]
        label = name.replace("_", " ")
        print(f"{label}: confidence per digit " + " ".join(f"{d}:{s:.2f}" for d, s in enumerate(confidences[name])))
        path = args.out / f"ideal_digits_{name}.png"
        plot_grid(found, f"Ideal digits of the {label} (digit: confidence), ES, {args.max_evals} evaluations each",
                  path)
        print(f"figure saved to {path}")
    return confidences


if __name__ == "__main__":
    main()
