#!/usr/bin/env bash
# kernels/emulation/run.sh: runs the device code of kernels/recurrence.cu on the host (no GPU needed)
# against the CPU engine's equations, under AddressSanitizer and UBSan; see recurrence_emulator.cpp.
#
#   bash kernels/emulation/run.sh           all widths, batches, filters, cluster sizes (about 4 minutes on 2 cores: 4,392 checks)
#   bash kernels/emulation/run.sh --quick   a few shapes
#
# Needs g++ with C++20 (std::barrier). Not part of `mvn verify` (CI may have no g++); run it after
# editing recurrence.cu, before kernels/build.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/emulate.sh" recurrence_emulator.cpp "$@"
