#!/bin/sh
# Install the Debian 12 packages kmeans needs to build, test and benchmark.
# Idempotent: apt-get runs only when a package is missing.  Run as root.
set -eu

# Build, library and test dependencies.  Debian's Python packages serve the
# CLI tests (numpy, Pillow), the golden-file scripts (scikit-learn) and,
# with GNU time, the benchmarks (bench/).
PKGS="gcc cmake ninja-build pkg-config
      libopenblas-openmp-dev libjansson-dev libcmocka-dev libsimde-dev zlib1g-dev
      libpng-dev libjpeg62-turbo-dev libcairo2-dev fonts-dejavu-core liblinear-dev
      python3 python3-numpy python3-sklearn python3-faiss python3-pil
      python3-matplotlib time"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: must run as root to install packages" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "setup: all packages present"
fi
