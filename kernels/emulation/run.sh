#!/usr/bin/env bash
# kernels/emulation/run.sh: runs the device code of the persistent sweeps (kernels/recurrence.cu, and the persistent
# LSTM of kernels/lstm.cu) on the host (no GPU needed) against the CPU engine's equations, under AddressSanitizer
# and UBSan; see recurrence_emulator.cpp.
#
#   bash kernels/emulation/run.sh           all widths, batches, filters, cluster sizes: 5,204 checks (27 minutes on 2 cores
#                                           shared with two training runs; the 4,392 before the LSTM took 4 on idle ones)
#   bash kernels/emulation/run.sh --quick   a few shapes
#
# Needs g++ with C++20 (std::barrier). Not part of `mvn verify` (CI may have no g++); run it after
# editing recurrence.cu, before kernels/build.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/emulate.sh" recurrence_emulator.cpp "$@"
