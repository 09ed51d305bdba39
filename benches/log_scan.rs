//! What `analyze` spends per log once it is inflated: the check set's log-pattern scan
//! (`LogPatterns::scan`) and the error-tail search (`error_tail`), timed apart, single thread.
//!
//! Reads every `*.log` under a directory (a generated cluster, see BENCHMARKS.md) into memory
//! first, so disk and inflate are not measured:
//!
//!     python3 benches/synth/gen_large_cluster.py --out /tmp/large --pods 3000 --log-kib 128
//!     LOG_DIR=/tmp/large cargo bench --bench log_scan
//!
//! Without `LOG_DIR` it generates 64 MiB of log text of the same shapes. Prints MB/s (best of 3)
//! and the hit/tail counts (so a faster version can be checked to find the same lines).

use std::path::Path;
use std::time::Instant;

use mayadiag::checks::CheckSet;
use mayadiag::snapshot::{LogPatterns, error_tail};

const RUNS: usize = 3;

fn read_logs(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            read_logs(&p, out);
        } else if p.extension().is_some_and(|e| e == "log")
            && let Ok(bytes) = std::fs::read(&p)
        {
            out.push(bytes);
        }
    }
}

/// Log text of the shapes the generator writes: klog, logrus JSON, io-engine, some error lines.
fn generated() -> Vec<Vec<u8>> {
    let lines: [&[u8]; 6] = [
        b"I1129 15:19:30.667834       1 volume.go:127] replica pvc-bb14d262-7c10-575e-9d7d-d88b23171445 lease reconciled state=Degraded latency=815ms\n",
        b"{\"attempt\": 1, \"caller\": \"controller.go:239\", \"level\": \"info\", \"msg\": \"device updated\", \"node\": \"node-23\"}\n",
        b"[2026-11-30T02:58:48.472958Z   WARN io_engine::bdev::nexus:nexus_bdev.rs:1494] child nvmf://10.0.74.243:8420/nqn state Running\n",
        b"E1129 15:19:31.000001       1 controller.go:88] failed to sync volume: rpc error: code = Unavailable\n",
        b"time=\"2026-11-30T00:00:00Z\" level=info msg=\"reconciled\" volume=pvc-1\n",
        b"2026-11-30 00:00:00 UTC [77] LOG:  checkpoint complete: wrote 12 buffers\n",
    ];
    let mut logs = Vec::new();
    let mut state = 1u64;
    for _ in 0..512 {
        let mut log = Vec::with_capacity(128 * 1024);
        while log.len() < 128 * 1024 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            log.extend_from_slice(lines[(state >> 33) as usize % lines.len()]);
        }
        logs.push(log);
    }
    logs
}

fn best<F: FnMut() -> usize>(mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        count = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, count)
}

fn main() {
    let logs = match std::env::var_os("LOG_DIR") {
        Some(dir) => {
            let mut logs = Vec::new();
            read_logs(Path::new(&dir), &mut logs);
            logs
        }
        None => generated(),
    };
    let total: usize = logs.iter().map(Vec::len).sum();
    let mb = total as f64 / 1e6;
    let patterns: LogPatterns = match CheckSet::builtin() {
        Ok(set) => set.log_patterns(),
        Err(e) => {
            eprintln!("built-in checks did not load: {e}");
            std::process::exit(1);
        }
    };
    println!("{} logs, {:.1} MB, {} log patterns", logs.len(), mb, patterns.ids().len());
    let (scan_s, hits) =
        best(|| logs.iter().map(|l| patterns.scan(l).iter().map(|h| h.count as usize).sum::<usize>()).sum());
    println!("pattern scan: {:.3} s, {:.0} MB/s, {} matching lines", scan_s, mb / scan_s, hits);
    let (tail_s, tails) = best(|| logs.iter().map(|l| error_tail(l).len()).sum());
    println!("error tail:   {:.3} s, {:.0} MB/s of whole logs, {} lines kept", tail_s, mb / tail_s, tails);
}
