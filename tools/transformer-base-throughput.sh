#!/usr/bin/env bash
# The README's Transformer-Base decoding throughput: random weights are enough for speed.
# Writes five model files of the 32-expert Transformer-Base shape (token-routed on both sides;
# token-routed encoder with a decoder routed by target language; that model's German
# sub-network; a dense Transformer-Base; a dense model with the sub-network's shape, FFNs of
# k·d_ff = 4,096 where the MoE layers are), then decodes the same random sources of 20 pieces
# into 20 pieces with each, greedy and beam 4, at growing batch sizes, in one run.
#
#   tools/transformer-base-throughput.sh STORE DIR [BATCH_SIZES]
#
# The models take 2.3 GB on disk; measuring takes about 40 minutes on 2 cores. Nothing else
# should run beside it.
set -euo pipefail
store=${1:?usage: tools/transformer-base-throughput.sh STORE DIR [BATCH_SIZES]}
dir=${2:?usage: tools/transformer-base-throughput.sh STORE DIR [BATCH_SIZES]}
sizes=${3:-1,4,16,64,256}
bin=${TASKMOE_BIN:-$(dirname "$0")/../build/bin/taskmoe}
languages=en,de,es,fr
mkdir -p "$dir"

init() {  # name, preset, options
  [ -f "$dir/$1.tmf" ] || "$bin" model init --preset "$2" --options "$3" --languages "$languages" --output "$dir/$1.tmf"
}
init token transformer-base-token-moe-32 '{}'
init task transformer-base-task-moe-32 '{}'
init dense transformer-base-token-moe-32 '{"encoder_routing": "dense", "decoder_routing": "dense"}'
init dense-4096 transformer-base-token-moe-32 \
  '{"encoder_routing": "dense", "decoder_routing": "dense", "encoder_folded_ff": 4096, "decoder_folded_ff": 4096}'
[ -f "$dir/task-de.tmf" ] || "$bin" extract --model "$dir/task.tmf" --task de --output "$dir/task-de.tmf"

"$bin" bench --db "$store" --decode --pair en-de --source-length 20 --target-length 20 --batch-sizes "$sizes" \
  --models "$dir/token.tmf,$dir/task.tmf,$dir/task-de.tmf,$dir/dense.tmf,$dir/dense-4096.tmf"
