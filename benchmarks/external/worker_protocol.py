"""What the HEBO and Vizier workers share: the JSON-lines loop, stdout kept for responses, and space helpers.

Plain Python with no dependency, imported by the two worker scripts of this folder (run by their own virtual
environments' python, with this folder first on `sys.path`), never by the project.
"""

import json
import os
import sys
import time
import traceback


def claim_stdout():
    """The responses' stream; file descriptor 1 and `sys.stdout` are pointed at stderr for everything else."""
    responses = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return responses


def specs_of(space):
    """The request's space as a list of specs, each with its `name`."""
    if not isinstance(space, dict) or not space:
        raise ValueError(f"`space` must be a non-empty object of name -> spec, got {space!r}")
    return [dict(spec, name=name) for name, spec in space.items()]


def request_fields(request):
    """`(history, count, seed, step, options)` of a request: `n_suggestions` (default 1, at least 1), `seed`
    (default 0), `step` (default: the history's length) and `options` (default none)."""
    history = request.get("history") or []
    count = int(request.get("n_suggestions", 1))
    if count < 1:
        raise ValueError(f"`n_suggestions` must be >= 1, got {count}")
    return history, count, int(request.get("seed", 0)), int(request.get("step", len(history))), \
        request.get("options") or {}


def clean(spec, value):
    """An optimizer's value as a plain JSON value inside the declared bounds."""
    if spec["type"] == "float":
        return min(max(float(value), float(spec["low"])), float(spec["high"]))
    if spec["type"] == "int":
        return min(max(int(round(float(value))), int(spec["low"])), int(spec["high"]))
    return str(value)


def serve(name, suggest, modules, responses, imports_started):
    """Answer one request per stdin line with `suggest(request, modules)`, one JSON line each on `responses`, with
    the request's wall and CPU seconds; an exception becomes `{"error": ...}` and the worker keeps serving."""
    print(f"{name}: imports {time.perf_counter() - imports_started:.1f} s", file=sys.stderr, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            response = suggest(json.loads(line), modules)
        except Exception as exc:  # reported to the caller
            traceback.print_exc(file=sys.stderr)
            response = {"error": f"{type(exc).__name__}: {exc}"}
        response.update(time_s=round(time.perf_counter() - wall, 4), cpu_s=round(time.process_time() - cpu, 4))
        responses.write(json.dumps(response) + "\n")
        responses.flush()
