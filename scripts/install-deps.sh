#!/usr/bin/env bash
# Installs everything neurodl needs to build and test, from Debian 12's archive. Run as root.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libhdf5-dev libmatio-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libeigen3-dev libopenblas-dev liblapacke-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev
)
# Debian's python3 packages regenerate test fixtures and reference values (tests/reference);
# the test suite itself reads only the committed files.
if [ "${NEURODL_WITH_PYTHON:-0}" = 1 ]; then
  pkgs+=(python3-numpy python3-scipy python3-h5py python3-sklearn python3-torch)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
