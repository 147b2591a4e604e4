#!/usr/bin/env bash
# psMNIST on the 10,000-digit MNIST sample (8,000 train / 2,000 test), CPU: roaf-rnn and lstm,
# N=128, batch 100, evaluated on the full 2,000-digit test set every 80 steps (80 steps = one epoch
# of the sample). Writes each run record under bench/results/psmnist-mnist10k-cpu/<model>/ and a
# table, results.md, from their metrics.jsonl (nothing typed by hand).
#
#   bench/scripts/psmnist-cpu.sh [steps] [data-dir]      (defaults: 800, ../shared/data/mnist-10k)
#
# Needs target/roaf.jar (mvn -q -B package -DskipTests). On a 2-core machine the roaf-rnn run takes
# about 15 minutes and the lstm run about 3x that.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-800}
data=${2:-../shared/data/mnist-10k}
out=bench/results/psmnist-mnist10k-cpu
mkdir -p "$out"
for model in roaf-rnn lstm; do
  cmd=(java --add-modules jdk.incubator.vector -jar target/roaf.jar train --model "$model" --task psmnist --data-dir "$data" --hidden 128 --batch 100
       --steps "$steps" --eval-every 80 --eval-size 0 --seed 1 --perm-seed 0 --device cpu --out "$out/$model")
  echo "${cmd[*]}" > "$out/$model.command"
  "${cmd[@]}"
done
python3 - "$out" <<'PY'
import json, sys, pathlib, platform, subprocess
out = pathlib.Path(sys.argv[1])
rows = []
for model in ["roaf-rnn", "lstm"]:
    metrics = [json.loads(l) for l in (out / model / "metrics.jsonl").read_text().splitlines()]
    cfg = json.loads((out / model / "config.json").read_text())
    cmd = (out / f"{model}.command").read_text().strip()
    for m in metrics:
        rows.append((model, m["step"], m["test_acc"], m["test_loss"], m["wall_s"], cmd, cfg))
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
lines = ["# psMNIST on the bundled 10,000-digit MNIST sample, CPU", "",
         f"Machine: {cpu}, {rows[0][6]['os']}; {rows[0][6]['java']}; roaf {rows[0][6]['roaf_version']}.",
         "Data: 8,000 training / 2,000 test digits (`../shared/data/mnist-10k`, SHA-256 of each file in the runs' config.json);"
         " permutation from --perm-seed 0; test accuracy on all 2,000 test digits.", "",
         "| model | step | epochs of the sample | test accuracy | test loss | wall-clock s |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
for model, step, acc, loss, wall, cmd, cfg in rows:
    lines.append(f"| {model} | {step} | {step * 100 / 8000:.1f} | {acc:.4f} | {loss:.4f} | {wall:.0f} |")
lines += ["", "Commands:", ""]
for model in ["roaf-rnn", "lstm"]:
    lines.append(f"    {(out / f'{model}.command').read_text().strip()}")
(out / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
