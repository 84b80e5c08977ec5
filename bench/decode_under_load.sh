#!/bin/bash
# Decode speed with 1 and 2 threads, without and with a busy loop pinned on core 1
# (the issue 9 bar: with the busy loop, 2 threads >= 1 thread).
# usage: bench/decode_under_load.sh BUILD/qwen3 [extra bench args]; GEN=tokens (default 16), COMPS="no yes"
BIN=$1; shift
EXTRA="$@"
run() { $BIN bench ${MODEL_FLAG:---model-config} qwen3-4b --dummy-weights --threads $1 --prompt-tokens 4 --gen-tokens ${GEN:-16} $EXTRA 2>&1 | grep -E "^decode" | tr -s ' ' | tr '\n' '|'; }
for comp in ${COMPS:-no yes}; do
  for t in 1 2; do
    if [ $comp = yes ]; then taskset -c 1 sh -c 'while :; do :; done' & CPID=$!; fi
    echo "competitor=$comp threads=$t load=$(cut -d' ' -f1 /proc/loadavg): $(run $t)"
    if [ $comp = yes ]; then kill $CPID; wait $CPID 2>/dev/null; fi
  done
done
