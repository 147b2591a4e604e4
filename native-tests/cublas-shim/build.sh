#!/usr/bin/env bash
# native-tests/cublas-shim/build.sh OUT_DIR [JCUBLAS_NATIVES_JAR]: builds OUT_DIR/libcublas.so.12, the
# compatibility shim of cublas12_shim.c (test tooling: see that file), forwarding every cublas* function that
# JCublas2's JNI library references to libcublas.so.13. The jar defaults to the jcublas-natives in ~/.m2 of the
# JCuda version in pom.xml. Needs gcc and nm (binutils); x86-64 Linux.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=${1:?usage: build.sh OUT_DIR [JCUBLAS_NATIVES_JAR]}
version=$(sed -n 's:.*<jcuda.version>\(.*\)</jcuda.version>.*:\1:p' "$here/../../pom.xml" | head -1)
jar=${2:-$HOME/.m2/repository/org/jcuda/jcublas-natives/$version/jcublas-natives-$version-linux-x86_64.jar}
[[ -f $jar ]] || { echo "build.sh: no $jar (mvn -Pgpu test-compile fetches it)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$jar" "$work" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if "JCublas2" in n and n.endswith(".so")]
    if not names:
        sys.exit("build.sh: no libJCublas2*.so in " + sys.argv[1])
    open(sys.argv[2] + "/libJCublas2.so", "wb").write(z.read(names[0]))
PY
nm -D --undefined-only "$work/libJCublas2.so" | awk '{print $NF}' | sed -n 's/@libcublas\.so\.12$//p' | sort -u \
    | awk '{print "ROAF_SHIM_SYMBOL(" $1 ")"}' > "$work/symbols.h"
count=$(wc -l < "$work/symbols.h")
(( count > 0 )) || { echo "build.sh: JCublas2's JNI library references no libcublas.so.12 functions?" >&2; exit 1; }
printf 'libcublas.so.12 {\n  global: cublas*;\n  local: *;\n};\n' > "$work/version.map"
mkdir -p "$out"
gcc -O2 -shared -fPIC -o "$out/libcublas.so.12" -Wl,-soname,libcublas.so.12 -Wl,--version-script="$work/version.map" \
    -I"$work" "$here/cublas12_shim.c" -ldl
echo "built $out/libcublas.so.12: $count functions forwarded to libcublas.so.13"
