#!/usr/bin/env bash
# native-tests/gpu-check.sh: the ONE script for the lent GPU machine (15 minutes of device time per
# issue, all calls together). Run from the repository root after native-tests/prepare.sh was run on
# the build machine and target/gpu-carry was carried along:
#
#   run(command="bash native-tests/gpu-check.sh", carry=["target/gpu-carry"], timeout_s=600)
#
# Steps, each bounded by `timeout`: (1) discovery: card, driver, java, every libcublas/libcurand on
# the machine; (2) the GPU tests (JUnit tag "gpu": each kernel vs the CPU engine, model parity,
# device memory over create/close cycles, GPU faults; every @Tag("gpu") class in test-classes is found);
# (3) timings (CUDA events, medians) printed as a short table LAST, written to
# bench/results/gpu-check-<card>-<date>.md. Everything is also copied to $OUT when it is set.
# Java: $JAVA_HOME/bin/java if set, else target/gpu-carry/jdk/bin/java (jlink runtime), else java.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
carry=${ROAF_GPU_CARRY:-target/gpu-carry}
out=${OUT:-}
log=$(mktemp)
exec > >(tee "$log") 2>&1

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
elif [[ -x "$carry/jdk/bin/java" ]]; then JAVA="$carry/jdk/bin/java"
else JAVA=java; fi

echo "== discovery $(date -u +%FT%TZ)"
require=false
if nvidia-smi -L; then require=true; else echo "nvidia-smi failed"; fi
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true
echo "which java: $(command -v java || echo none); using: $JAVA"
"$JAVA" -version 2>&1 | head -1
echo "libcublas / libcurand on this machine:"
libs=$(timeout 60 find / -xdev \( -path /proc -o -path /sys \) -prune -o \( -name 'libcublas.so*' -o -name 'libcublasLt.so*' -o -name 'libcurand.so*' \) -print 2>/dev/null | sort)
echo "${libs:-  (none found)}"
echo "ld cache: $(ldconfig -p 2>/dev/null | grep -E 'libcublas\.so|libcurand\.so' | tr -s ' ' | tr '\n' ';')"
# JCublas2 needs libcublas.so.12 (+ libcublasLt.so.12): put the folder of one on the library path if found.
cublas12=$(printf '%s\n' "$libs" | grep -m1 '/libcublas\.so\.12' || true)
if [[ -n "$cublas12" ]]; then
    export LD_LIBRARY_PATH="$(dirname "$cublas12")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "libcublas.so.12 found: $cublas12 (cuBLAS path will be tried)"
else
    echo "no libcublas.so.12: the engine will use its own GEMM kernels (JCublas 12.6 cannot use libcublas.so.13)"
fi
[[ -d "$carry/classes" ]] || { echo "missing $carry: run 'bash native-tests/prepare.sh' on the build machine and carry it"; exit 2; }
cp="$carry/classes:$carry/test-classes:$carry/lib/*"

echo
echo "== native tests (tag gpu)"
timeout 330 "$JAVA" -Xmx8g -Droaf.requireGpu=$require -cp "$cp" org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --disable-ansi-colors --details=tree --include-tag gpu --scan-classpath "$carry/test-classes" \
    ${out:+--reports-dir "$out/junit"}
tests_rc=$?
echo "native tests exit code: $tests_rc"

echo
echo "== timings"
mkdir -p bench/results
timeout 150 "$JAVA" -Xmx8g -cp "$cp" dev.roaf.engine.cuda.GpuBench bench/results
bench_rc=$?
echo "timings exit code: $bench_rc"

echo
echo "== PyTorch peers on the same GPU (bench/peers/torch_step.py; psMNIST shape T=784, N=128, B=100)"
# Side by side with the timings above, as issue 7 asks: cuDNN nn.LSTM / nn.RNN and an eager ROAF-RNN loop.
peers_json=$(timeout 60 python3 bench/peers/torch_step.py --device cuda --steps 10 --warmup 3 \
    --configs '[{"model":"lstm","T":784,"N":128,"B":100},{"model":"rnn","T":784,"N":128,"B":100},{"model":"roaf-rnn","T":784,"N":128,"B":100}]' \
    2>&1) || echo "peers failed or timed out"
echo "$peers_json"
if [[ -n "$out" ]]; then
    printf '%s\n' "$peers_json" > "$out/torch-peers.json"
fi

if [[ -n "$out" ]]; then
    mkdir -p "$out/results"
    cp bench/results/gpu-check-* "$out/results/" 2>/dev/null || true
    cp "$log" "$out/gpu-check.log"
fi
echo "== done: tests rc=$tests_rc, timings rc=$bench_rc"
exit $(( tests_rc != 0 ? tests_rc : bench_rc ))
