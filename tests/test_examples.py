"""The examples run end to end with tiny budgets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_botorch_drop_in_example_runs():
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "botorch_drop_in.py"), "--iterations", "1", "--n-init", "4", "--seed", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    initial = float(re.search(r"4 initial points, best (-?\d+\.\d+)", lines[0]).group(1))
    iteration = re.compile(r"iteration +\d+: best value (-?\d+\.\d+)")
    per_iteration = [float(m.group(1)) for line in lines if (m := iteration.match(line))]
    assert len(per_iteration) == 1
    best = [initial, *per_iteration]
    assert best == sorted(best)  # best so far never decreases
    final = re.match(r"best value (-?\d+\.\d+) at \[.*\] after 6 evaluations", lines[-1])
    assert final and float(final.group(1)) == per_iteration[-1]
    assert per_iteration[-1] <= -0.397887 + 1e-6  # the negated Branin never exceeds its optimum

