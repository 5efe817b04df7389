"""Google Vizier's GP bandit behind a JSON-lines protocol: one request per line on stdin, one response per line on
stdout.

Run by the Vizier virtual environment's python (`scripts/setup_external_samplers.sh`), not by the project's:
google-vizier 0.1.24 pins its own jax, equinox and numpy. `benchmarks/hpo_external.py` starts it once per study, so
the imports (~2.5 s) are paid once and JAX's compilations are cached for the study's later requests. Vizier runs
offline through its designer API (`VizierGPBandit`: a GP with ARD, UCB in a trust region, Eagle's acquisition
optimizer; its initial design is the centre of the space, then the GP), with no Vizier server. The designer pads the
trials to a multiple of 10 (its `padding_schedule`; padded rows are masked), so that JAX compiles the GP's functions
once per 10 trials of the study instead of on every request.

Request (minimization)::

    {"space": {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": true},
               "width": {"type": "int", "low": 4, "high": 256, "log": true},
               "act": {"type": "cat", "choices": ["relu", "tanh"]}},
     "history": [{"params": {"lr": 0.01, "width": 32, "act": "relu"}, "loss": 0.41}, ...],
     "n_suggestions": 8, "seed": 0, "step": 16, "options": {"dup_tol": 0.01}}

`loss` null (or non-finite) marks a crashed evaluation (told to Vizier as an infeasible trial, which its output warper
handles); `step` (default: the history's length) is the study's trial count; `options` is optional. Response:
`{"suggestions": [{...}, ...], "n_filled": k, "time_s": ..., "cpu_s": ...}`, or `{"error": "..."}` (the worker keeps
serving). Values come back as plain int / float / str inside the bounds.

Each request rebuilds the designer from the history (stateless: a response depends on the request only), seeded
from (seed, step). Batches: the GP bandit ignores pending (active) trials and its `suggest(n)` returns n near-equal
points, so a batch is one `suggest(n)` whose near-duplicates (max-norm distance below `dup_tol` in the unit, log-aware
space with the same categories, also against the history) are replaced by quasi-random points; `n_filled` counts
them. A batch costs about as much as one suggestion. Sequential suggestions with the previous ones as active trials
are no alternative: `VizierGPBandit.update` drops the active trials, so each returns the same point (and fantasized
values would refit the GP once per point). The same check applies to a single suggestion, so the worker does not
propose an evaluated point again.
"""

import math
import os
import time
import warnings

from worker_protocol import claim_stdout, clean, request_fields, serve, specs_of

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _problem(specs, vz):
    problem = vz.ProblemStatement()
    root = problem.search_space.root
    for s in specs:
        scale = vz.ScaleType.LOG if s.get("log") else vz.ScaleType.LINEAR
        if s["type"] == "float":
            root.add_float_param(s["name"], float(s["low"]), float(s["high"]), scale_type=scale)
        elif s["type"] == "int":
            root.add_int_param(s["name"], int(s["low"]), int(s["high"]), scale_type=scale)
        elif s["type"] == "cat":
            root.add_categorical_param(s["name"], feasible_values=[str(c) for c in s["choices"]])
        else:
            raise ValueError(f"unsupported type {s['type']!r} for {s['name']!r} (float, int or cat)")
    problem.metric_information.append(vz.MetricInformation(name="loss", goal=vz.ObjectiveMetricGoal.MINIMIZE))
    return problem


def _trials(specs, history, vz):
    trials = []
    for number, entry in enumerate(history):
        params = {s["name"]: clean(s, entry["params"][s["name"]]) for s in specs}
        trial = vz.Trial(id=number + 1, parameters=params)
        loss = math.inf if entry.get("loss") is None else float(entry["loss"])
        if math.isfinite(loss):
            trial.complete(vz.Measurement(metrics={"loss": loss}))
        else:
            trial.complete(vz.Measurement(), infeasibility_reason="non-finite loss")
        trials.append(trial)
    return trials


def _unit(specs, params):
    """A point as ([0, 1] coordinates, log-scaled where declared; its categories), for near-duplicate tests."""
    coordinates, categories = [], []
    for s in specs:
        value = params[s["name"]]
        if s["type"] == "cat":
            categories.append(value)
            continue
        low, high, value = float(s["low"]), float(s["high"]), float(value)
        if s.get("log"):
            low, high, value = math.log(low), math.log(high), math.log(value)
        coordinates.append((value - low) / (high - low) if high > low else 0.0)
    return coordinates, tuple(categories)


def _replace_duplicates(specs, suggestions, history, problem, tol, seed, quasi_random):
    """The suggestions with near-duplicates (of each other or of the history) replaced by quasi-random points."""

    def near(a, b):
        return a[1] == b[1] and (not a[0] or max(abs(x - y) for x, y in zip(a[0], b[0], strict=True)) < tol)

    kept = [_unit(specs, h["params"]) for h in history]
    distinct = []
    for params in suggestions:
        point = _unit(specs, params)
        if not any(near(point, other) for other in kept):
            kept.append(point)
            distinct.append(params)
    n_filled = 0
    designer = quasi_random.QuasiRandomDesigner(problem.search_space, skip_points=1000 + len(history), seed=seed)
    for _ in range(20):  # a few rounds: a quasi-random point may itself be a near-duplicate (small discrete spaces)
        if len(distinct) == len(suggestions):
            break
        for suggestion in designer.suggest(len(suggestions) - len(distinct)):
            params = {s["name"]: clean(s, suggestion.parameters[s["name"]].value) for s in specs}
            point = _unit(specs, params)
            if not any(near(point, other) for other in kept):
                kept.append(point)
                distinct.append(params)
                n_filled += 1
    return distinct + suggestions[len(distinct):], n_filled


def suggest(request, modules):
    """The response to one request (see the module's docstring)."""
    jax, vza, vz, padding, gp_bandit, quasi_random = modules
    specs = specs_of(request["space"])
    history, count, seed, step, options = request_fields(request)

    derived = (seed * 1000003 + step) % (2**31)
    problem = _problem(specs, vz)
    pad = padding.PaddingSchedule(num_trials=padding.PaddingType.MULTIPLES_OF_10)
    designer = gp_bandit.VizierGPBandit(problem, rng=jax.random.PRNGKey(derived), padding_schedule=pad)
    if history:
        designer.update(vza.CompletedTrials(_trials(specs, history, vz)), vza.ActiveTrials())
    suggestions = [{s["name"]: clean(s, t.parameters[s["name"]].value) for s in specs}
                   for t in designer.suggest(count=count)]
    suggestions, n_filled = _replace_duplicates(specs, suggestions, history, problem,
                                                float(options.get("dup_tol", 0.01)), derived % (2**16), quasi_random)
    return {"suggestions": suggestions[:count], "n_filled": n_filled}


def main():
    responses = claim_stdout()
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    import jax

    jax.config.update("jax_enable_x64", True)  # Vizier's GP works in float64
    from vizier import algorithms as vza
    from vizier import pyvizier as vz
    from vizier._src.algorithms.designers import gp_bandit, quasi_random
    from vizier.pyvizier.converters import padding

    modules = (jax, vza, vz, padding, gp_bandit, quasi_random)
    serve("vizier_worker", suggest, modules, responses, start)


if __name__ == "__main__":
    main()
