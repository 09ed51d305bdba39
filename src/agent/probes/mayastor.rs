//! Mayastor / Replicated PV probes (docs/node-probes.md): 2 MiB hugepages on the host and advertised by
//! the Node (M4), `nvme_tcp` (M2), `nvme_core` multipath (M3), SSE4.2 (M1), kernel ≥ 5.13 (C6).

use super::common::check_kernel;
use super::{Family, Probe, ProbeContext, module_loaded};
use crate::agent::report::{Evidence, ProbeResult};

/// io-engine needs at least 1024 pages of 2 MiB (2 GiB).
pub(crate) const MIN_HUGEPAGES: u64 = 1024;
const HUGEPAGE_BYTES: u64 = 2 * 1024 * 1024;

/// Run the Mayastor probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    let mut results = vec![hugepages(ctx)];
    if let Some(advertised) = ctx.node.as_ref().map(|n| n.hugepages_2mi_allocatable) {
        results.push(hugepages_advertised(advertised));
    }
    results.extend([nvme_tcp(ctx), multipath(ctx), sse42(ctx), kernel(ctx)]);
    results
}

/// A `Key:   value` field of /proc/meminfo as a number (kB fields in kB).
pub(crate) fn meminfo_field(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        if name.trim() != key {
            return None;
        }
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// 2 MiB pages `(total, free)` and the evidence: sysfs per-size counters first, else /proc/meminfo
/// when the default huge page size is 2048 kB.
/// `(total, free)` 2 MiB pages when known, and the evidence read.
type HugepageCounts = (Option<(u64, u64)>, Vec<Evidence>);

fn hugepage_counts(ctx: &ProbeContext) -> Result<HugepageCounts, super::ReadFailure> {
    let sys = "/sys/kernel/mm/hugepages/hugepages-2048kB";
    let nr = ctx.host.read(&format!("{sys}/nr_hugepages"))?;
    let free = ctx.host.read(&format!("{sys}/free_hugepages"))?;
    if let (Some(nr), Some(free)) = (nr, free)
        && let (Ok(total), Ok(free)) = (nr.trim().parse::<u64>(), free.trim().parse::<u64>())
    {
        return Ok((
            Some((total, free)),
            vec![
                Evidence::new(format!("{sys}/nr_hugepages"), total.to_string()),
                Evidence::new(format!("{sys}/free_hugepages"), free.to_string()),
            ],
        ));
    }
    let file = "/proc/meminfo";
    let Some(meminfo) = ctx.host.read(file)? else {
        return Ok((None, vec![Evidence::new(file, "absent")]));
    };
    let size = meminfo_field(&meminfo, "Hugepagesize");
    let total = meminfo_field(&meminfo, "HugePages_Total");
    let free = meminfo_field(&meminfo, "HugePages_Free");
    let value = format!(
        "HugePages_Total: {} HugePages_Free: {} Hugepagesize: {} kB",
        total.map_or("?".into(), |v| v.to_string()),
        free.map_or("?".into(), |v| v.to_string()),
        size.map_or("?".into(), |v| v.to_string())
    );
    let evidence = vec![Evidence::new(file, value)];
    match (size, total, free) {
        (Some(2048), Some(total), Some(free)) => Ok((Some((total, free)), evidence)),
        // Default size is 1 GiB (or unknown) and no 2 MiB pool in sysfs: no 2 MiB pages.
        (Some(_), Some(_), Some(_)) => Ok((Some((0, 0)), evidence)),
        _ => Ok((None, evidence)),
    }
}

fn hugepages(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "hugepages", "2 MiB hugepages reserved (≥ 1024)");
    let fix = "Reserve at least 1024 x 2 MiB hugepages persistently (sysctl vm.nr_hugepages=1024 in \
               /etc/sysctl.d/), then restart kubelet so the Node advertises hugepages-2Mi.";
    match hugepage_counts(ctx) {
        Err(failure) => probe.error(&failure),
        Ok((None, evidence)) => probe.fail("hugepage counters not found", evidence, fix),
        Ok((Some((total, free)), evidence)) => {
            if total < MIN_HUGEPAGES {
                probe.fail(
                    format!("{total} x 2 MiB hugepages reserved, io-engine needs {MIN_HUGEPAGES}"),
                    evidence,
                    fix,
                )
            } else if free < MIN_HUGEPAGES && !io_engine_running(ctx) {
                // io-engine consumes them when it runs; without it, too few free pages mean something else took them.
                probe.warn(
                    format!("{total} hugepages reserved but only {free} free and io-engine is not running"),
                    evidence,
                    "Find what holds the hugepages (grep -l huge /proc/*/smaps) or reserve more.",
                )
            } else {
                probe.pass(format!("{total} x 2 MiB hugepages reserved, {free} free"), evidence)
            }
        }
    }
}

fn io_engine_running(ctx: &ProbeContext) -> bool {
    matches!(ctx.host.find_process("io-engine"), Ok(Some(_)))
}

fn hugepages_advertised(advertised: Option<u64>) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "hugepages_advertised", "Node advertises hugepages-2Mi ≥ 2Gi");
    let file = "Node status.allocatable[hugepages-2Mi]";
    let fix = "Restart kubelet (or reboot) after reserving hugepages so the Node's allocatable hugepages-2Mi is at \
               least 2Gi; io-engine pods stay Pending otherwise.";
    match advertised {
        None => probe.fail("the Node does not advertise hugepages-2Mi", vec![Evidence::new(file, "absent")], fix),
        Some(bytes) if bytes >= MIN_HUGEPAGES * HUGEPAGE_BYTES => probe.pass(
            format!("Node advertises {} MiB of 2 MiB hugepages", bytes >> 20),
            vec![Evidence::new(file, format!("{}Mi", bytes >> 20))],
        ),
        Some(bytes) => probe.fail(
            format!("Node advertises only {} MiB of 2 MiB hugepages", bytes >> 20),
            vec![Evidence::new(file, format!("{}Mi", bytes >> 20))],
            fix,
        ),
    }
}

fn nvme_tcp(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "nvme_tcp", "nvme_tcp kernel module loaded");
    match module_loaded(&ctx.host, "nvme_tcp") {
        Err(failure) => probe.error(&failure),
        Ok((true, evidence)) => probe.pass("nvme_tcp is loaded", evidence),
        Ok((false, evidence)) => probe.fail(
            "nvme_tcp is not loaded: Mayastor volumes cannot be attached on this node",
            evidence,
            "modprobe nvme_tcp and persist it (echo nvme_tcp > /etc/modules-load.d/mayastor.conf); on Ubuntu install \
             linux-modules-extra-$(uname -r) after each kernel upgrade.",
        ),
    }
}

fn multipath(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "nvme_multipath", "nvme_core multipath enabled");
    let fix = "Enable native NVMe multipath (kernel parameter nvme_core.multipath=Y) for Mayastor HA failover.";
    let file = "/sys/module/nvme_core/parameters/multipath";
    match ctx.host.read(file) {
        Err(failure) => probe.error(&failure),
        Ok(Some(value)) if value.trim() == "Y" => {
            probe.pass("nvme_core multipath is enabled", vec![Evidence::new(file, "Y")])
        }
        Ok(Some(value)) => {
            probe.warn(format!("nvme_core multipath is {}", value.trim()), vec![Evidence::new(file, value.trim())], fix)
        }
        Ok(None) => {
            let loaded = ctx.host.exists("/sys/module/nvme_core");
            probe.warn(
                if loaded { "nvme_core has no multipath parameter" } else { "nvme_core is not loaded" },
                vec![
                    Evidence::new(file, "absent"),
                    Evidence::new("/sys/module/nvme_core", if loaded { "present" } else { "absent" }),
                ],
                fix,
            )
        }
    }
}

fn sse42(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "sse4_2", "CPU supports SSE4.2");
    let file = "/proc/cpuinfo";
    let fix = "Run io-engine only on x86-64 nodes with SSE4.2 (it dies with SIGILL, exit code 132, elsewhere).";
    match ctx.host.read(file) {
        Err(failure) => probe.error(&failure),
        Ok(None) => probe.fail("/proc/cpuinfo is absent", vec![Evidence::new(file, "absent")], fix),
        Ok(Some(cpuinfo)) => {
            let flags = cpuinfo.lines().find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == "flags").then(|| value.trim().to_string())
            });
            match flags {
                Some(flags) if flags.split_whitespace().any(|f| f == "sse4_2") => {
                    probe.pass("CPU flags include sse4_2", vec![Evidence::new(file, "flags: ... sse4_2 ...")])
                }
                Some(_) => probe.fail("CPU flags lack sse4_2", vec![Evidence::new(file, "flags without sse4_2")], fix),
                None => probe.fail(
                    "no x86 CPU flags in /proc/cpuinfo (not an x86-64 CPU)",
                    vec![Evidence::new(file, "no flags line")],
                    fix,
                ),
            }
        }
    }
}

fn kernel(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Mayastor, "kernel_version", "Kernel ≥ 5.13 for NVMe-oF");
    let mut result = check_kernel(&probe, &ctx.host, (5, 13), "Mayastor needs ≥ 5.13 (5.15 tested)");
    // Below the minimum is a hard failure for Mayastor, unlike the common kernel probe.
    if result.status == crate::agent::report::ProbeStatus::Warn && result.message.contains("older than") {
        result.status = crate::agent::report::ProbeStatus::Fail;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_fields_parse() {
        let meminfo = "MemTotal:       16314060 kB\nHugePages_Total:    1024\nHugePages_Free:      512\nHugepagesize:       2048 kB\n";
        assert_eq!(meminfo_field(meminfo, "HugePages_Total"), Some(1024));
        assert_eq!(meminfo_field(meminfo, "HugePages_Free"), Some(512));
        assert_eq!(meminfo_field(meminfo, "Hugepagesize"), Some(2048));
        assert_eq!(meminfo_field(meminfo, "Nope"), None);
    }

    #[test]
    fn advertised_hugepages_threshold() {
        use crate::agent::report::ProbeStatus;
        assert_eq!(hugepages_advertised(Some(2 << 30)).status, ProbeStatus::Pass);
        assert_eq!(hugepages_advertised(Some(1 << 30)).status, ProbeStatus::Fail);
        assert_eq!(hugepages_advertised(None).status, ProbeStatus::Fail);
    }
}
