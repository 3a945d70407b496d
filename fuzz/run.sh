#!/usr/bin/env bash
# Runs the fuzz targets one after the other on the nightly toolchain and prints a summary
# table (Markdown, ready for fuzz/README.md) of executions, speed and coverage per target.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s, every target
#
# Each target runs in one process (one job, one core) from its committed seeds in
# fuzz/corpus/<target>/ plus a scratch corpus in fuzz/target/work-corpus/<target>/, which
# is where libFuzzer writes the inputs it finds (the committed corpus stays small; minimise
# findings into it with `cargo +nightly fuzz cmin` if wanted). Crashes land in
# fuzz/artifacts/<target>/; the script goes on with the next target and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET=${1:-60}
shift || true

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# NO_BUILD=1 reuses the binaries of an earlier build (e.g. while the tree is mid-edit).
[ -n "${NO_BUILD:-}" ] || cargo +nightly fuzz build -O
bin_dir="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
mkdir -p target/work-corpus target/logs

rows=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "target/work-corpus/$t" "artifacts/$t"
  log="target/logs/$t.log"
  echo "== $t (${SECONDS_PER_TARGET}s)" >&2
  status=ok
  # The binaries built above, run directly: a source change mid-run cannot trigger a rebuild.
  if ! "$bin_dir/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECONDS_PER_TARGET" \
      -print_final_stats=1 "target/work-corpus/$t" "corpus/$t" >"$log" 2>&1; then
    status="CRASH ($(grep -o 'artifacts/[^ ]*' "$log" | tail -1 || echo "see $log"))"
    failed=1
  fi
  # libFuzzer's last status line: "#<execs> DONE cov: <edges> ft: <features> corp: ... exec/s: <n> ..."
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 || true)
  execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$done_line")
  [ -n "$execs" ] || execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$done_line")
  speed=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
  rows+=("| \`$t\` | ${SECONDS_PER_TARGET} | ${execs:-?} | ${speed:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $status |")
  echo "   ${execs:-?} execs, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}: $status" >&2
done

echo
echo "| target | seconds | executions | exec/s | cov (edges) | ft (features) | corpus | result |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
