#!/usr/bin/env bash
# Re-measures the README's preset table: trains each preset for its budget once per seed, one
# run at a time (nothing else should run beside it: the budgets are wall-clock), evaluates
# every run's best checkpoint on the test split (greedy, all directions), and prints one line
# per run. Everything lands in one store, so the workbench shows the runs afterwards.
#
#   tools/measure-presets.sh STORE "dense token-moe task-moe-target" "1 2 3"
#
# Takes about (budget + 1 minute) per run: 16 minutes for each quick preset and seed. The first
# seed's runs are also evaluated with beam 4 (to time it) unless NO_BEAM4=1.
set -euo pipefail
store=${1:?usage: tools/measure-presets.sh STORE [PRESETS] [SEEDS]}
presets=${2:-"dense token-moe task-moe-target"}
seeds=${3:-"1 2 3"}
bin=${TASKMOE_BIN:-$(dirname "$0")/../build/bin/taskmoe}

for seed in $seeds; do
  for preset in $presets; do
    name="$preset-seed$seed"
    start=$(date +%s)
    "$bin" train --db "$store" --preset "$preset" --set "train.seed=$seed" --name "$name" > /dev/null
    end=$(date +%s)
    run=$("$bin" runs --db "$store" --format csv | awk -F, -v n="$name" '$2 == n { id = $1 } END { print id }')
    eval_start=$(date +%s)
    "$bin" eval --db "$store" --run "$run" --checkpoint best --beam 1 --no-routing --format json > "$store.eval-$run.json"
    eval_end=$(date +%s)
    echo "run $run $name: trained $((end - start)) s, evaluated (greedy) $((eval_end - eval_start)) s"
    if [ -z "${NO_BEAM4:-}" ] && [ "$seed" = "$(echo $seeds | cut -d' ' -f1)" ]; then
      # The first seed's runs are also evaluated with beam 4, the evaluation's default, to time it.
      beam_start=$(date +%s)
      "$bin" eval --db "$store" --run "$run" --checkpoint best --beam 4 --format json > "$store.eval-$run-beam4.json"
      echo "run $run $name: evaluated (beam 4, routing statistics) $(( $(date +%s) - beam_start )) s"
    fi
  done
done
