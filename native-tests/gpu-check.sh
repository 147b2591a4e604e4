#!/usr/bin/env bash
# native-tests/gpu-check.sh: the ONE script for the lent GPU machine (15 minutes of device time per
# issue, all calls together). Run from the repository root after native-tests/prepare.sh was run on
# the build machine and target/gpu-carry was carried along:
#
#   run(command="bash native-tests/gpu-check.sh", carry=["target/gpu-carry"], timeout_s=600)
#
# Steps, each bounded by `timeout` and all by one deadline (ROAF_GPU_DEADLINE_S, default 570 s, inside
# the device tool's 600 s per call): (1) discovery: card, driver, java, every libcublas/libcurand on
# the machine; (2) the GPU tests (JUnit tag "gpu": each kernel vs the CPU engine, model parity,
# device memory over create/close cycles, GPU faults; every @Tag("gpu") class in test-classes is found), and
# PyTorch parity: every family run and trained on the GPU, rebuilt from its files by the device's PyTorch
# (bench/results/gpu-torch-parity-<card>-<date>.md);
# (3) kernel timings (GpuBench: CUDA events, medians, against the floor), written to
# bench/results/gpu-check-<card>-<date>.md (and .json); (4) whole training updates through the public API
# (ModelStepBench) and their PyTorch peers (bench/peers/torch_step.py) on the same GPU, set side by
# side by native-tests/ratios.py against issues 5 and 6's targets (and the own GEMM against PyTorch's
# fp32 matmul, i.e. cuBLAS 13, issue 4's "within 2x of cuBLAS" when JCublas cannot load), written to
# bench/results/gpu-ratios-<card>-<date>.md, with each roaf update broken down by engine operation; (5) Nsight
# Compute (when ncu is there) on the kernels furthest from their targets ($OUT/ncu-report.txt). Both tables are printed LAST. A stage that no longer fits
# before the deadline is skipped with a message. Everything is copied to $OUT (when set) after each stage.
#
# `gpu-check.sh paper` (after the checks passed, with the full MNIST carried: prepare.sh --with-mnist) runs issue
# 9's GPU-sized training runs instead: bench/scripts/paper-cpu.sh with DEVICE=cuda for ROAF_PAPER_STAGES (default
# "psmnist-full-search copy-10000-search": the recipe searches that the first GPU paper runs called for) and, when set,
# ROAF_PAPER_MODELS as the stages' MODELS (models, or a search stage's variants; unset: each stage's default), until the deadline; the run
# records come back as $OUT/paper-gpu.tar.gz (unpack here: tar -xzf; they land in bench/results/paper-gpu/). A run the
# deadline stopped goes on in a later call from its checkpoint: unpack, then ROAF_PAPER_RESUME=1 with
# carry=["target/gpu-carry", "bench/results/paper-gpu"] (checkpoints are git-ignored: only the carry takes them along).
# The adding curriculum at a width the CPU cannot afford: HIDDEN=256 ROAF_PAPER_STAGES=adding-10000-wide ... paper.
# The baselines on a published recipe's budget (lstm at N = 256 for ten epochs: hours on the CPU):
# ROAF_PAPER_STAGES=recipes ROAF_PAPER_MODELS="lstm rnn" RECIPES=psmnist-10-epochs ... paper.
# Stages: `gpu-check.sh` runs all; `gpu-check.sh tests` only (1)-(2); `gpu-check.sh timings` only (1), (3), (4)
# (a second call when the tests took the first call's time); `gpu-check.sh sweeps` only (1) and GpuBench's sweeps over
# the fused stack's team shapes and the persistent recurrences' layouts (the end of (3), which its time bound may cut),
# into bench/results/gpu-check-sweeps-<card>-<date>.md. ROAF_GPU_TESTS="ClassA ClassB" runs only those test
# classes in the tests stage (after a fix: ROAF_GPU_TESTS=RecurrenceGpuTest bash native-tests/gpu-check.sh tests).
# Java: $JAVA_HOME/bin/java if set, else the carried jlink runtime (jdk/ inside target/gpu-carry/roaf-gpu.tar.xz,
# unpacked to $TMPDIR/roaf-gpu-carry), else java. ROAF_GPU_CARRY names another carry folder (packed or not).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stage=${1:-all}
case "$stage" in all|tests|timings|sweeps|paper) ;; *) echo "usage: gpu-check.sh [all|tests|timings|sweeps|paper]"; exit 2 ;; esac
deadline=$(( SECONDS + ${ROAF_GPU_DEADLINE_S:-570} ))
# Seconds a stage may take: its own bound, or what is left before the deadline if less.
bound() { local left=$(( deadline - SECONDS )); (( left < $1 )) && echo "$left" || echo "$1"; }
# Whether at least $1 seconds are left; says which stage is skipped otherwise.
fits() { (( deadline - SECONDS >= $1 )) && return 0; echo "-- skipped: $2 (under $1 s left before the deadline; rerun 'gpu-check.sh timings')"; return 1; }
save() {
    [[ -n "$out" ]] || return 0
    mkdir -p "$out/results"
    cp bench/results/gpu-check-* bench/results/gpu-ratios-* bench/results/gpu-torch-parity-* "$out/results/" 2>/dev/null || true
    cp "$log" "$out/gpu-check.log"
}
carry=${ROAF_GPU_CARRY:-target/gpu-carry}
carried=$carry
out=${OUT:-}
log=$(mktemp)
exec > >(tee "$log") 2>&1

# prepare.sh packs the carry (the 64 MiB travel limit counts the working tree too): unpack it outside the tree.
if [[ -f "$carry/roaf-gpu.tar.xz" && ! -d "$carry/classes" ]]; then
    unpacked=${TMPDIR:-/tmp}/roaf-gpu-carry
    rm -rf "$unpacked" && mkdir -p "$unpacked"
    if command -v xz > /dev/null; then tar -C "$unpacked" -xJf "$carry/roaf-gpu.tar.xz"
    else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$carry/roaf-gpu.tar.xz" "$unpacked"; fi \
        || { echo "could not unpack $carry/roaf-gpu.tar.xz"; exit 2; }
    echo "unpacked $carry/roaf-gpu.tar.xz into $unpacked ($SECONDS s since start)"
    carry=$unpacked
fi

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
elif [[ -x "$carry/jdk/bin/java" ]]; then JAVA="$carry/jdk/bin/java"
else JAVA=java; fi

echo "== discovery $(date -u +%FT%TZ)"
require=false
if nvidia-smi -L; then require=true; else echo "nvidia-smi failed"; fi
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true
echo "which java: $(command -v java || echo none); using: $JAVA"
"$JAVA" -version 2>&1 | head -1
# The CPU engine (the reference every GPU result is compared with) on the Vector API when the runtime has the module
# (the carried one does since the twenty-second session); the launcher reads this variable, and says so on stderr.
if "$JAVA" --list-modules 2>/dev/null | grep -q '^jdk.incubator.vector'; then
    export JDK_JAVA_OPTIONS="--add-modules jdk.incubator.vector${JDK_JAVA_OPTIONS:+ $JDK_JAVA_OPTIONS}"
    echo "CPU references: the Vector API (JDK_JAVA_OPTIONS=$JDK_JAVA_OPTIONS)"
else
    echo "CPU references: plain loops ($JAVA has no jdk.incubator.vector)"
fi
echo "libcublas / libcurand on this machine:"
libs=$(timeout 60 find / -xdev \( -path /proc -o -path /sys \) -prune -o \( -name 'libcublas.so*' -o -name 'libcublasLt.so*' -o -name 'libcurand.so*' \) -print 2>/dev/null \
    | grep -v '/cublas-shim/' | sort)  # not the carried shim (native-tests/cublas-shim): it is not a real libcublas.so.12
echo "${libs:-  (none found)}"
echo "ld cache: $(ldconfig -p 2>/dev/null | grep -E 'libcublas\.so|libcurand\.so' | tr -s ' ' | tr '\n' ';')"
# Puts the folder of the first library named like $1 (a regex on the paths found above) on the library path, and
# says so ($2) or what happens without it ($3).
use_library() {
    local found
    found=$(printf '%s\n' "$libs" | grep -m1 "$1" || true)
    if [[ -n "$found" ]]; then
        export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        echo "$found found: $2"
    else
        echo "$3"
    fi
}
# JCublas2 needs libcublas.so.12 (+ libcublasLt.so.12, in the same folder).
use_library '/libcublas\.so\.12' "the cuBLAS path will be tried" \
    "no libcublas.so.12: the engine will use its own GEMM kernels (JCublas 12.6 cannot use libcublas.so.13)"
# JCurand 11.8's JNI library needs libcurand.so.10 (its only CUDA dependency, checked with readelf). CUDA 13 kept
# that soname; on the lent machine it may sit only in PyTorch's pip package (nvidia-curand), outside the ld cache.
use_library '/libcurand\.so\.10' "cuRAND draws will be tried" \
    "no libcurand.so.10: random draws fall back to the host (bit-identical to the CPU engine)"
# Without libcublas.so.12, the compatibility shim of native-tests/cublas-shim (carried by prepare.sh) lets JCublas 12.6
# use CUDA 13's libcublas.so.13 for the tests and (once those passed) the kernel timings (so the cuBLAS path, the default of every
# CUDA 12 user, is checked against the CPU and timed); the whole-update timings and the paper runs stay without
# it (what a CUDA-13 user gets). The tests run first without it, then KernelParityTest and ModelParityTest again on
# the cuBLAS engine alone, with it. $shim_path is empty when the shim is not used.
shim_path=
cublas13=$(printf '%s\n' "$libs" | grep -m1 '/libcublas\.so\.13$' || true)
if ! printf '%s\n' "$libs" | grep -q '/libcublas\.so\.12' && [[ -n "$cublas13" && -f "$carry/cublas-shim/libcublas.so.12" ]]; then
    shim_path="$carry/cublas-shim:$(dirname "$cublas13")"
    echo "cuBLAS path for the tests and kernel timings: JCublas 12.6 through the compatibility shim ($carry/cublas-shim)" \
        "forwarding to $cublas13 (test tooling, not what a user gets without libcublas.so.12)"
fi
# Runs "$@" with the shim (when used) first on the library path.
with_shim() { LD_LIBRARY_PATH="${shim_path:+$shim_path:}${LD_LIBRARY_PATH:-}" "$@"; }
[[ -d "$carry/classes" ]] || { echo "missing $carry: run 'bash native-tests/prepare.sh' on the build machine and carry it"; exit 2; }
cp="$carry/classes:$carry/test-classes:$carry/lib/*"

if [[ $stage == paper ]]; then
    echo
    echo "== paper runs on the GPU (bench/scripts/paper-cpu.sh, DEVICE=${ROAF_PAPER_DEVICE:-cuda})"
    [[ -d $carried/mnist ]] || { echo "no $carried/mnist: run 'bash native-tests/prepare.sh --with-mnist' on the build machine"; exit 2; }
    data=${TMPDIR:-/tmp}/roaf-mnist
    rm -rf "$data" && mkdir -p "$data"
    for f in "$carried"/mnist/*.xz; do  # prepare.sh packs them with xz; python's lzma where xz is missing
        if command -v xz > /dev/null; then xz -dc "$f" > "$data/$(basename "${f%.xz}")"
        else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$data/$(basename "${f%.xz}")"; fi \
            || { echo "could not unpack $f"; exit 2; }
    done
    card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
    # 25 s of the deadline kept back: the stopped runs' last step and checkpoint, then packing the records.
    timeout "$(( $(bound 600) - 25 ))" env DEVICE="${ROAF_PAPER_DEVICE:-cuda}" WHERE="${card:-GPU}" RESULTS=bench/results/paper-gpu \
        CHECKPOINT_MINUTES=1 ${ROAF_PAPER_RESUME:+RESUME=1} \
        MNIST_FULL="$data" ROAF_CMD="$JAVA -Xmx24g -cp $cp dev.roaf.cli.Main" ${ROAF_PAPER_MODELS:+MODELS="$ROAF_PAPER_MODELS"} \
        bash bench/scripts/paper-cpu.sh ${ROAF_PAPER_STAGES:-psmnist-full-search copy-10000-search}
    paper_rc=$?
    # The deadline's SIGTERM reaches the roaf runs too (timeout signals its whole process group); each finishes its step
    # and writes its checkpoint after timeout has returned. Wait for them (at most 20 s) before the records are packed.
    for _ in $(seq 1 20); do
        grep -lsa 'dev[.]roaf[.]cli[.]Main' /proc/[0-9]*/cmdline > /dev/null 2>&1 || break
        sleep 1
    done
    (( paper_rc == 124 )) && echo "-- the deadline stopped the runs: what they recorded until then is kept (metrics.jsonl, checkpoint)"
    if [[ -n "$out" && -d bench/results/paper-gpu ]]; then
        mkdir -p "$out" && tar -czf "$out/paper-gpu.tar.gz" bench/results/paper-gpu && echo "run records: \$OUT/paper-gpu.tar.gz"
    fi
    save
    echo "== done: paper rc=$paper_rc"
    exit $paper_rc
fi

if [[ $stage == sweeps ]]; then
    echo
    echo "== layout sweeps (GpuBench sweeps: the fused stack's team shapes, the persistent recurrences' layouts)"
    mkdir -p bench/results
    timeout "$(bound 400)" "$JAVA" -Xmx8g -cp "$cp" dev.roaf.engine.cuda.GpuBench bench/results sweeps
    sweeps_rc=$?
    save
    echo "== done: sweeps rc=$sweeps_rc"
    exit $sweeps_rc
fi

tests_rc=0
bench_with_shim=
if [[ $stage != timings ]]; then
    echo
    echo "== native tests (tag gpu)"
    # ROAF_GPU_TESTS="ClassA ClassB" (simple or full names) runs only those classes: a short second call after a fix.
    select=(--scan-classpath "$carry/test-classes")
    if [[ -n "${ROAF_GPU_TESTS:-}" ]]; then
        select=()
        for c in $ROAF_GPU_TESTS; do
            [[ $c == *.* ]] || c=$(cd "$carry/test-classes" && find . -name "$c.class" | head -1 | sed 's|^\./||; s|\.class$||; s|/|.|g')
            [[ -n $c ]] && select+=(--select-class "$c")
        done
        (( ${#select[@]} )) || { echo "ROAF_GPU_TESTS=$ROAF_GPU_TESTS: no such test class in $carry/test-classes"; exit 2; }
    fi
    timeout "$(bound 330)" "$JAVA" -Xmx8g -Droaf.requireGpu=$require -cp "$cp" org.junit.platform.console.ConsoleLauncher execute \
        --disable-banner --disable-ansi-colors --details=tree --include-tag gpu "${select[@]}" \
        ${out:+--reports-dir "$out/junit"}
    tests_rc=$?
    echo "native tests exit code: $tests_rc"
    save
    # The cuBLAS path through the shim, in a JVM of its own (a fault in the shim cannot cost the run above): the kernel
    # and model parity tests on the cuBLAS engine only.
    if [[ -n "$shim_path" && -z "${ROAF_GPU_TESTS:-}" ]] && fits 120 "cuBLAS-path tests (through the shim)"; then
        echo
        echo "== native tests on the cuBLAS path (KernelParityTest, ModelParityTest; JCublas 12.6 through the shim)"
        with_shim timeout "$(bound 240)" "$JAVA" -Xmx8g -Droaf.requireGpu=$require -Droaf.gpuTests.cublasOnly=true -cp "$cp" \
            org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --details=tree \
            --include-tag gpu --select-class dev.roaf.engine.cuda.KernelParityTest --select-class dev.roaf.engine.cuda.ModelParityTest \
            ${out:+--reports-dir "$out/junit-cublas"}
        cublas_rc=$?
        echo "cuBLAS-path tests exit code: $cublas_rc"
        (( cublas_rc == 0 )) && bench_with_shim=yes
        (( tests_rc == 0 )) && tests_rc=$cublas_rc
        save
    fi
    # cuRAND through JCurand 11.8 (whose JNI library the build now ships under the name JCuda 12.6's loader asks for),
    # opt-in (-Droaf.cuda.curand=true) until this passes on a GPU: the random-draw tests in a JVM of their own, so that
    # a fault in that native library cannot cost the runs above.
    if [[ -z "${ROAF_GPU_TESTS:-}" ]] && fits 60 "cuRAND tests"; then
        echo
        echo "== cuRAND (RandomDrawsGpuTest with -Droaf.cuda.curand=true)"
        curand_log=$(mktemp)
        timeout "$(bound 90)" "$JAVA" -Xmx8g -Droaf.requireGpu=$require -Droaf.cuda.curand=true -cp "$cp" \
            org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --details=tree \
            --include-tag gpu --select-class dev.roaf.engine.cuda.RandomDrawsGpuTest ${out:+--reports-dir "$out/junit-curand"} \
            2>&1 | tee "$curand_log"
        curand_rc=${PIPESTATUS[0]}
        if grep -q "random draws on cuRAND" "$curand_log"; then curand_path="cuRAND loaded"; else curand_path="cuRAND did NOT load"; fi
        echo "cuRAND tests exit code: $curand_rc ($curand_path; if 0 and loaded, make roaf.cuda.curand default to true)"
        save
    fi
    # PyTorch parity of the CUDA engine: every family run and trained (five updates) on the GPU by roaf, rebuilt from its
    # model files by the device's PyTorch (float64, on its CPU) and compared (bench/peers/torch_*.py; the CPU engine's
    # tables: bench/results/torch-*-cpu.md). ROAF_PARITY_DEVICE=cpu tries this block on a machine without a GPU.
    if [[ -z "${ROAF_GPU_TESTS:-}" && -d "$carry/peers" ]] && python3 -c 'import torch' 2> /dev/null && fits 60 "PyTorch parity"; then
        echo
        echo "== PyTorch parity of the CUDA engine (bench/peers/torch_reads_models.py, torch_trains_same.py)"
        slug=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1 | tr 'A-Z' 'a-z' | sed -E 's/^nvidia //; s/[^a-z0-9]+/-/g; s/-$//')
        parity=bench/results/gpu-torch-parity-${slug:-gpu}-$(date -u +%F).md
        peers_dir=$(mktemp -d)
        {
            echo "# PyTorch parity of the CUDA engine, ${slug:-gpu}, $(date -u +%F) (native-tests/gpu-check.sh)"
            echo
            timeout "$(bound 60)" "$JAVA" -cp "$cp:$carry/peers" ExportModels "$peers_dir/models" "${ROAF_PARITY_DEVICE:-cuda}" > /dev/null \
                && timeout "$(bound 60)" python3 bench/peers/torch_reads_models.py "$peers_dir/models"
            echo
            echo "torch_reads_models exit code: $?"
            echo
            timeout "$(bound 60)" "$JAVA" -cp "$cp:$carry/peers" ExportTraining "$peers_dir/train" "${ROAF_PARITY_DEVICE:-cuda}" > /dev/null \
                && timeout "$(bound 60)" python3 bench/peers/torch_trains_same.py "$peers_dir/train"
            echo
            echo "torch_trains_same exit code: $?"
        } 2>&1 | tee "$parity"
        save
    fi
fi
[[ $stage == tests ]] && { echo "== done: tests rc=$tests_rc"; exit $tests_rc; }

mkdir -p bench/results
bench_rc=0
echo
echo "== kernel timings (GpuBench)"
if fits 60 "kernel timings"; then
    # Through the shim (timing cuBLAS beside the own kernels) only after the cuBLAS-path tests passed in this call.
    if [[ -n "$bench_with_shim" ]]; then
        echo "(GpuBench with the cuBLAS shim: the cuBLAS-path tests passed above)"
        with_shim timeout "$(bound 150)" "$JAVA" -Xmx8g -cp "$cp" dev.roaf.engine.cuda.GpuBench bench/results
    else
        timeout "$(bound 150)" "$JAVA" -Xmx8g -cp "$cp" dev.roaf.engine.cuda.GpuBench bench/results
    fi
    bench_rc=$?
    echo "kernel timings exit code: $bench_rc"
    save
fi

steps_json=$(mktemp); peers_json=$(mktemp)
echo
echo "== whole training updates through the public API (ModelStepBench: psMNIST T=784 N=128 B=100; roaf-mlp L=50,000 N=128 B=128)"
if fits 40 "roaf training updates"; then
    timeout "$(bound 120)" "$JAVA" -Xmx24g -cp "$cp" dev.roaf.ModelStepBench --device cuda --out "$steps_json" \
        || echo "ModelStepBench failed or timed out (what finished is kept)"
    [[ -n "$out" ]] && cp "$steps_json" "$out/roaf-steps.json"
fi
echo
echo "== PyTorch peers on the same GPU (bench/peers/torch_step.py): cuDNN nn.LSTM / nn.RNN, eager ROAF-RNN, eager roaf-mlp, fp32 matmul (cuBLAS)"
# The eager 50,000-layer stack is timed at 10,000 layers (Python launches a fixed handful of kernels per
# layer, so its time is linear in L) and ratios.py scales it; the table says so.
if fits 40 "PyTorch peers"; then
    timeout "$(bound 120)" python3 bench/peers/torch_step.py --device cuda --steps 5 --warmup 2 --configs \
        '[{"model":"lstm","T":784,"N":128,"B":100,"task":"psmnist"},{"model":"rnn","T":784,"N":128,"B":100,"task":"psmnist"},{"model":"roaf-rnn","T":784,"N":128,"B":100,"task":"psmnist"},{"model":"roaf-mlp","L":10000,"N":128,"B":128,"task":"mnist"},{"model":"gemm","S":4096}]' \
        > "$peers_json" 2>&1 || echo "peers failed or timed out"
    tail -c 3000 "$peers_json"; echo
    [[ -n "$out" ]] && cp "$peers_json" "$out/torch-peers.json"
fi

# Nsight Compute on the kernels furthest from their targets (ProfileTargets: the persistent roaf-rnn sweeps, the
# fused MLP stack passes, the split-K weight gradient), when the machine has ncu: where their time goes (stall
# reasons, occupancy, throughput). The whole report goes to $OUT/ncu-report.txt; a few lines are printed here.
ncu_bin=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1 || true)
echo
echo "== Nsight Compute on the slowest kernels (ProfileTargets)"
if [[ -z "$ncu_bin" ]]; then
    echo "no ncu on this machine"
elif fits 90 "Nsight Compute profile"; then
    ncu_log=$(mktemp)
    timeout "$(bound 150)" "$ncu_bin" --target-processes all --kernel-name "regex:roaf_recurrence|roaf_mlp_stack_(forward|backward)|roaf_splitk_gemm" \
        --section SpeedOfLight --section LaunchStats --section Occupancy --section SchedulerStats --section WarpStateStats \
        --section MemoryWorkloadAnalysis --section InstructionStats --section SourceCounters \
        "$JAVA" -Xmx8g -cp "$cp" dev.roaf.engine.cuda.ProfileTargets > "$ncu_log" 2>&1
    echo "ncu exit code: $?"
    [[ -n "$out" ]] && cp "$ncu_log" "$out/ncu-report.txt"
    grep -E '^  roaf_|Duration|Registers Per Thread|Achieved Occupancy|Warp Cycles Per Issued Instruction|Issue Slots Busy|Executed Instructions  |Compute \(SM\) Throughput|Memory Throughput|ERR|error' "$ncu_log" | head -100
fi

echo
echo "== tables"
latest=$(ls -t bench/results/gpu-check-*.md 2>/dev/null | grep -v '/gpu-check-sweeps-' | head -1)
[[ -n "$latest" ]] && cat "$latest"
echo
# GpuBench's rows as JSON: its own-GEMM time against PyTorch's cuBLAS matmul (JCublas needs libcublas.so.12).
kernels_json=${latest%.md}.json
python3 native-tests/ratios.py "$steps_json" "$peers_json" bench/results ${latest:+"$kernels_json"} || echo "ratios.py failed"
save
echo "== done: tests rc=$tests_rc, kernel timings rc=$bench_rc"
exit $(( tests_rc != 0 ? tests_rc : bench_rc ))
