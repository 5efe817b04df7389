"""The experiments of the gennes-bo repository: not installed with the library, run from the root of a clone.

Each experiment is a module with a `gennes-bo` command (`gennes-bo table1`, or `python -m benchmarks table1`):
Table 1 (`table1`), the paper's BO experiments (`bo_experiments`), the large-batch grid (`bo_batch`) and its CPU /
CUDA timing (`device_timing`), HPO with Optuna samplers (`hpo`), mixed spaces (`mixed`), the acquisition-level
benchmark (`acqf`) and the standalone optimizers (`standalone`). They run on the library's comparison harness
(`gennes_bo.compare`: runner, records, report writer, acquisition-optimizer registry) and write their records
and reports where `--out` and `--report` say, by default under `results/` and `docs/` of the working directory.

Importing the package registers the paper's acquisition optimizers (`gennes`, `lbfgs-paper`, `cma`) with
`gennes_bo.compare.register`, the one registration any plug-in makes.
"""

from benchmarks import baselines as _baselines  # noqa: F401 - registers the paper's acquisition optimizers
