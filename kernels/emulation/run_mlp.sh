#!/usr/bin/env bash
# kernels/emulation/run_mlp.sh: runs the device code of kernels/mlp_stack.cu on the host (no GPU needed)
# against the CPU engine's equations, under AddressSanitizer and UBSan; see mlp_stack_emulator.cpp.
#
#   bash kernels/emulation/run_mlp.sh           all widths, batches, filters, cluster sizes, depths 1, 3, 50, 61
#   bash kernels/emulation/run_mlp.sh --quick   a few shapes
#
# Needs g++ with C++20 (std::barrier). Not part of `mvn verify`; run it after editing mlp_stack.cu,
# before kernels/build.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/emulate.sh" mlp_stack_emulator.cpp "$@"
