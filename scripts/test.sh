#!/bin/sh
# Install what is missing, then build and run the whole test suite twice:
# a normal build (build/) and an AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-asan/).  Warnings are errors in both.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== normal build =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKM_SANITIZE=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
