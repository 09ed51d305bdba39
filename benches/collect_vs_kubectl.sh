#!/usr/bin/env bash
# Benchmark: `mayadiag collect` against `kubectl cluster-info dump` (+ tar czf) on a synthetic large
# cluster served by `mayadiag serve` with added per-request latency (a remote API server).
#
#   benches/collect_vs_kubectl.sh                 # 3000 pods with 32 and with 128 KiB logs, 10 ms latency
#   CASES="1000:128 3000:128" benches/collect_vs_kubectl.sh
#
# The default cases keep the object count fixed and grow only the log volume (768 MiB at 128 KiB),
# which is what "peak RSS flat as the log volume grows" is about.
#
# Environment:
#   CASES        space-separated PODS:LOG_KIB pairs (default "3000:32 3000:128"; each pod has 2 containers)
#   SIZES, LOG_KIB  alternative to CASES: every combination of these pod counts and log sizes
#   LATENCY      latency added by serve to every request (default 10ms)
#   WORK         scratch directory (default /tmp/mayadiag-bench); generated clusters are reused
#   MAYADIAG     binary to use (default: target/release/mayadiag, built with cargo build --release)
#   KUBECTL      kubectl binary (default: kubectl on PATH)
#   SKIP_KUBECTL=1  only measure mayadiag
# Prints markdown tables (paste into BENCHMARKS.md); raw /usr/bin/time outputs stay in $WORK/runs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${CASES:-}" ]]; then
    if [[ -n "${SIZES:-}" || -n "${LOG_KIB:-}" ]]; then
        CASES=""
        for kib in ${LOG_KIB:-128}; do for pods in ${SIZES:-3000}; do CASES="$CASES $pods:$kib"; done; done
    else
        CASES="3000:32 3000:128"
    fi
fi
LATENCY="${LATENCY:-10ms}"
WORK="${WORK:-/tmp/mayadiag-bench}"
KUBECTL="${KUBECTL:-kubectl}"
RUNS="$WORK/runs"
mkdir -p "$WORK" "$RUNS"

log() { echo "[bench] $*" >&2; }

if [[ -z "${MAYADIAG:-}" ]]; then
    log "building release binary"
    (cd "$ROOT" && nice -n 10 cargo build --release --quiet)
    MAYADIAG="${CARGO_TARGET_DIR:-$ROOT/target}/release/mayadiag"
fi
[[ -x "$MAYADIAG" ]] || { echo "no mayadiag binary at $MAYADIAG" >&2; exit 1; }

if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time (apt package 'time')"
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
fi
if [[ -z "${SKIP_KUBECTL:-}" ]] && ! command -v "$KUBECTL" >/dev/null; then
    echo "kubectl not found (set KUBECTL=... or SKIP_KUBECTL=1)" >&2
    exit 1
fi

SERVE_PID=""
cleanup() { if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

# seconds from GNU time's "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.35"
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
size_mib() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
exit_status() { awk -F': ' '/Exit status/ { print $2 }' "$1"; }

start_serve() { # bundle dir, kubeconfig path
    local out="$RUNS/serve.out"
    rm -f "$2" "$out"
    "$MAYADIAG" serve "$1" --port 0 --latency "$LATENCY" --write-kubeconfig "$2" >"$out" 2>"$RUNS/serve.err" &
    SERVE_PID=$!
    for _ in $(seq 1 600); do
        if grep -q '^serving ' "$out" 2>/dev/null && [[ -s "$2" ]]; then
            log "$(head -1 "$out")"
            return 0
        fi
        if ! kill -0 "$SERVE_PID" 2>/dev/null; then
            echo "serve exited early:" >&2; cat "$RUNS/serve.err" >&2; exit 1
        fi
        sleep 0.2
    done
    echo "serve did not start within 120 s" >&2
    exit 1
}

stop_serve() { kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""; }

ROWS=()
SUMMARY=()
for case_ in $CASES; do
    pods="${case_%%:*}"
    kib="${case_##*:}"
    dir="$WORK/large-$pods-$kib"
    if [[ ! -f "$dir/.complete" ]]; then
        log "generating $dir"
        python3 "$ROOT/benches/synth/gen_large_cluster.py" --out "$dir" --pods "$pods" --log-kib "$kib"
        touch "$dir/.complete"
    fi
    logs_mib=$(du -sm "$dir/cluster-resources/pods/logs" | cut -f1)
    kc="$WORK/kubeconfig-$pods-$kib"
    tag="$pods-$kib"
    start_serve "$dir" "$kc"

    log "mayadiag collect ($tag)"
    rm -f "$WORK/mayadiag-$tag.tar.gz"
    /usr/bin/time -v -o "$RUNS/mayadiag-$tag.time" "$MAYADIAG" collect --kubeconfig "$kc" --app-logs \
        --output "$WORK/mayadiag-$tag.tar.gz" -o json >"$RUNS/mayadiag-$tag.json" 2>"$RUNS/mayadiag-$tag.err" || true
    [[ -f "$WORK/mayadiag-$tag.tar.gz" ]] || { echo "mayadiag collect wrote no bundle; see $RUNS/mayadiag-$tag.err" >&2; tail -5 "$RUNS/mayadiag-$tag.err" >&2; exit 1; }
    m_wall=$(wall_s "$RUNS/mayadiag-$tag.time"); m_rss=$(rss_mib "$RUNS/mayadiag-$tag.time"); m_size=$(size_mib "$WORK/mayadiag-$tag.tar.gz")
    ROWS+=("| mayadiag collect --app-logs | $pods | $kib | $logs_mib | $m_wall | $m_rss | $m_size |")

    log "mayadiag collect --no-redact ($tag)"
    rm -f "$WORK/mayadiag-noredact-$tag.tar.gz"
    /usr/bin/time -v -o "$RUNS/mayadiag-noredact-$tag.time" "$MAYADIAG" collect --kubeconfig "$kc" --app-logs --no-redact --yes \
        --output "$WORK/mayadiag-noredact-$tag.tar.gz" -o json >"$RUNS/mayadiag-noredact-$tag.json" 2>"$RUNS/mayadiag-noredact-$tag.err" || true
    if [[ -f "$WORK/mayadiag-noredact-$tag.tar.gz" ]]; then
        n_wall=$(wall_s "$RUNS/mayadiag-noredact-$tag.time"); n_rss=$(rss_mib "$RUNS/mayadiag-noredact-$tag.time")
        n_size=$(size_mib "$WORK/mayadiag-noredact-$tag.tar.gz")
        ROWS+=("| mayadiag collect --app-logs --no-redact | $pods | $kib | $logs_mib | $n_wall | $n_rss | $n_size |")
        overhead=$(awk -v a="$m_wall" -v b="$n_wall" 'BEGIN { if (b > 0) printf "%+.0f%%", (a - b) / b * 100; else print "n/a" }')
    else
        overhead="n/a"
    fi

    if [[ -z "${SKIP_KUBECTL:-}" ]]; then
        log "kubectl cluster-info dump ($tag)"
        kd="$WORK/kubectl-$tag"
        rm -rf "$kd" "$kd.tar.gz"
        /usr/bin/time -v -o "$RUNS/kubectl-$tag.time" "$KUBECTL" --kubeconfig "$kc" cluster-info dump --all-namespaces \
            --output-directory "$kd" >"$RUNS/kubectl-$tag.out" 2>"$RUNS/kubectl-$tag.err" || log "kubectl exited $(exit_status "$RUNS/kubectl-$tag.time") (see $RUNS/kubectl-$tag.err)"
        /usr/bin/time -v -o "$RUNS/tar-$tag.time" tar czf "$kd.tar.gz" -C "$WORK" "kubectl-$tag"
        k_wall=$(wall_s "$RUNS/kubectl-$tag.time"); t_wall=$(wall_s "$RUNS/tar-$tag.time")
        k_total=$(awk -v a="$k_wall" -v b="$t_wall" 'BEGIN { printf "%.2f", a + b }')
        k_rss=$(rss_mib "$RUNS/kubectl-$tag.time"); t_rss=$(rss_mib "$RUNS/tar-$tag.time")
        k_peak=$(awk -v a="$k_rss" -v b="$t_rss" 'BEGIN { printf "%.1f", (a > b ? a : b) }')
        k_size=$(size_mib "$kd.tar.gz")
        ROWS+=("| kubectl cluster-info dump + tar czf | $pods | $kib | $logs_mib | $k_total ($k_wall + $t_wall) | $k_peak | $k_size |")
        speedup=$(awk -v k="$k_total" -v m="$m_wall" 'BEGIN { if (m > 0) printf "%.1fx", k / m; else print "n/a" }')
    else
        speedup="n/a"
    fi
    SUMMARY+=("| $pods | $kib | $speedup | $m_rss | $overhead |")
    stop_serve
done

echo
echo "Synthetic cluster: pods x 2 containers with logs, 30,000 events, 2,000 PVs/PVCs, 1,000 custom resources;"
echo "served by \`mayadiag serve --latency $LATENCY\` on 127.0.0.1. $(nproc) CPUs, $(uname -sr), $("$KUBECTL" version --client 2>/dev/null | head -1 || true)."
echo
echo "| tool | pods | log KiB/container | logs on disk (MiB) | wall time (s) | peak RSS (MiB) | output (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| pods | log KiB/container | speedup (kubectl+tar / mayadiag) | mayadiag peak RSS (MiB) | redaction overhead (wall) |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${SUMMARY[@]}"
