#!/usr/bin/env bash
# The nets benchmark (bench/run_nets_bench.sh) on a GPU: neurodl's LibTorch engine against the
# same networks in PyTorch eager and with torch.compile, same data, weights, batch order and
# optimiser, one after the other on the same card. Called by run_gpu_check.sh.
#
#   bench/gpu/gpu_nets_bench.sh BUILD_DIR SOURCE_DIR OUT_DIR
set -uo pipefail
build=$1; src=$2; out=$3
py=python3    # the GPU machine's python, with PyTorch 2.x
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
for cfg in "bottleneck 256" "image-net 64"; do
  set -- $cfg
  d=/tmp/ndl-nets-$1-$2; mkdir -p $d
  echo; echo "--- $1, batch $2"
  "$build/bench/bench_nets" $d --model $1 --batch $2 --device cuda --threads 4 --epochs 5 \
    || { echo "bench_nets failed"; continue; }
  cp $d/cpp.json "$out/cpp_$1_$2.json" 2>/dev/null
  echo "[PyTorch eager]";   timeout 120 $py "$src/bench/nets_vs_pytorch.py" $d 4 --device cuda | head -3
  echo "[torch.compile]";   timeout 180 $py "$src/bench/nets_vs_pytorch.py" $d 4 --device cuda --compile | head -4
done
