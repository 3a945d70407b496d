#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md on this machine: the machine summary, OpenSSL's
# speeds (exported so that the benches print the comparison), then the four benches.
#
#   benches/run.sh                 everything (about 3 minutes of measuring after the build)
#   benches/run.sh handshake       one bench: handshake, session, primitives or memory
#   BENCH_ROUNDS=11 benches/run.sh fewer interleaved rounds for the ratio tables (default 41)
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
