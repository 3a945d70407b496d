#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md on this machine: the machine summary, OpenSSL's
# speeds (exported so that the benches print the comparison), then the four benches.
#
#   benches/run.sh                 everything (about 3 minutes of measuring after the build)
#   benches/run.sh handshake       one bench: handshake, session, primitives or memory
#   BENCH_ROUNDS=21 benches/run.sh fewer interleaved rounds for the ratio tables (default 61)
#   CALLGRIND=0 benches/run.sh     skip the instruction counts (valgrind) at the end
#
# Extra arguments after the bench name go to divan, e.g. `benches/run.sh session seal`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' || true
rustc -V
uptime

# `openssl speed` prints the rate in 1000s of bytes per second as the last field, e.g.
# `RC4   728132.27k`. RC4 sits in OpenSSL 3's legacy provider.
speed() {
  local name=$1
  shift
  openssl speed -seconds 2 -bytes 65536 "$@" 2>/dev/null |
    awk -v n="$name" '$1 == n { v = $NF; sub(/k$/, "", v); print v }'
}
if command -v openssl >/dev/null; then
  echo "== OpenSSL ($(openssl version)), 64 KiB blocks"
  OPENSSL_RC4_KBPS=$(speed RC4 -provider legacy -provider default -evp rc4 || true)
  OPENSSL_MD5_KBPS=$(speed md5 -evp md5 || true)
  OPENSSL_HMAC_MD5_KBPS=$(speed 'hmac(md5)' -hmac md5 || true)
  export OPENSSL_RC4_KBPS OPENSSL_MD5_KBPS OPENSSL_HMAC_MD5_KBPS
  echo "RC4 ${OPENSSL_RC4_KBPS:-n/a} kB/s; MD5 ${OPENSSL_MD5_KBPS:-n/a} kB/s; HMAC-MD5 ${OPENSSL_HMAC_MD5_KBPS:-n/a} kB/s"
else
  echo "== no openssl binary: the OpenSSL columns stay empty"
fi

benches=(handshake session primitives memory)
if [ $# -gt 0 ]; then
  benches=("$1")
  shift
fi
cargo bench --no-run
for bench in "${benches[@]}"; do
  echo
  echo "== cargo bench --bench $bench"
  cargo bench --bench "$bench" -- "$@"
done

# Instruction counts (deterministic, whatever the neighbours do): each case run N times
# under callgrind in the benches' BENCH_PROFILE mode, minus a run of 0 iterations.
if [ $# -eq 0 ] && [ "${CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
  deps=${CARGO_TARGET_DIR:-target}/release/deps
  bin() { ls -t "$deps/$1"-* | grep -v '\.d$' | head -n 1; }
  instructions() { # binary case iterations
    local zero full
    zero=$(BENCH_PROFILE=$2 BENCH_ITERS=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 2>&1 | awk '/Collected/ { print $NF }')
    full=$(BENCH_PROFILE=$2 BENCH_ITERS=$3 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 2>&1 | awk '/Collected/ { print $NF }')
    echo $(((full - zero) / $3))
  }
  row() { # label binary case iterations
    local ours floor
    ours=$(instructions "$2" "$3" "$4")
    floor=$(instructions "$2" "$3_floor" "$4")
    awk -v l="$1" -v f="$floor" -v o="$ours" 'BEGIN { printf "| %s | %d | %d | %.3f |\n", l, f, o, f / o }'
  }
  echo
  echo "### Instructions per operation (callgrind): ratio = floor / ours"
  echo
  echo "| operation | floor | ours | ratio |"
  echo "|---|---:|---:|---:|"
  if [[ " ${benches[*]} " == *" handshake "* ]]; then
    row "NTLMv2 handshake" "$(bin handshake)" ntlm 200
    row "Negotiate handshake" "$(bin handshake)" negotiate 200
    row "NTLMv2, client side alone" "$(bin handshake)" ntlm_client 200
    row "NTLMv2, server side alone" "$(bin handshake)" ntlm_server 200
    row "Negotiate, client side alone" "$(bin handshake)" negotiate_client 200
    row "Negotiate, server side alone" "$(bin handshake)" negotiate_server 200
  fi
  if [[ " ${benches[*]} " == *" session "* ]]; then
    BENCH_LEN=64 row "sign + verify 64 B" "$(bin session)" sign 2000
    BENCH_LEN=64 row "seal + unseal 64 B" "$(bin session)" seal 2000
    BENCH_LEN=1024 row "seal + unseal 1 KiB" "$(bin session)" seal 500
  fi
  # Instruction-cache misses per handshake, simulated (cachegrind, a 32 KiB 8-way L1i as
  # on this Zen 3): N more iterations minus N, so start-up and first-touch misses cancel.
  if [[ " ${benches[*]} " == *" handshake "* ]]; then
    i1_misses() { # binary case iterations
      local sim=(valgrind --tool=cachegrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64
        --LL=33554432,16,64 --cachegrind-out-file=/dev/null)
      local once twice
      once=$(BENCH_PROFILE=$2 BENCH_ITERS=$3 "${sim[@]}" "$1" 2>&1 | awk '/I1  misses/ { gsub(",", "", $4); print $4 }')
      twice=$(BENCH_PROFILE=$2 BENCH_ITERS=$(($3 * 2)) "${sim[@]}" "$1" 2>&1 | awk '/I1  misses/ { gsub(",", "", $4); print $4 }')
      echo $(((twice - once) / $3))
    }
    echo
    echo "### L1 instruction-cache misses per handshake (cachegrind, 32 KiB L1i)"
    echo
    echo "| operation | floor | ours |"
    echo "|---|---:|---:|"
    for c in ntlm negotiate ntlm_client ntlm_server negotiate_client negotiate_server; do
      echo "| $c | $(i1_misses "$(bin handshake)" "${c}_floor" 100) | $(i1_misses "$(bin handshake)" "$c" 100) |"
    done
  fi
fi
