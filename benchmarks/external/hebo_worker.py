"""HEBO behind a JSON-lines protocol: one request per line on stdin, one response per line on stdout.

Run by the HEBO virtual environment's python (`scripts/setup_external_samplers.sh`), not by the project's: HEBO 0.3.6
pins numpy < 1.25. `benchmarks/hpo_external.py` starts it once per study, so HEBO's imports (~2.5 s) are paid once.

Request (minimization)::

    {"space": {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": true},
               "width": {"type": "int", "low": 4, "high": 256, "log": true},
               "act": {"type": "cat", "choices": ["relu", "tanh"]}},
     "history": [{"params": {"lr": 0.01, "width": 32, "act": "relu"}, "loss": 0.41}, ...],
     "n_suggestions": 8, "seed": 0, "step": 16, "options": {"rand_sample": null, "model_name": "gp"}}

`loss` null (or non-finite) marks a crashed evaluation; `step` (default: the history's length) is the study's trial
count; `options` is optional. Response: `{"suggestions": [{...}, ...], "time_s": ..., "cpu_s": ..., "phase":
"initial" | "model"}`, or `{"error": "..."}` (the worker keeps serving). Values come back as plain int / float / str
inside the bounds.

Each request rebuilds HEBO from the history (stateless: a response depends on the request only), seeded from
(seed, step). HEBO's own initial design (1 + d scrambled Sobol points, scrambled by `seed`) is fast-forwarded by
`step`, so that successive requests continue one Sobol sequence instead of repeating its first points. HEBO drops
non-finite losses; they are replaced here by the worst finite loss, so that a crashed point is not suggested again.
Stdout carries the responses only: whatever else is written to it (pymoo's notice on import) goes to stderr.
"""

import random
import time
import warnings

from worker_protocol import claim_stdout, clean, request_fields, serve, specs_of


def _to_hebo(spec):
    kind, name = spec["type"], spec["name"]
    if kind == "float":
        low, high = float(spec["low"]), float(spec["high"])
        return {"name": name, "type": "pow" if spec.get("log") else "num", "lb": low, "ub": high,
                **({"base": 10} if spec.get("log") else {})}
    if kind == "int":
        low, high = int(spec["low"]), int(spec["high"])
        if spec.get("log") and low < 1:
            raise ValueError(f"log int {name!r} needs low >= 1, got {low!r}")
        return {"name": name, "type": "pow_int" if spec.get("log") else "int", "lb": low, "ub": high,
                **({"base": 10} if spec.get("log") else {})}
    if kind == "cat":
        return {"name": name, "type": "cat", "categories": [str(c) for c in spec["choices"]]}
    raise ValueError(f"unsupported type {kind!r} for {name!r} (float, int or cat)")


def suggest(request, modules):
    """The response to one request (see the module's docstring)."""
    np, pd, torch, DesignSpace, HEBO = modules
    specs = specs_of(request["space"])
    names = [s["name"] for s in specs]
    history, count, seed, step, options = request_fields(request)

    derived = (seed * 1000003 + step) % (2**32)
    random.seed(derived)
    np.random.seed(derived)
    torch.manual_seed(derived)
    space = DesignSpace().parse([_to_hebo(s) for s in specs])
    optimizer = HEBO(space, model_name=options.get("model_name", "gp"), rand_sample=options.get("rand_sample"),
                     scramble_seed=seed)
    optimizer.sobol.fast_forward(step)
    if history:
        losses = np.array([np.inf if h.get("loss") is None else float(h["loss"]) for h in history])
        finite = np.isfinite(losses)
        if finite.any():
            losses[~finite] = losses[finite].max()
        frame = pd.DataFrame([{name: h["params"][name] for name in names} for h in history], columns=names)
        for s in specs:  # the dtypes HEBO produces itself
            frame[s["name"]] = frame[s["name"]].astype({"int": int, "float": float, "cat": str}[s["type"]])
        optimizer.observe(frame, losses.reshape(-1, 1))
    phase = "initial" if optimizer.X.shape[0] < optimizer.rand_sample else "model"
    rows = optimizer.suggest(n_suggestions=count)
    suggestions = [{s["name"]: clean(s, row[s["name"]]) for s in specs} for _, row in rows.iterrows()]
    return {"suggestions": suggestions, "phase": phase}


def main():
    responses = claim_stdout()
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import numpy as np
    import pandas as pd
    import torch

    try:
        from pymoo.config import Config

        Config.warnings["not_compiled"] = False
    except ImportError:
        pass
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    modules = (np, pd, torch, DesignSpace, HEBO)
    serve("hebo_worker", suggest, modules, responses, start)


if __name__ == "__main__":
    main()
