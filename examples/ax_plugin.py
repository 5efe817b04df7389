"""GENNES inside an Ax optimization loop (needs the `ax` extra: `pip install -e ".[ax]"`).

Two routes, both through Ax's `Client` with a custom generation strategy (Sobol points, then BoTorch + GENNES):

- `--space continuous` (default): Hartmann6 over six float parameters. Ax's modular BoTorch generator passes the
  `optimizer_kwargs` of `model_gen_options` straight to `botorch.optim.optimize_acqf`, so
  `gen_candidates=gen_candidates_gennes` swaps the candidate generator while Ax keeps its own surrogate,
  acquisition function and defaults. GENNES settings ride along as one value, `options["gennes_settings"]`.
- `--space mixed`: Hartmann6 with three integer parameters (5 levels each), one unordered choice parameter (5
  values) and two floats. Ax sends such spaces to its mixed optimizers, which reject `gen_candidates`, so the
  BoTorch step takes `acquisition_class=GennesAcquisition` (`gennes_bo.integrations.ax`), which routes them to
  `optimize_acqf_mixed_gennes`.

    python examples/ax_plugin.py                         # Hartmann6, 8 Sobol + 12 BO trials, about a minute
    python examples/ax_plugin.py --space mixed --trials 20 --seed 1 --out figures/
"""

from __future__ import annotations

import argparse
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from ax.api.client import Client  # noqa: E402
from ax.api.configs import ChoiceParameterConfig, RangeParameterConfig  # noqa: E402
from ax.generation_strategy.generation_node import GenerationStep  # noqa: E402
from ax.generation_strategy.generation_strategy import GenerationStrategy  # noqa: E402
from botorch.test_functions import Hartmann  # noqa: E402

from gennes_bo import AcqfSettings, gen_candidates_gennes  # noqa: E402
from gennes_bo.integrations.ax import GennesAcquisition  # noqa: E402

try:  # Ax 1.x name of the generator registry
    from ax.adapter.registry import Generators
except ImportError:  # pragma: no cover - older Ax
    from ax.modelbridge.registry import Models as Generators


def counting(gen_candidates: Callable, calls: list[int]) -> Callable:
    """`gen_candidates` that appends to `calls` on every call, to show that Ax went through GENNES.

    A function, not an object with a counter: Ax deep-copies its generation kwargs, and a deep copy of a
    function is the function itself.
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return gen_candidates(*args, **kwargs)

    return wrapped


class CountingGennesAcquisition(GennesAcquisition):
    """`GennesAcquisition` that appends the optimizer of each call to a class-level list (Ax builds a new
    acquisition object per trial, so an instance attribute would not survive)."""

    optimizers: list[str] = []

    def optimize(self, *args: Any, **kwargs: Any) -> Any:
        result = super().optimize(*args, **kwargs)
        self.optimizers.append(self.last_optimizer)
        return result


def gennes_generation_strategy(
    n_sobol: int, seed: int, gen_candidates: Callable | None = gen_candidates_gennes,
    acquisition_class: type | None = None,
) -> GenerationStrategy:
    """Sobol for `n_sobol` trials, then Ax's modular BoTorch generator with GENNES as acquisition optimizer:
    through `gen_candidates` (continuous spaces) or through `acquisition_class` (any space)."""
    # optimize_acqf_gennes's settings (GENNES config, pipeline, seed, ...) travel in BoTorch's options as one value
    optimizer_kwargs: dict[str, Any] = {"options": {"gennes_settings": AcqfSettings(seed=seed)}}
    if gen_candidates is not None:
        optimizer_kwargs["gen_candidates"] = gen_candidates
    generator_kwargs = {} if acquisition_class is None else {"acquisition_class": acquisition_class}
    return GenerationStrategy(
        name="Sobol+BoTorch+GENNES",
        nodes=[
            GenerationStep(generator=Generators.SOBOL, num_trials=n_sobol, generator_kwargs={"seed": seed}),
            GenerationStep(
                generator=Generators.BOTORCH_MODULAR,
                num_trials=-1,
                generator_kwargs=generator_kwargs,
                generator_gen_kwargs={"model_gen_options": {"optimizer_kwargs": optimizer_kwargs}},
            ),
        ],
    )


LEVELS = 5  # integer parameters k in {0, ..., 4} stand for x = k / 4
CHOICES = ["0.1", "0.3", "0.5", "0.7", "0.9"]  # an unordered choice parameter whose values are x


def mixed_parameters() -> list:
    """Hartmann6 as a mixed space: x0-x2 integer levels, x3 an unordered choice, x4-x5 floats."""
    return (
        [RangeParameterConfig(name=f"k{i}", parameter_type="int", bounds=(0, LEVELS - 1)) for i in range(3)]
        + [ChoiceParameterConfig(name="c3", parameter_type="str", values=CHOICES, is_ordered=False)]
        + [RangeParameterConfig(name=f"x{i}", parameter_type="float", bounds=(0.0, 1.0)) for i in (4, 5)]
    )


def mixed_point(parameters: dict[str, Any]) -> list[float]:
    """The Hartmann6 point of a mixed-space trial; raises if Ax returned an invalid value."""
    levels = [parameters[f"k{i}"] for i in range(3)]
    if not all(isinstance(k, int) and 0 <= k < LEVELS for k in levels) or parameters["c3"] not in CHOICES:
        raise ValueError(f"invalid mixed-space trial {parameters}")
    return [k / (LEVELS - 1) for k in levels] + [float(parameters["c3"]), parameters["x4"], parameters["x5"]]


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12, help="BO trials after the Sobol ones (default 12)")
    parser.add_argument("--n-sobol", type=int, default=8, help="Sobol trials (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of Sobol and of GENNES")
    parser.add_argument("--space", choices=["continuous", "mixed"], default="continuous",
                        help="six floats through gen_candidates, or integers and a choice through "
                             "GennesAcquisition (default continuous)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder of the figure (default: here)")
    args = parser.parse_args(argv)
    for name in list(logging.root.manager.loggerDict):  # Ax's loggers report every trial at INFO
        if name.startswith("ax."):
            logging.getLogger(name).setLevel(logging.WARNING)

    hartmann = Hartmann(dim=6)  # minimize; optimum -3.32237
    mixed = args.space == "mixed"
    client = Client()
    client.configure_experiment(
        parameters=mixed_parameters() if mixed else
        [RangeParameterConfig(name=f"x{i}", parameter_type="float", bounds=(0.0, 1.0)) for i in range(6)],
        name="hartmann6_gennes",
    )
    client.configure_optimization(objective="-hartmann6")
    calls: list[int] = []
    CountingGennesAcquisition.optimizers.clear()
    if mixed:
        strategy = gennes_generation_strategy(args.n_sobol, args.seed, None, CountingGennesAcquisition)
    else:
        strategy = gennes_generation_strategy(args.n_sobol, args.seed, counting(gen_candidates_gennes, calls))
    client.set_generation_strategy(strategy)

    values = []
    for _ in range(args.n_sobol + args.trials):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Ax's and gpytorch's advisory warnings on small data
            trials = client.get_next_trials(max_trials=1)
        for index, parameters in trials.items():
            point = mixed_point(parameters) if mixed else [parameters[f"x{i}"] for i in range(6)]
            x = torch.tensor([point], dtype=torch.float64)
            value = hartmann(x).item()
            client.complete_trial(trial_index=index, raw_data={"hartmann6": value})
            values.append(value)
            print(f"trial {index:3d}: hartmann6 = {value:.4f}, best {min(values):.4f}")

    best = min(values)
    if mixed:
        used = ", ".join(sorted(set(CountingGennesAcquisition.optimizers))) or "none"
        through = f"{len(CountingGennesAcquisition.optimizers)} GennesAcquisition calls ({used})"
    else:
        through = f"gen_candidates_gennes called {len(calls)} times"
    print(f"best hartmann6 {best:.4f} (optimum {hartmann.optimal_value:.4f}) after {len(values)} trials; {through}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("ax_plugin_mixed.png" if mixed else "ax_plugin.png")
    fig, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
    ax.plot(range(1, len(values) + 1), values, "o", ms=4, color="0.6", label="trial")
    ax.step(range(1, len(values) + 1), torch.tensor(values).cummin(0).values, where="post", label="best so far")
    ax.axhline(hartmann.optimal_value, color="0.3", ls=":", label="optimum")
    ax.axvline(args.n_sobol + 0.5, color="0.3", ls="--", lw=1, label="Sobol | BoTorch + GENNES")
    ax.set(xlabel="trial", ylabel="Hartmann6", title=f"Ax loop with GENNES as acquisition optimizer ({args.space})")
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"figure saved to {path}")
    return best


if __name__ == "__main__":
    main()
