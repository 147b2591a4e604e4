#!/usr/bin/env bash
# kernels/emulation/run.sh: runs the device code of kernels/recurrence.cu on the host (no GPU needed)
# against the CPU engine's equations, under AddressSanitizer and UBSan; see recurrence_emulator.cpp.
#
#   bash kernels/emulation/run.sh           all widths, batches, filters, cluster sizes (about 4 minutes on 2 cores: 4,392 checks)
#   bash kernels/emulation/run.sh --quick   a few shapes
#
# Needs g++ with C++20 (std::barrier). Not part of `mvn verify` (CI may have no g++); run it after
# editing recurrence.cu, before kernels/build.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${TMPDIR:-/tmp}/roaf-recurrence-emulator"
g++ -std=c++20 -O1 -g -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wno-unknown-pragmas -o "$bin" "$here/recurrence_emulator.cpp"
"$bin" "$@"
