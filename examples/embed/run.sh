#!/usr/bin/env bash
# Runs the embedding example against roaf installed in the local Maven repository.
#   examples/embed/run.sh                 installs roaf (mvn install -DskipTests), then runs the example
#   examples/embed/run.sh --after-verify  installs the jars a `mvn verify` just built, without rebuilding (CI)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${1:-}" == "--after-verify" ]]; then
  # grep -m1 stops by itself (a reader that quits early would break the writer's pipe under pipefail).
  version=$(grep -m1 -o '<version>[^<]*' pom.xml | sed 's/<version>//')
  jar="target/roaf-${version}.jar"
  [[ -f "$jar" ]] || { echo "run.sh: $jar is missing; run mvn verify first" >&2; exit 1; }
  docs="target/roaf-${version}-javadoc.jar"
  mvn -B -q install:install-file -Dfile="$jar" -DpomFile=pom.xml ${docs:+$( [[ -f "$docs" ]] && echo "-Djavadoc=$docs")}
else
  mvn -B -q install -DskipTests
fi
mvn -B -q -f examples/embed/pom.xml compile exec:java
