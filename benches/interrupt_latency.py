#!/usr/bin/env python3
"""Time from Ctrl-C/SIGTERM to exit of mayadiag, in each phase, and whether partial files remain.

Usage: python3 benches/interrupt_latency.py [--bin target/release/mayadiag] [--runs 5]

Phases: the reachability probe against a server that accepts and never answers; `collect` and
`check` against `mayadiag serve` of a fixture with 400 ms added to every API request; `redact` of a
40 MB log to a file. Each run waits until the phase is under way, sends the signal, and measures
until the process has exited (polling every millisecond). Prints one line per phase: median and
maximum latency, exit codes seen, partial files left behind. Python 3 standard library only.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kubeconfig(path, port):
    with open(path, "w") as f:
        f.write(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
            f"    server: http://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n"
            "    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n"
        )


def partials(d):
    return [n for n in os.listdir(d) if n.endswith(".partial")]


def measure(cmd, ready, sig, workdir):
    """Start cmd, wait until ready() (or 20 s), send sig; return (latency_s, exit code, partials)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    sent = time.monotonic()
    p.send_signal(sig)
    while p.poll() is None:
        if time.monotonic() - sent > 10:
            p.kill()
            p.wait()
            break
        time.sleep(0.001)
    return time.monotonic() - sent, p.returncode, len(partials(workdir))


def report(name, results):
    lat = [r[0] * 1000 for r in results]
    codes = sorted({r[1] for r in results})
    left = sum(r[2] for r in results)
    print(f"{name:<44} median {statistics.median(lat):7.1f} ms  max {max(lat):7.1f} ms  "
          f"exit {codes}  partial files left {left}  ({len(results)} runs)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/debug/mayadiag"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mayadiag-interrupt-")

    # 1. The reachability probe, against a server that never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    kc_silent = os.path.join(tmp, "kc-silent")
    kubeconfig(kc_silent, silent.getsockname()[1])
    for sig, label in [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")]:
        results = []
        for i in range(args.runs):
            out = os.path.join(tmp, f"probe-{label}-{i}.tar.gz")
            start = time.monotonic()
            results.append(measure([args.bin, "collect", "--kubeconfig", kc_silent, "--output", out],
                                   lambda: time.monotonic() - start > 1.0, sig, tmp))
        report(f"collect, /version probe (silent server), {label}", results)

    # 2. collect and check against a slow served cluster.
    faults = os.path.join(tmp, "slow.yaml")
    with open(faults, "w") as f:
        f.write('rules:\n  - path: "^/(api|apis)/.+"\n    delay_ms: 400\n')
    kc = os.path.join(tmp, "kc-served")
    serve = subprocess.Popen([args.bin, "serve", os.path.join(ROOT, "tests/fixtures/clusters/openebs-4x"),
                              "--port", "0", "--write-kubeconfig", kc, "--inject-faults", faults],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    serve.stdout.readline()
    serve.stdout.readline()
    try:
        for sig, label in [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")]:
            results = []
            for i in range(args.runs):
                d = tempfile.mkdtemp(dir=tmp)
                out = os.path.join(d, "b.tar.gz")
                results.append(measure([args.bin, "collect", "--kubeconfig", kc, "--output", out],
                                       lambda: bool(partials(d)), sig, d))
            report(f"collect, listing (400 ms/request), {label}", results)
        results = []
        for i in range(args.runs):
            start = time.monotonic()
            results.append(measure([args.bin, "check", "--kubeconfig", kc],
                                   lambda: time.monotonic() - start > 1.0, signal.SIGINT, tmp))
        report("check, listing (400 ms/request), SIGINT", results)
    finally:
        serve.kill()
        serve.wait()

    # 3. redact of a big log into a file.
    big = os.path.join(tmp, "big.log")
    with open(big, "w") as f:
        for i in range(600_000):
            f.write(f"2026-01-01T00:00:00Z pod-{i} password=hunter{i} from 10.0.{i % 250}.{i % 200} done\n")
    results = []
    for i in range(args.runs):
        d = tempfile.mkdtemp(dir=tmp)
        results.append(measure([args.bin, "redact", big, "-o", os.path.join(d, "out.log")],
                               lambda: bool(partials(d)), signal.SIGINT, d))
    report("redact 40 MB log to a file, SIGINT", results)


if __name__ == "__main__":
    sys.exit(main())
