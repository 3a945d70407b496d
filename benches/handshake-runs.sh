#!/usr/bin/env bash
# The handshake ratios over several fresh processes. On a shared host the machine switches
# between a fast and a slow state every fraction of a second to a few seconds (see
# BENCH_CHUNKS in BENCHMARKS.md), so a single run's ratio says little; this
# prints every run and then the lowest, median and highest ratio of each row (the two full
# handshakes and each side alone).
#
#   benches/handshake-runs.sh           15 processes, 31 interleaved rounds each
#   benches/handshake-runs.sh 25        25 processes
#   BENCH_ROUNDS=61 benches/handshake-runs.sh
#
# Then each full handshake and its floor alone, one process per case and nothing
# interleaved (the binary's BENCH_PROFILE mode, LOOP_ITERS handshakes per process, default
# 100000, ours and floor alternating): the same ratio without batches or switching, and
# the time per handshake. LOOP_ITERS=0 skips it.
#
# Last, each full handshake in one process as CHUNKS chunks (default 60) of 2,000
# handshakes, each followed by 2,000 floors (BENCH_CHUNKS): the chunks within 8 % of the
# fastest (the machine's fast state, when the run saw it) against the rest. CHUNKS=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-15}
rounds=${BENCH_ROUNDS:-31}
cargo bench --no-run --bench handshake 2>&1 | grep -E '^(error|warning)' || true
deps=${CARGO_TARGET_DIR:-target}/release/deps
bin=$(ls -t "$deps"/handshake-* | grep -v '\.d$' | head -n 1)
uptime

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for ((run = 1; run <= runs; run++)); do
  # A divan filter that matches no bench: only the ratio table runs.
  BENCH_ROUNDS=$rounds "$bin" --exact no-divan-bench | grep -E '^\| (NTLMv2|Negotiate)' |
    tee -a "$rows"
done

echo
echo "### Handshake ratios over $runs processes ($rounds rounds each): lowest / median / highest"
# awk: "lowest / median / highest" of v[1..k], each printed with `fmt`.
stats='
    function stats(v, k, fmt,   i, j, t, s) {
      for (i = 1; i <= k; i++) s[i] = v[i]
      for (i = 2; i <= k; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
      return sprintf(fmt " / " fmt " / " fmt, s[1], (k % 2) ? s[(k + 1) / 2] : (s[k / 2] + s[k / 2 + 1]) / 2, s[k])
    }'
echo
echo "| operation | ratio (fastest batch) | ratio of medians |"
echo "|---|---:|---:|"
# Columns: | operation | floor | ours | ratio | ratio of medians | target | verdict |
awk -F'|' '!seen[$2]++ { print $2 }' "$rows" | sed 's/^ //; s/ $//' | while IFS= read -r name; do
  awk -F'|' -v n=" $name " '$2 == n { print $5, $6 }' "$rows" | awk -v n="$name" "$stats"'
    { a[NR] = $1; b[NR] = $2 }
    END { printf "| %s | %s | %s |\n", n, stats(a, NR, "%.3f"), stats(b, NR, "%.3f") }'
done

loop_iters=${LOOP_ITERS:-100000}
# Nanoseconds one process takes to run `case` loop_iters times.
elapsed() {
  local start end
  start=$(date +%s%N)
  BENCH_PROFILE=$1 BENCH_ITERS=$loop_iters "$bin"
  end=$(date +%s%N)
  echo $((end - start))
}
if [ "$loop_iters" -gt 0 ]; then
  echo
  echo "### Each handshake alone in its process ($loop_iters in a row), $runs processes each: lowest / median / highest"
  echo
  echo "| operation | ratio | ours per handshake | floor per handshake |"
  echo "|---|---:|---:|---:|"
  for case in ntlm negotiate; do
    for ((run = 1; run <= runs; run++)); do
      echo "$(elapsed "$case") $(elapsed "${case}_floor")"
    done | awk -v n="$case" -v k="$loop_iters" "$stats"'
      { r[NR] = $2 / $1; o[NR] = $1 / k / 1000; f[NR] = $2 / k / 1000 }
      END { printf "| %s | %s | %s µs | %s µs |\n", n, stats(r, NR, "%.3f"), stats(o, NR, "%.2f"), stats(f, NR, "%.2f") }'
  done
fi

chunks=${CHUNKS:-60}
[ "$chunks" -gt 0 ] || exit 0
echo
echo "### Each handshake in one process, $chunks chunks of 2000 and as many floors, by state"
for case in ntlm negotiate; do
  echo
  BENCH_PROFILE=$case BENCH_ITERS=2000 BENCH_CHUNKS=$chunks "$bin" | grep '^|'
done
