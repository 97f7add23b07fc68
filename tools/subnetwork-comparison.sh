#!/usr/bin/env bash
# The README's sub-network comparison on the quick corpus, end to end: trains dense, token-MoE and
# task-MoE (routed by target language), evaluates them with beam 4 (which also stores the routing
# statistics that pruning ranks experts by), extracts every task's sub-network of the task-routed
# model, prunes the token-routed model per language pair to K experts, distils a dense student from
# the task-routed teacher, evaluates every model, measures decoding throughput side by side and
# writes the report.
#
#   tools/subnetwork-comparison.sh STORE OUT_DIR
#
# Runs already trained in STORE are reused with DENSE_RUN=N TOKEN_RUN=N TASK_RUN=N (e.g. the
# seed-1 runs of tools/measure-presets.sh). KEEP (default "2 4") lists the pruning sizes. The
# student trains for as many steps as its teacher did (it computes the teacher's distribution
# at every step, so a 15-minute budget gives it only about 70 % of them); STUDENT_MINUTES=M
# gives it a wall-clock budget instead. Training and benchmarking are timed: run nothing else
# beside them. About 45 minutes of training, 25 for the student, then 10 for the rest.
set -euo pipefail
store=${1:?usage: tools/subnetwork-comparison.sh STORE OUT_DIR}
out=${2:?usage: tools/subnetwork-comparison.sh STORE OUT_DIR}
bin=${TASKMOE_BIN:-$(dirname "$0")/../build/bin/taskmoe}
keep=${KEEP:-"2 4"}
student_minutes=${STUDENT_MINUTES:-}
mkdir -p "$out"

step() { echo "== $(date +%H:%M:%S) $*" >&2; }
run_id() {  # the id of the run named $1
  "$bin" runs --db "$store" --format csv | awk -F, -v n="$1" '$2 == n { id = $1 } END { print id }'
}
train() {  # preset name -> run id
  "$bin" train --db "$store" --preset "$1" --set train.seed=1 --name "$2" > /dev/null
  run_id "$2"
}

if [ -z "${DENSE_RUN:-}" ]; then step "train dense"; DENSE_RUN=$(train dense dense-seed1); fi
if [ -z "${TOKEN_RUN:-}" ]; then step "train token-moe"; TOKEN_RUN=$(train token-moe token-moe-seed1); fi
if [ -z "${TASK_RUN:-}" ]; then step "train task-moe-target"; TASK_RUN=$(train task-moe-target task-moe-target-seed1); fi

for run in "$DENSE_RUN" "$TOKEN_RUN" "$TASK_RUN"; do
  step "evaluate run $run (beam 4, routing statistics)"
  "$bin" eval --db "$store" --run "$run" --checkpoint best --beam 4 > "$out/eval-run$run.txt"
done

step "extract every task of run $TASK_RUN"
"$bin" extract --db "$store" --run "$TASK_RUN" --checkpoint best --all-tasks > "$out/extract-run$TASK_RUN.txt"
for k in $keep; do
  step "prune run $TOKEN_RUN to $k experts per pair"
  "$bin" extract --db "$store" --run "$TOKEN_RUN" --checkpoint best --all-tasks --keep "$k" --by importance \
    > "$out/prune-run$TOKEN_RUN-keep$k.txt"
done

if [ -n "$student_minutes" ]; then
  budget=(--minutes "$student_minutes")
else
  teacher_steps=$("$bin" runs --db "$store" --format csv | awk -F, -v r="$TASK_RUN" '$1 == r { print $6 }')
  budget=(--set "train.steps=$teacher_steps" --set train.max_minutes=null)
fi
step "distil a dense student from run $TASK_RUN (${budget[*]})"
"$bin" distill --db "$store" --teacher "$TASK_RUN" --student-preset dense-student "${budget[@]}" \
  --name "student-of-$TASK_RUN" > /dev/null
STUDENT_RUN=$(run_id "student-of-$TASK_RUN")
step "evaluate the student, run $STUDENT_RUN"
"$bin" eval --db "$store" --run "$STUDENT_RUN" --checkpoint best --beam 4 > "$out/eval-run$STUDENT_RUN.txt"

# Every sub-network and pruned model on the pairs it serves.
for id in $("$bin" models --db "$store" --format csv | awk -F, -v a="$TASK_RUN" -v b="$TOKEN_RUN" \
    'NR > 1 && $2 == "subnetwork" && ($3 == a || $3 == b) { print $1 }'); do
  step "evaluate model $id"
  "$bin" eval --db "$store" --model "$id" --beam 4 --no-routing > "$out/eval-model$id.txt"
done

# Throughput on en-de: the full models, the German sub-network and the pruned en-de models.
sub_de=$("$bin" models --db "$store" --format csv | awk -F, -v r="$TASK_RUN" '$2 == "subnetwork" && $3 == r && $5 == "de" { id = $1 } END { print id }')
pruned=$("$bin" models --db "$store" --format csv | awk -F, -v r="$TOKEN_RUN" '$2 == "subnetwork" && $3 == r && $5 ~ /^en-de/ { printf ",model:%s", $1 }')
models="run:$DENSE_RUN@best,run:$TOKEN_RUN@best,run:$TASK_RUN@best,model:$sub_de$pruned,run:$STUDENT_RUN@best"
step "decoding throughput of $models"
"$bin" bench --db "$store" --decode --models "$models" --pair en-de --batch-sizes 1,4,16,64 > "$out/bench-decode.txt"

step "compare and report"
"$bin" compare --db "$store" --run "$TASK_RUN" --dense "$DENSE_RUN" > "$out/compare-run$TASK_RUN.txt"
"$bin" compare --db "$store" --run "$TOKEN_RUN" --dense "$DENSE_RUN" > "$out/compare-run$TOKEN_RUN.txt"
"$bin" report --db "$store" --runs "$DENSE_RUN,$TOKEN_RUN,$TASK_RUN,$STUDENT_RUN" --dense "$DENSE_RUN" --out "$out/report"
step "done: $out/report/report.md"
