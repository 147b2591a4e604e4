#!/usr/bin/env bash
# kernels/emulation/emulate.sh SOURCE [ARGS...]: builds one host emulator (SOURCE, a .cpp in this folder) with
# g++ (C++20, AddressSanitizer and UBSan, UB fatal) and runs it with ARGS. The one place for the build flags;
# run.sh, run_mlp.sh and run_kernels.sh call it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source=$1; shift
bin="${TMPDIR:-/tmp}/roaf-${source%.cpp}"
g++ -std=c++20 -O1 -g -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wno-unknown-pragmas -o "$bin" "$here/$source"
"$bin" "$@"
