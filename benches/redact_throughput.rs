//! Redaction throughput on realistic OpenEBS/Kubernetes log text, single thread, built-in rules.
//!
//! Generates ~64 MB of klog, CSI gRPC and io-engine JSON log lines (about 1 in 100 carrying a secret,
//! including the issue-11 shapes: SQL statements, cookies, key-named random values, SMTP AUTH;
//! many more carrying trigger words such as `key=` or URLs), streams it through
//! `Redactor::stream` in 64 KiB chunks and prints MB/s (best of several runs).
//!
//! Run: `cargo bench --bench redact_throughput`

use std::time::Instant;

use mayadiag::redact::{RedactOptions, RedactionReport, Redactor};

const TARGET_BYTES: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const RUNS: usize = 5;

/// Small deterministic generator (xorshift64*), so every run measures the same text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize])).collect()
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }
}

fn klog_prefix(rng: &mut Lcg) -> String {
    let level = ['I', 'I', 'I', 'I', 'W', 'E'][rng.below(6) as usize];
    format!(
        "{level}1201 {:02}:{:02}:{:02}.{:06}       1 ",
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1_000_000)
    )
}

fn line(rng: &mut Lcg) -> String {
    let pv = format!("pvc-{}", rng.uuid());
    let node = format!("worker-{}", rng.below(12));
    let ts = format!("2026-12-01T09:{:02}:{:02}.{:06}Z", rng.below(60), rng.below(60), rng.below(1_000_000));
    match rng.below(100) {
        0..=19 => format!(
            "{}controller.go:1366] provision \"default/data-mongo-{}\" class \"openebs-hostpath\": started\n",
            klog_prefix(rng),
            rng.below(5)
        ),
        20..=34 => format!(
            "{}volume.go:120] \"Successfully provisioned volume\" PVC=\"default/{pv}\" volume=\"{pv}\" node=\"{node}\" size=\"10Gi\"\n",
            klog_prefix(rng)
        ),
        35..=44 => format!("{}utils.go:76] GRPC call: /csi.v1.Node/NodeGetCapabilities\n", klog_prefix(rng)),
        45..=52 => format!(
            "{}utils.go:77] GRPC request: {{\"volume_id\":\"{pv}\",\"target_path\":\"/var/lib/kubelet/pods/{}/volumes/kubernetes.io~csi/{pv}/mount\"}}\n",
            klog_prefix(rng),
            rng.uuid()
        ),
        53..=66 => format!(
            "{{\"timestamp\":\"{ts}\",\"level\":\"INFO\",\"fields\":{{\"message\":\"Nexus '{pv}' created with 3 children\"}},\"target\":\"io_engine::bdev::nexus\",\"filename\":\"io-engine/src/bdev/nexus/nexus_bdev.rs\",\"line_number\":{}}}\n",
            rng.below(2000)
        ),
        67..=74 => format!(
            "{}reconcile.go:88] \"Reconciling\" key=\"openebs/cspc-{}\" generation={}\n",
            klog_prefix(rng),
            rng.hex(6),
            rng.below(40)
        ),
        75..=80 => format!(
            "{}client.go:210] GET https://10.96.0.1:443/apis/cstor.openebs.io/v1/namespaces/openebs/cstorvolumes/{pv} 200 OK in {} milliseconds\n",
            klog_prefix(rng),
            rng.below(50)
        ),
        81..=86 => format!(
            "{}iscsi.go:300] login to iqn.2016-09.com.openebs.cstor:{pv} portal 10.0.{}.{}:3260 image sha256:{}\n",
            klog_prefix(rng),
            rng.below(255),
            rng.below(255),
            rng.hex(64)
        ),
        87..=93 => format!(
            "{ts} INFO zfs: mounted volume {pv} at /var/lib/kubelet/pods/{}/volumes/kubernetes.io~csi/{pv}/mount on {node}\n",
            rng.uuid()
        ),
        94..=97 => format!(
            "{}leaderelection.go:258] successfully acquired lease openebs/openebs-io-local; the token bucket refilled\n",
            klog_prefix(rng)
        ),
        _ => match rng.below(8) {
            0 => format!("{}backup.go:41] upload failed: password=Pw{} user=backup\n", klog_prefix(rng), rng.hex(12)),
            1 => format!("{}http.go:201] request: Authorization: Bearer {}\n", klog_prefix(rng), rng.hex(40)),
            2 => format!(
                "{{\"timestamp\":\"{ts}\",\"level\":\"WARN\",\"message\":\"s3 upload\",\"fields\":{{\"aws_secret_access_key\":\"{}\"}}}}\n",
                rng.hex(40)
            ),
            3 => {
                format!("{}client.go:12] connecting to postgres://app:{}@db:5432/app\n", klog_prefix(rng), rng.hex(16))
            }
            // Issue 11 shapes: SQL as databases log it, cookies, key-named random values, SMTP AUTH.
            4 => format!("{ts} UTC [42] LOG:  statement: ALTER USER app WITH PASSWORD '{}';\n", rng.hex(16)),
            5 => format!("{}http.go:89] > Cookie: session={}; theme=dark\n", klog_prefix(rng), rng.hex(32)),
            6 => format!("{}notify.go:30] pagerduty event routing_key={} dedup_key=x\n", klog_prefix(rng), rng.hex(32)),
            _ => format!("{ts} smtp: C: AUTH PLAIN AGFsZXJ0cwB{}\n", rng.hex(16)),
        },
    }
}

fn generate() -> Vec<u8> {
    let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
    let mut text = String::with_capacity(TARGET_BYTES + 1024);
    while text.len() < TARGET_BYTES {
        text.push_str(&line(&mut rng));
    }
    text.into_bytes()
}

/// CPU time of this thread in seconds (Linux schedstat), so a busy shared machine does not distort
/// the single-core number; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

fn run(redactor: &Redactor, input: &[u8]) -> (f64, Option<f64>, usize, u64) {
    let start = Instant::now();
    let cpu_start = thread_cpu_seconds();
    let mut stream = redactor.stream("bench.log");
    let mut out = Vec::with_capacity(CHUNK * 2);
    let mut written = 0usize;
    for chunk in input.chunks(CHUNK) {
        if stream.push(chunk, &mut out).is_err() {
            eprintln!("redaction failed");
            std::process::exit(1);
        }
        written += out.len();
        out.clear();
    }
    let mut report = RedactionReport::default();
    if stream.finish(&mut out, &mut report).is_err() {
        eprintln!("redaction failed");
        std::process::exit(1);
    }
    written += out.len();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(start), Some(end)) => Some(end - start),
        _ => None,
    };
    (start.elapsed().as_secs_f64(), cpu, written, report.total())
}

fn main() {
    let input = generate();
    let megabytes = input.len() as f64 / 1e6;
    let redactor = match Redactor::new(&RedactOptions::default()) {
        Ok(redactor) => redactor,
        Err(err) => {
            eprintln!("cannot build redactor: {err}");
            std::process::exit(1);
        }
    };
    let mut best_wall = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut masks = 0;
    let mut written = 0;
    for _ in 0..RUNS {
        let (wall, cpu, bytes, total) = run(&redactor, &input);
        best_wall = best_wall.min(wall);
        best_cpu = best_cpu.min(cpu.unwrap_or(f64::MAX));
        masks = total;
        written = bytes;
    }
    println!(
        "redact_throughput: input {megabytes:.1} MB, output {:.1} MB, {masks} values masked",
        written as f64 / 1e6
    );
    println!(
        "redact_throughput: stream redactor, built-in rules, 1 thread: {:.0} MB/s wall-clock (best of {RUNS})",
        megabytes / best_wall
    );
    if best_cpu < f64::MAX {
        println!("redact_throughput: same, per CPU-second of the thread: {:.0} MB/s", megabytes / best_cpu);
    }
}
