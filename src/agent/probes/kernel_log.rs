//! Kernel crashes (docs/node-probes.md, FM25): crash dumps under `/var/crash` (kdump directories,
//! apport's `linux-image-*.crash`) and panic / oops / NVMe timeout lines in the tail of the kernel log
//! (`/var/log/kern.log`, or `/var/log/messages` on RHEL-like hosts).
//!
//! The journal is binary and `/dev/kmsg` needs CAP_SYSLOG, so only these plain files are read.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::{Family, Probe, ProbeContext, ReadFailure};
use crate::agent::report::{Evidence, ProbeResult};

/// A crash dump newer than this makes the probe fail; older ones only warn.
const RECENT: Duration = Duration::from_secs(7 * 24 * 3600);
/// How much of each log (and of a dump's dmesg) is read, from the end.
const TAIL_BYTES: u64 = 1 << 20;
/// Quoted lines are cut to this many characters.
const MAX_QUOTE: usize = 300;
const KERNEL_LOGS: [&str; 2] = ["/var/log/kern.log", "/var/log/messages"];

/// The kernel itself went down.
static CRASH_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"Kernel panic|general protection fault|BUG: unable to handle|kernel BUG at|Oops: ").ok()
});
/// The NVMe-oF path stalls: the usual prelude to reconnect storms and node restarts.
static NVME_LINE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"nvme nvme\d+: .*(timeout|controller is down)").ok());

fn matches(re: &LazyLock<Option<Regex>>, line: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(line))
}

fn quote(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// A kernel crash dump under /var/crash: its host path, how long ago it was written, and the
/// files holding its kernel messages (a kdump directory's dmesg files, or the dump file itself).
struct Dump {
    path: String,
    age: Option<Duration>,
    dmesg_files: Vec<String>,
}

/// kdump writes a directory per crash (vmcore, vmcore-dmesg.txt or dmesg.*); apport writes
/// `linux-image-*.crash`. Userland crash files are not kernel crashes.
fn crash_dumps(ctx: &ProbeContext) -> Result<Option<Vec<Dump>>, ReadFailure> {
    let Some(names) = ctx.host.list_dir("/var/crash")? else { return Ok(None) };
    let mut dumps = Vec::new();
    for name in names {
        let path = format!("/var/crash/{name}");
        let (kernel, dmesg_files) = if ctx.host.is_dir(&path) {
            let files = ctx.host.list_dir(&path)?.unwrap_or_default();
            let kernel = files.iter().any(|f| f.starts_with("vmcore") || f.starts_with("dmesg"));
            let dmesg = files
                .into_iter()
                .filter(|f| f.starts_with("dmesg") || f == "vmcore-dmesg.txt")
                .map(|f| format!("{path}/{f}"))
                .collect();
            (kernel, dmesg)
        } else {
            let kernel = name.starts_with("linux-image") && name.ends_with(".crash")
                || name.starts_with("vmcore")
                || name.starts_with("dmesg");
            (kernel, vec![path.clone()])
        };
        if kernel {
            dumps.push(Dump { age: ctx.host.modified_ago(&path), path, dmesg_files });
        }
    }
    Ok(Some(dumps))
}

/// The first crash line of a dump's dmesg text, when there is one.
fn dump_crash_line(ctx: &ProbeContext, dump: &Dump) -> Option<String> {
    dump.dmesg_files.iter().find_map(|f| {
        let text = ctx.host.read_tail(f, TAIL_BYTES).ok()??;
        text.lines().find(|l| matches(&CRASH_LINE, l)).map(|l| format!("{f}: {}", quote(l)))
    })
}

fn days(age: Option<Duration>) -> String {
    age.map_or_else(|| "unknown age".to_string(), |a| format!("{} days ago", a.as_secs() / 86_400))
}

/// The probe `common.kernel_crashes`.
pub fn kernel_crashes(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Common, "kernel_crashes", "No recent kernel crashes or NVMe timeouts");
    let dumps = match crash_dumps(ctx) {
        Ok(dumps) => dumps,
        Err(failure) => return probe.error(&failure),
    };
    let mut evidence = Vec::new();
    let (mut recent, mut old) = (Vec::new(), Vec::new());
    match &dumps {
        None => evidence.push(Evidence::new("/var/crash", "absent")),
        Some(d) if d.is_empty() => evidence.push(Evidence::new("/var/crash", "no kernel crash dumps")),
        Some(d) => {
            for dump in d {
                let is_recent = dump.age.is_none_or(|a| a < RECENT);
                let line = dump_crash_line(ctx, dump);
                let value = match &line {
                    Some(l) => format!("kernel crash dump, {}; {l}", days(dump.age)),
                    None => format!("kernel crash dump, {}", days(dump.age)),
                };
                evidence.push(Evidence::new(&dump.path, value));
                if is_recent { recent.push(dump.path.clone()) } else { old.push(dump.path.clone()) }
            }
        }
    }

    let (mut crash_lines, mut nvme_lines) = (Vec::new(), Vec::new());
    let mut any_log = false;
    for log in KERNEL_LOGS {
        let text = match ctx.host.read_tail(log, TAIL_BYTES) {
            Err(failure) => return probe.error(&failure),
            Ok(None) => continue,
            Ok(Some(text)) => text,
        };
        any_log = true;
        let before = (crash_lines.len(), nvme_lines.len());
        for line in text.lines() {
            if matches(&CRASH_LINE, line) {
                crash_lines.push((log, quote(line)));
            } else if matches(&NVME_LINE, line) {
                nvme_lines.push((log, quote(line)));
            }
        }
        if (crash_lines.len(), nvme_lines.len()) == before {
            evidence.push(Evidence::new(log, "no panic, oops or NVMe timeout lines in its last 1 MiB"));
        }
    }
    if !any_log {
        evidence.push(Evidence::new(KERNEL_LOGS[0], "absent"));
    }
    // First and last of each kind: where it started and that it is still going on.
    for lines in [&crash_lines, &nvme_lines] {
        let mut shown: Vec<&(&str, String)> = lines.iter().take(1).chain(lines.iter().skip(1).last()).collect();
        shown.dedup();
        for (log, line) in shown {
            evidence.push(Evidence::new(*log, format!("{line} ({} such lines)", lines.len())));
        }
    }

    let fix = "The node's kernel crashed. On the Mayastor NVMe-oF path this is a known class of kernel bugs \
               (nvme_tcp / blk-mq on some 6.1.x kernels, usercopy hardening, VMware paravirtual stacks): move the \
               node to a fixed distribution kernel, check hugepages and the io-engine CPU allocation, cordon the \
               node until then, and send /var/crash to the kernel vendor.";
    if !recent.is_empty() || !crash_lines.is_empty() {
        let mut what = Vec::new();
        if !recent.is_empty() {
            what.push(format!("{} kernel crash dump(s) from the last 7 days in /var/crash", recent.len()));
        }
        if !crash_lines.is_empty() {
            what.push(format!("{} panic/oops line(s) in the kernel log", crash_lines.len()));
        }
        return probe.fail(format!("kernel crashed on this node: {}", what.join("; ")), evidence, fix);
    }
    if !nvme_lines.is_empty() {
        return probe.warn(
            format!("{} NVMe controller timeout line(s) in the kernel log", nvme_lines.len()),
            evidence,
            "NVMe-oF I/O is timing out on this node (reconnects can stall volumes and restart the node): check the \
             network to the storage nodes, the io-engine pods and the kernel's nvme_tcp version.",
        );
    }
    if !old.is_empty() {
        return probe.warn(
            format!("{} older kernel crash dump(s) in /var/crash, none from the last 7 days", old.len()),
            evidence,
            "The node's kernel crashed in the past; if it recurs, see the crash dumps' dmesg for the cause.",
        );
    }
    probe.pass("no kernel crash dumps and no panic, oops or NVMe timeout lines", evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_verbatim_lines() {
        for line in [
            "[10538.801189] general protection fault, probably for non-canonical address 0xb75d20f87555d73a: 0000 [#1] PREEMPT SMP NOPTI",
            "Nov 30 10:12:01 node-2 kernel: [ 99.1] Kernel panic - not syncing: Fatal exception",
            "BUG: unable to handle page fault for address: ffff9b7a40000000",
        ] {
            assert!(matches(&CRASH_LINE, line), "{line}");
        }
        assert!(matches(
            &NVME_LINE,
            "Nov 30 10:11:58 node-2 kernel: nvme nvme1: I/O 12 QID 3 timeout, reset controller"
        ));
        for line in ["nvme nvme0: 8/0/0 default/read/poll queues", "kernel: EXT4-fs (sda1): mounted filesystem"] {
            assert!(!matches(&CRASH_LINE, line) && !matches(&NVME_LINE, line), "{line}");
        }
    }

    #[test]
    fn long_lines_are_cut() {
        let q = quote(&"é".repeat(MAX_QUOTE + 10));
        assert_eq!(q.chars().count(), MAX_QUOTE + 1);
    }
}
