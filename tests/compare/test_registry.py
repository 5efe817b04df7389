"""The acquisition-optimizer registry across processes: a worker imports the modules that registered the names it
is asked for, so the repository's paper optimizers run in spawned workers and on Dask too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import benchmarks  # noqa: F401 - registers the paper's optimizers in this process
from gennes_bo.compare.registry import plugin_modules

ROOT = Path(__file__).resolve().parents[2]


def test_plugin_modules_name_the_module_of_each_name_registered_elsewhere():
    plugins = plugin_modules()
    assert {name: plugins[name] for name in ("gennes", "lbfgs-paper", "cma")} == dict.fromkeys(
        ("gennes", "lbfgs-paper", "cma"), "benchmarks.baselines")
    assert "gennes-hybrid" not in plugins and "botorch-default" not in plugins  # the library's own


def test_a_fresh_process_registers_a_plugin_name_by_importing_its_module():
    code = ("import sys\nfrom gennes_bo.compare.registry import UnknownAcqfOptimizerError, get_acqf_optimizer\n"
            "try:\n    get_acqf_optimizer('gennes')\nexcept UnknownAcqfOptimizerError:\n    print('unknown')\n"
            "entry = get_acqf_optimizer('gennes', {'gennes': 'benchmarks.baselines'})\n"
            "print(entry.name, 'benchmarks.baselines' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["unknown", "gennes True"]
