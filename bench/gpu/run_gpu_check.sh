#!/usr/bin/env bash
# Builds neurodl on a GPU machine against the CUDA LibTorch inside that machine's PyTorch wheel,
# runs the test suite there (the nets tests then train on the GPU) and, with `bench`, the nets
# benchmark on the GPU beside PyTorch eager and torch.compile. Used for the GPU rows of
# bench/README.md; CI never runs it.
#
#   bench/gpu/run_gpu_check.sh DEB_DIR OUT_DIR [test|bench|all]
#   NEURODL_GPU_SRC=DIR builds an exported source tree (git archive HEAD | tar -x -C DIR) instead.
#
# DEB_DIR holds Debian 12 packages of the libraries that such a machine lacks (HDF5, matio,
# OpenBLAS, Eigen, CLI11, fmt, nlohmann-json, GoogleTest), fetched on a Debian machine with
#   apt-get download <names>     (the list is in bench/gpu/packages.txt)
# They are unpacked under /tmp/ndl-deps; only the shared libraries whose SONAME the machine does
# not already have are put on LD_LIBRARY_PATH, so its own libraries are never shadowed.
set -uo pipefail
debs=$(cd "$1" && pwd); out=$2; mode=${3:-all}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
step() { echo; echo "=== $* ($(date +%T))"; }

step environment
uname -m; grep PRETTY_NAME /etc/os-release; g++ --version | head -1; cmake --version | head -1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
  torch.cuda.get_device_name(0), "abi", torch.compiled_with_cxx11_abi())'
nproc

step "libraries from $debs"
P=/tmp/ndl-deps; rm -rf $P; mkdir -p $P/fill
for f in "$debs"/*.deb; do dpkg-deb -x "$f" $P || echo "could not unpack $f"; done
have=$(ldconfig -p | awk 'NR>1{print $1}' | sort -u)
while read -r so; do
  n=$(basename "$so")
  grep -qxF "$n" <<<"$have" || cp -L "$so" $P/fill/ 2>/dev/null
done < <(find $P -regextype posix-extended -regex '.*/lib[^/]*\.so\.[0-9]+' \( -type f -o -type l \))
echo "filled in: $(ls $P/fill | tr '\n' ' ')"
# pkg-config files name /usr: point them at the unpacked tree.
find $P -name '*.pc' -exec sed -i "s#/usr#$P/usr#g" {} +
export LD_LIBRARY_PATH=$P/fill${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_LIBDIR=$P/usr/lib/x86_64-linux-gnu/pkgconfig:$P/usr/share/pkgconfig
pkgcfg=$(command -v pkg-config || echo $P/usr/bin/pkgconf)
ML=$P/usr/lib/x86_64-linux-gnu

step configure
src=${NEURODL_GPU_SRC:-$root}
if [ -n "${NEURODL_GPU_SRC:-}" ]; then
  echo "building the snapshot in $src"
elif git -C "$root" rev-parse HEAD >/dev/null 2>&1 && [ "${NEURODL_GPU_TREE:-head}" = head ]; then
  src=/tmp/ndl-src; rm -rf $src; mkdir -p $src
  git -C "$root" archive HEAD | tar -x -C $src
  echo "building commit $(git -C "$root" rev-parse --short HEAD)"
fi
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
cudnn=$site/nvidia/cudnn
b=/tmp/ndl-build
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc); export CUDACXX=$nvcc
cmake -S $src -B $b -G Ninja -DCMAKE_BUILD_TYPE=Release -DNEURODL_WITH_TORCH=ON \
  -DNEURODL_BUILD_BENCH=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$P/usr;$ML/cmake;$P/usr/share/cmake" \
  -DCMAKE_LIBRARY_PATH="$ML/openblas-pthread;$ML" \
  -DCBLAS_INCLUDE_DIR=$P/usr/include/x86_64-linux-gnu/openblas-pthread \
  -DHDF5_ROOT=$ML/hdf5/serial \
  -DPKG_CONFIG_EXECUTABLE=$pkgcfg \
  -DEigen3_DIR=$P/usr/share/eigen3/cmake \
  -DCUDNN_ROOT=$cudnn -DCUDNN_INCLUDE_PATH=$cudnn/include -DCUDNN_LIBRARY_PATH=$cudnn/lib \
  -DCUDAToolkit_ROOT=$(dirname "$(dirname "$nvcc")") -DTORCH_CUDA_ARCH_LIST=9.0 -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$P/fill" \
  2>&1 | tee $out/configure.log | grep -E "neurodl|Torch|CUDA|Error|error|Found HDF5|WARN" | head -40
[ -f $b/build.ninja ] || { echo "configure failed"; tail -40 $out/configure.log; exit 1; }

step build
t0=$(date +%s)
targets="neurodl"
[ "$mode" != bench ] && targets="$targets all"
[ "$mode" != test ] && targets="$targets bench_nets"
ninja -C $b -j$(nproc) -k 0 $targets > $out/build.log 2>&1; rc=$?
echo "build rc=$rc in $(( $(date +%s) - t0 )) s"
grep -E "error|Error" $out/build.log | head -30
[ $rc -eq 0 ] || { tail -30 $out/build.log; [ "$mode" = test ] && exit 1; }

if [ "$mode" != bench ]; then
  step "tests (CUDA visible)"
  ( cd $b && ctest -j8 --timeout 300 --output-on-failure > $out/ctest.log 2>&1 ); echo "ctest rc=$?"
  grep -E "tests passed|Failed|\*\*\*|Not Run" $out/ctest.log | head -30
  $b/neurodl fit --help | head -3
fi

if [ "$mode" != test ]; then
  step "nets benchmark on the GPU"
  bash $src/bench/gpu/gpu_nets_bench.sh $b $src $out 2>&1 | tee $out/bench.log
fi
step done
