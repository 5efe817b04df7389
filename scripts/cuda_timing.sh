#!/usr/bin/env bash
# The prepared GPU check of the large-batch benchmark (docs/results/bo_batch_device.md), one command on a machine
# with a CUDA GPU, from the repository's root: the CPU calls (8 processes, one thread each) and the CUDA calls
# (one at a time) of `gennes-bo device-timing` side by side, into $OUT (default results/). On an H200 machine
# (16 cores) the six q = 16 cells took about 9 minutes, the CUDA calls being the slower part; pass the rest in
# another call (`--cells hartmann6:32 ackley10:32 michalewicz10:32`; records resume). Runs from the source tree
# (no install): torch, BoTorch, gpytorch, scipy, tqdm and threadpoolctl must be importable.
set -u
out_dir=${OUT:-results}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c "import torch, botorch; print('torch', torch.__version__, 'botorch', botorch.__version__, 'cuda', torch.cuda.is_available())"
python3 -m gennes_bo.cli device-timing --workers "${WORKERS:-8}" --out "$out_dir/bo_batch_device.jsonl" "$@" \
    2>&1 | tee "$out_dir/device_timing.log"
