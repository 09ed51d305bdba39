//! The severity rubric (docs/severity.md) as rules over classes of evidence, not
//! lists of cases: a finding starts from its check's `rubric:` row (or a row derived from its Sev
//! and kind when the check has none), and the context of its incident refines it.

use std::sync::LazyLock;

use regex::Regex;

use crate::checks::Finding;

/// One row of the rubric. Declared from most to least severe, so `min` picks the row that wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Row {
    /// 0(a): evidence of data loss or corruption.
    Loss,
    /// 0(b): a node crashes or reboots.
    NodeCrash,
    /// 0(c): an OpenEBS pod crash-loops, or an application crash-loops because of its volume.
    Crash,
    /// 0(d): a Litmus fault was not reverted and its target is degraded.
    ChaosNotReverted,
    /// 1: existing data not accessible.
    NotAccessible,
    /// 2: operational: new provisioning, degraded redundancy, webhooks, Litmus without impact.
    Operational,
    /// 3: benign noise, feature requests.
    Benign,
}

impl Row {
    /// The code used in JSON and reports: `0a` … `3`.
    pub fn code(self) -> &'static str {
        match self {
            Row::Loss => "0a",
            Row::NodeCrash => "0b",
            Row::Crash => "0c",
            Row::ChaosNotReverted => "0d",
            Row::NotAccessible => "1",
            Row::Operational => "2",
            Row::Benign => "3",
        }
    }

    /// The Sev the row gives.
    pub fn sev(self) -> u8 {
        match self {
            Row::Loss | Row::NodeCrash | Row::Crash | Row::ChaosNotReverted => 0,
            Row::NotAccessible => 1,
            Row::Operational => 2,
            Row::Benign => 3,
        }
    }

    /// Parse a `rubric:` value (`0a`, `0(a)`, `1`, …).
    pub fn parse(s: &str) -> Option<Row> {
        let s: String = s.chars().filter(|c| !matches!(c, '(' | ')' | ' ')).collect();
        Some(match s.to_ascii_lowercase().as_str() {
            "0a" => Row::Loss,
            "0b" => Row::NodeCrash,
            "0c" | "0" => Row::Crash,
            "0d" => Row::ChaosNotReverted,
            "1" => Row::NotAccessible,
            "2" => Row::Operational,
            "3" => Row::Benign,
            _ => return None,
        })
    }

    /// The lowest row of a Sev (used when a finding carries no rubric row).
    fn of_sev(sev: u8) -> Row {
        match sev {
            0 => Row::Crash,
            1 => Row::NotAccessible,
            2 => Row::Operational,
            _ => Row::Benign,
        }
    }
}

fn re(src: &str) -> Regex {
    // Constant patterns, compiled by the unit tests: a failure here is a programming error.
    Regex::new(src).expect("constant rubric pattern")
}

/// Words that show data is lost or corrupt.
pub static LOSS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)structure needs cleaning|\bEUCLEAN\b|EXT4-fs error|XFS \(\S+\): (metadata )?corrupt|XFS.*[Cc]orruption|fsck (failed|found|error)|\bfsck\b.*(error|UNEXPECTED)|data (loss|lost|corrupt)|checksum (error|mismatch)|\bcorrupt(ed|ion)\b|pinned to (a )?(deleted|vanished|missing) node|node .* (no longer exists|was deleted)",
    )
});

/// Words that the backing store of a volume (LV, dataset, zvol, replica) is gone. Loss only when
/// the PV is Bound and its volume had been provisioned (not a Pending one that never existed).
static MISSING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(\blv\b|logical volume|lvm volume|dataset|zvol|replica)s?\b.*\b(not found|does not exist|doesn't exist|missing|no such|is gone|lost)|\b(missing|lost|no such)\b.*\b(lv|logical volume|dataset|zvol|replica)s?\b|failed to find (lv|logical volume|dataset)|special device /dev/\S+ does not exist",
    )
});

/// Status words that say "not accessible", but say nothing about the data itself.
static STATUS_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(faulted|offline|unknown|noonlinereplicas|no online replicas|degraded|unavailable|init)\b")
});

/// Words that a Litmus fault was left in place.
pub static NOT_REVERTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)not (been )?reverted|(fail(ed|ure)?|unable|could not|couldn't) (to )?revert|revert(ing)? .*(fail|error)|chaos (is )?still (injected|active)|fault (is )?still (injected|active)|abort(ed)? without (revert|cleanup)",
    )
});

/// Node reboot / crash words.
static NODE_CRASH: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)kernel panic|\brebooted\b|node .*(crash|reboot)|watchdog: BUG|Oops:|hung_task"));

/// What a finding's text says, for the rules.
pub fn text_of(f: &Finding) -> String {
    let mut t = f.message.clone();
    for e in &f.evidence {
        t.push('\n');
        t.push_str(e);
    }
    t
}

/// Status checks whose failure is "not accessible" unless something shows loss.
fn is_state_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Volume"
            | "Replica"
            | "Nexus"
            | "DiskPool"
            | "Pool"
            | "MayastorPool"
            | "IoEngineNode"
            | "CStorPoolInstance"
            | "CStorPoolCluster"
            | "CStorPool"
            | "CStorVolume"
            | "CStorVolumeReplica"
            | "JivaVolume"
            | "LVMVolume"
            | "ZFSVolume"
            | "BlockDevice"
    )
}

/// The row a finding falls under on its own: its check's `rubric:` when set, else derived from
/// its Sev and what it is about; then refined by its own text.
pub fn finding_row(f: &Finding) -> Row {
    let text = text_of(f);
    let declared = f.rubric.as_deref().and_then(Row::parse);
    let mut row = declared.unwrap_or_else(|| {
        if f.check == "pv-node-gone" {
            Row::Loss
        } else if f.object.kind == "Node" && f.sev == 0 {
            Row::NodeCrash
        } else if f.sev == 0 && is_state_kind(&f.object.kind) {
            Row::NotAccessible
        } else {
            Row::of_sev(f.sev)
        }
    });
    // Quoted corruption anywhere in the finding is 0(a), whatever the check thought.
    if LOSS.is_match(&text) {
        row = row.min(Row::Loss);
    }
    // Offline/Faulted/NoOnlineReplicas without evidence of loss: not accessible (Sev 1), not lost.
    if row == Row::Loss
        && declared.is_none_or(|_| is_state_kind(&f.object.kind))
        && !LOSS.is_match(&text)
        && STATUS_ONLY.is_match(&text)
    {
        row = Row::NotAccessible;
    }
    if row == Row::NodeCrash && f.object.kind != "Node" && !NODE_CRASH.is_match(&text) {
        row = Row::Crash;
    }
    // Litmus is a test tool: its own pods and experiments failing are Sev 2 (the explicit
    // exception to 0(c)); only a fault left in place on a degraded target is 0(d), decided per incident.
    if f.engine == "litmus" && row < Row::NotAccessible && row != Row::ChaosNotReverted {
        row = Row::Operational;
    }
    row
}

/// Whether a text shows loss or corruption.
pub fn shows_loss(text: &str) -> bool {
    LOSS.is_match(text)
}

/// The words around where a text says a volume's LV/dataset/replica is gone.
pub fn missing_excerpt(text: &str) -> Option<String> {
    excerpt(&MISSING, text)
}

/// The words around where a text shows loss or corruption.
pub fn loss_excerpt(text: &str) -> Option<String> {
    excerpt(&LOSS, text)
}

/// The line around a match, cut to some words either side.
fn excerpt(re: &Regex, text: &str) -> Option<String> {
    let m = re.find(text)?;
    let start = text[..m.start()].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
    let end = text[m.end()..].char_indices().nth(40).map_or(text.len(), |(i, _)| m.end() + i);
    let before = text[start..m.start()].rsplit('\n').next().unwrap_or("");
    let after = text[m.end()..end].split('\n').next().unwrap_or("");
    let line = format!("{before}{}{after}", m.as_str());
    let line = line.trim();
    let cut_before = start > 0 || before.len() < m.start() - start;
    let cut_after = end < text.len() || after.len() < end - m.end();
    Some(format!("{}{line}{}", if cut_before { "…" } else { "" }, if cut_after { "…" } else { "" }))
}

/// Whether a text says a chaos fault was not reverted.
pub fn says_not_reverted(text: &str) -> bool {
    NOT_REVERTED.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{ObjectRef, Status};

    fn f(check: &str, kind: &str, sev: u8, rubric: Option<&str>, text: &str, engine: &str) -> Finding {
        Finding {
            check: check.into(),
            title: "t".into(),
            engine: engine.into(),
            status: Status::Fail,
            sev,
            object: ObjectRef { kind: kind.into(), namespace: "ns".into(), name: "x".into(), uid: String::new() },
            message: text.into(),
            evidence: vec![],
            remediation: String::new(),
            docs: String::new(),
            node: None,
            rubric: rubric.map(str::to_string),
        }
    }

    #[test]
    fn patterns_compile_and_classify() {
        for r in [&*LOSS, &*MISSING, &*STATUS_ONLY, &*NOT_REVERTED, &*NODE_CRASH] {
            assert!(!r.as_str().is_empty());
        }
        assert!(shows_loss("mount failed: structure needs cleaning"));
        assert!(shows_loss("EXT4-fs error (device nvme1n1): ext4_lookup"));
        assert!(missing_excerpt("logical volume pvc-1 not found on node n1").is_some());
        assert!(missing_excerpt("cannot open dataset zfspv-pool/pvc-1: dataset does not exist").is_some());
        assert!(missing_excerpt("mount: special device /dev/lvmvg/pvc-1 does not exist").is_some());
        assert!(!shows_loss("dataset does not exist"));
        assert!(!shows_loss("volume is Faulted"));
        assert!(says_not_reverted("helper: failed to revert the chaos"));
        assert!(!says_not_reverted("chaos reverted"));
    }

    #[test]
    fn rows_from_rubric_sev_and_text() {
        assert_eq!(finding_row(&f("v", "Volume", 0, None, "volume Faulted", "mayastor")), Row::NotAccessible);
        assert_eq!(finding_row(&f("v", "Volume", 0, Some("0a"), "volume Faulted", "mayastor")), Row::NotAccessible);
        assert_eq!(
            finding_row(&f("m", "Pod", 1, Some("1"), "FailedMount: structure needs cleaning", "openebs")),
            Row::Loss
        );
        assert_eq!(finding_row(&f("c", "Pod", 0, None, "CrashLoopBackOff", "mayastor")), Row::Crash);
        assert_eq!(finding_row(&f("c", "Pod", 0, Some("0c"), "CrashLoopBackOff", "litmus")), Row::Operational);
        assert_eq!(finding_row(&f("n", "Node", 0, None, "Rebooted", "common")), Row::NodeCrash);
        assert_eq!(finding_row(&f("pv-node-gone", "PersistentVolume", 0, None, "pinned", "hostpath")), Row::Loss);
        assert_eq!(finding_row(&f("x", "Pod", 3, Some("3"), "old warning", "openebs")), Row::Benign);
        assert_eq!(Row::parse("0(a)"), Some(Row::Loss));
        assert!(Row::Loss < Row::Crash && Row::Crash < Row::NotAccessible);
    }
}
