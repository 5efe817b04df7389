#!/usr/bin/env bash
# Create the virtual environments of the external samplers of `gennes-bo hpo` (benchmarks/hpo_external.py):
# HEBO 0.3.6 and Google Vizier 0.1.24, which cannot be installed beside this project's numpy and torch.
#
# usage: scripts/setup_external_samplers.sh [DIR]     (DIR defaults to .venvs/ in the repository root)
#   PYTHON=python3.11   the interpreter the environments are made from (3.10 or 3.11)
#   TORCH="torch==2.13.0"  HEBO's torch, installed first so that pip does not pull a CUDA build with ~3 GB of
#                       wheels; with a CPU wheel on disk in pip's find-links this takes it, elsewhere pass e.g.
#                       TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
# Prints the two `export` lines that point the samplers at the environments.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/.venvs}"
PYTHON="${PYTHON:-python3.11}"
TORCH="${TORCH:-torch==2.13.0}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

# HEBO pins numpy < 1.25.
"$PYTHON" -m venv "$DIR/hebo-venv"
"$DIR/hebo-venv/bin/python" -m pip install --upgrade pip
# shellcheck disable=SC2086  # TORCH may carry pip options
"$DIR/hebo-venv/bin/python" -m pip install $TORCH
"$DIR/hebo-venv/bin/python" -m pip install "HEBO==0.3.6"

# google-vizier[jax]==0.1.24 pins equinox==0.11.7, so the resolver refuses equinox 0.11.11; forced in afterwards,
# 0.11.11 still runs VizierGPBandit but breaks VizierGPUCBPEBandit (a TypeError in equinox's _module.py).
"$PYTHON" -m venv "$DIR/vizier-venv"
"$DIR/vizier-venv/bin/python" -m pip install --upgrade pip
"$DIR/vizier-venv/bin/python" -m pip install "google-vizier[jax]==0.1.24" "jax==0.4.38" "jaxlib==0.4.38" \
  "equinox==0.11.7" "chex==0.1.88" "flax==0.10.2" "optax==0.2.4" "numpy<2.1" "tfp-nightly==0.26.0.dev20250201"

# Both optimizers must import, started as benchmarks/hpo_external.py starts them (`-E -s`, which keep the
# script's folder for worker_protocol.py); their workers read requests on stdin, so an empty stdin ends them at once.
"$DIR/hebo-venv/bin/python" -E -s "$ROOT/benchmarks/external/hebo_worker.py" </dev/null
"$DIR/vizier-venv/bin/python" -E -s "$ROOT/benchmarks/external/vizier_worker.py" </dev/null

echo "export GENNES_BO_HEBO_PYTHON=$DIR/hebo-venv/bin/python"
echo "export GENNES_BO_VIZIER_PYTHON=$DIR/vizier-venv/bin/python"
