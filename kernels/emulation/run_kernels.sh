#!/usr/bin/env bash
# kernels/emulation/run_kernels.sh: runs the device code of the per-step kernels (gemm.cu, roaf_layer.cu,
# lstm.cu, loss.cu, optim.cu, elementwise.cu) on the host (no GPU needed) against float64 references,
# under AddressSanitizer and UBSan; see kernels_emulator.cpp.
#
#   bash kernels/emulation/run_kernels.sh           every kernel, ragged shapes, CudaEngine's grids and wrapped grids
#   bash kernels/emulation/run_kernels.sh --quick   a few shapes
#
# Needs g++ with C++20 (std::barrier). Not part of `mvn verify`; run it after editing one of those
# kernels, before kernels/build.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/emulate.sh" kernels_emulator.cpp "$@"
