"""`python -m benchmarks COMMAND ...`: any `gennes-bo` command, run from the root of a clone with the repository's
experiments and registrations loaded (the paper's acquisition optimizers, for `compare-acqf` too)."""

import sys

import benchmarks  # noqa: F401 - the registrations, before the command looks names up
from gennes_bo.cli import main

if __name__ == "__main__":
    sys.exit(main())
