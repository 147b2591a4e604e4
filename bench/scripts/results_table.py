#!/usr/bin/env python3
"""Builds a markdown results table from roaf run folders (config.json + metrics.jsonl), so that no
number in bench/results is typed by hand.

    python3 bench/scripts/results_table.py TITLE OUT.md RUN_DIR [RUN_DIR ...]

Each row: the run's folder name, model, task and length, alpha/beta, steps and batch, the final test
metric (accuracy for classification, loss otherwise), the best intermediate one, wall-clock seconds,
and the command line. Data files with their SHA-256 and the machine are listed once below the table.
"""
import json
import pathlib
import subprocess
import sys


def load(run):
    cfg = json.loads((run / "config.json").read_text())
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return cfg, metrics


def row(run, cfg, metrics):
    model, task, train = cfg["model"], cfg["task"], cfg["train"]
    last = metrics[-1]
    classify = last.get("test_acc") is not None
    key = "test_acc" if classify else "test_loss"
    best = (max if classify else min)(m[key] for m in metrics if m.get(key) is not None)
    fmt = (lambda v: f"{100 * v:.2f}%") if classify else (lambda v: f"{v:.4f}")
    ab = f"{float(model['alpha']):.6g} / {float(model['beta']):.6g}" if "alpha" in model else "-"
    cmd = " ".join(c for c in cfg["command"][1:])
    shape = f"N={model['hidden']}" + (f", L={int(model['depth']):,}" if task["steps"] == 0 else "")
    length = f", {task['steps']} steps" if task["steps"] > 0 else ""
    # A run stopped (or still going) before its last step: its last evaluation is not a final result.
    unfinished = f" (of {train['steps']}: unfinished)" if last["step"] < train["steps"] else ""
    return (f"| {run.name} | {model['model']} {shape} | {task['task']}{length} | {ab} | "
            f"{last['step']} x {train['batch']}{unfinished} | {'acc' if classify else 'MSE' if task['task'] == 'adding' else 'loss'} "
            f"{fmt(last[key])} | {fmt(best)} | {last['wall_s']:.0f} | `roaf {cmd}` |")


def main():
    title, out, runs = sys.argv[1], pathlib.Path(sys.argv[2]), [pathlib.Path(p) for p in sys.argv[3:]]
    lines = [f"# {title}", "",
             "| run | model | task | alpha / beta | steps x batch | final test | best test (intermediate) | wall s | command |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    files, first, cpus, devices = {}, None, [], []
    for run in runs:
        if not (run / "metrics.jsonl").exists():
            lines.append(f"| {run.name} | (no metrics: not run or failed) | | | | | | | |")
            continue
        cfg, metrics = load(run)
        if not metrics:  # a run still going (or stopped) before its first evaluation
            lines.append(f"| {run.name} | (no evaluation yet: running, or stopped before one) | | | | | | | |")
            continue
        lines.append(row(run, cfg, metrics))
        for f in cfg["task"].get("files", []):
            files[f["sha256"]] = f"{f['path']} ({f['bytes']} bytes) sha256 {f['sha256']}"
        first = first or cfg
        if cfg['device'] not in devices:  # e.g. "cpu (1 thread)": runs of one table may differ in --threads
            devices.append(cfg['device'])
        # Recorded by the run since 2026-11-27 (eighth session); every older record was made on the
        # project's first VM, an Intel Xeon.
        cpu = cfg.get("cpu") or "Intel(R) Xeon(R) Processor"
        if cpu not in cpus:
            cpus.append(cpu)
    if not cpus:
        cpus = [subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()]
    where = cpus[0] if len(cpus) == 1 else " or ".join(cpus) + " (each run's config.json names its own)"
    device = devices[0] if len(devices) == 1 else " or ".join(devices) + " (as each command says)"
    machine = first and f"{first['os']}; {first['java']}; {device}; roaf {first['roaf_version']}"
    lines += ["", f"Machine: {where}; {machine}.", "",
              "Seeds: as in each command (`--seed` defaults to 1, `--perm-seed` to 0); synthetic tasks"
              " (adding, copy) draw their batches from the seed and the step, and a fixed test set.", ""]
    if files:
        lines += ["Data files:", ""] + [f"- {v}" for v in sorted(files.values())]
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
