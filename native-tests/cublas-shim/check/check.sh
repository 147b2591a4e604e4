#!/usr/bin/env bash
# native-tests/cublas-shim/check/check.sh: checks the cuBLAS compatibility shim without a GPU or CUDA. Builds the
# shim (../build.sh) and a stand-in libcublas.so.13 (stand_in_cublas13.c), then runs ShimCheck.java against the
# real JCublas2 JNI library of the project's JCuda: the JNI library must load against the shim (soname and symbol
# version libcublas.so.12), every call must reach the stand-in with its arguments intact (64-bit strides included),
# and a function the stand-in lacks must come back as CUBLAS_STATUS_NOT_SUPPORTED, not a crash.
# Usage: bash native-tests/cublas-shim/check/check.sh  (after mvn has fetched the dependencies; needs gcc, nm, javac)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/../build.sh" "$work/shim" > /dev/null
printf 'libcublas.so.13 {\n  global: cublas*;\n  local: *;\n};\n' > "$work/v13.map"
mkdir -p "$work/stand-in"
gcc -shared -fPIC -o "$work/stand-in/libcublas.so.13" -Wl,-soname,libcublas.so.13 -Wl,--version-script="$work/v13.map" \
    "$here/stand_in_cublas13.c"
(cd "$root" && mvn -q -B -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" > /dev/null)
cp=$(cat "$work/cp.txt")
javac -d "$work/classes" -cp "$cp" "$here/ShimCheck.java"
got=$(LD_LIBRARY_PATH="$work/shim:$work/stand-in" java -cp "$cp:$work/classes" ShimCheck 2>&1)
expected='stand-in: cublasCreate_v2
version 130001
stand-in: cublasSetStream_v2 same handle=1
stand-in: cublasSgemm_v2 ta=1 tb=0 m=2 n=3 k=4 alpha=1.5 lda=5 ldb=6 beta=0.25 ldc=7
stand-in: cublasSgemmStridedBatched m=8 n=9 k=16 alpha=1 sa=8589934592 sb=144 beta=0 sc=72 batch=50000
cublasSscal: CUBLAS_STATUS_NOT_SUPPORTED
stand-in: cublasDestroy_v2 same handle=1'
if [[ "$got" != "$expected" ]]; then
    echo "cublas shim check FAILED"
    diff <(echo "$expected") <(echo "$got") || true
    exit 1
fi
echo "cublas shim check: JCublas2 -> shim -> stand-in libcublas.so.13: 6 calls passed through, a missing function reported"
