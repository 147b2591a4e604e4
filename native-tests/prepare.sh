#!/usr/bin/env bash
# native-tests/prepare.sh: builds, on a machine WITHOUT a GPU, everything gpu-check.sh needs on the lent
# GPU machine (which has no JDK and no Maven), in one folder that the device tool can carry:
#
#   target/gpu-carry/jdk/          jlink runtime (java.base, java.logging, java.xml, java.management, jdk.unsupported)
#   target/gpu-carry/classes/      roaf main classes + kernels (fatbins)
#   target/gpu-carry/test-classes/ CPU tests + native-tests (profile -Pgpu)
#   target/gpu-carry/lib/          runtime jars (picocli, JCuda with natives minus libJNvPTXCompiler) +
#                                  junit-platform-console-standalone
#
# Usage (repository root):  bash native-tests/prepare.sh     then carry "target/gpu-carry" (about 47 MiB,
# under the 64 MiB limit; target/ is git-ignored) and run  bash native-tests/gpu-check.sh  there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
carry=target/gpu-carry
junit_console=1.14.4
rm -rf "$carry"
mkdir -p "$carry/lib"
mvn -q -Pgpu -DskipTests test-compile
cp -r target/classes "$carry/classes"
cp -r target/test-classes "$carry/test-classes"
mvn -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$carry/lib"
mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console \
    -DoutputDirectory="$carry/lib"
# The 24 MB JIT PTX compiler JNI library is not needed (kernels ship as fatbins): drop it from the natives jar.
for j in "$carry"/lib/jcuda-natives-*.jar; do
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
modules=java.base,java.logging,java.xml,java.management,jdk.unsupported   # no java.desktop: GPU tests draw no plots; keeps the carry near 47 MiB
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$carry/jdk" 2>/dev/null \
  || jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$carry/jdk"
du -sh "$carry" "$carry"/* >&2
