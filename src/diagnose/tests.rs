//! Properties of the diagnosis on the fixture clusters: incidents never depend on the order of
//! objects or findings, and adding findings an incident explains never makes the Sev milder.

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::checks::{CheckSet, Finding, run_checks};
use crate::severity::{SeverityInput, suggest};
use crate::snapshot::{Snapshot, SnapshotBuilder};

use super::{Incident, diagnose};

const FIXTURES: [&str; 7] = [
    "demo",
    "fm12-cstor-pool-crashloop",
    "fm23-mayastor-no-online-replicas",
    "fm27-litmus-runtime-error",
    "class-litmus-not-reverted",
    "class-lvm-lv-missing",
    "class-app-own-config",
];

fn load(name: &str, set: &CheckSet) -> Snapshot {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clusters").join(name);
    crate::bundle::reader::read_bundle(&dir, &set.log_patterns()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The same snapshot, its objects, events, logs and reports added in the order `perm` gives.
fn rebuilt(snap: &Snapshot, perm: &[usize]) -> Snapshot {
    let mut objects: Vec<(String, serde_json::Value)> = Vec::new();
    for rid in snap.resource_ids() {
        for o in snap.objects(rid) {
            objects.push((rid.to_string(), o.to_json()));
        }
    }
    let mut b = SnapshotBuilder::new(snap.meta.clone());
    let n = objects.len();
    for i in permuted(n, perm) {
        let (rid, o) = &objects[i];
        b.add_object(rid, o.clone());
    }
    let events = snap.events();
    for i in permuted(events.len(), perm).into_iter().rev() {
        b.add_event(events[i].clone());
    }
    for (key, meta) in snap.logs().iter().rev() {
        b.add_log(key.clone(), meta.clone(), snap.log_hits(key).to_vec());
    }
    for r in snap.node_reports().iter().rev() {
        b.add_node_report(r.to_json());
    }
    b.finish()
}

/// `0..n` reordered by a permutation of some other length (cycled), deterministic.
fn permuted(n: usize, perm: &[usize]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    if perm.is_empty() {
        return idx;
    }
    for i in (1..n).rev() {
        let j = (perm[i % perm.len()] * 7919 + i) % (i + 1);
        idx.swap(i, j);
    }
    idx
}

fn sev(findings: &[Finding], incidents: &[Incident]) -> u8 {
    suggest(findings, incidents, &SeverityInput::default()).suggested
}

#[test]
fn incidents_and_sev_never_depend_on_object_or_finding_order() {
    let set = CheckSet::builtin().unwrap();
    let cases: Vec<(Snapshot, Vec<Finding>, Vec<Incident>)> = FIXTURES
        .iter()
        .map(|name| {
            let snap = load(name, &set);
            let findings = run_checks(&set, &snap);
            let incidents = diagnose(&findings, &snap);
            assert!(!incidents.is_empty(), "{name}");
            (snap, findings, incidents)
        })
        .collect();
    let mut runner = TestRunner::new(Config { cases: 12, ..Config::default() });
    let strategy = (0..cases.len(), Just((0..64usize).collect::<Vec<_>>()).prop_shuffle());
    runner
        .run(&strategy, |(which, perm)| {
            let (snap, findings, expected) = &cases[which];
            // The rebuilt snapshot holds everything the diagnosis reads (objects, events, log
            // hits, reports), added in another order; the findings come shuffled too.
            let snap2 = rebuilt(snap, &perm);
            let findings2: Vec<Finding> =
                permuted(findings.len(), &perm).into_iter().map(|i| findings[i].clone()).collect();
            let got = diagnose(&findings2, &snap2);
            prop_assert_eq!(&got, expected, "{}", FIXTURES[which]);
            prop_assert_eq!(sev(&findings2, &got), sev(findings, expected));
            Ok(())
        })
        .unwrap();
}

#[test]
fn adding_explained_findings_never_makes_the_sev_milder() {
    let set = CheckSet::builtin().unwrap();
    let cases: Vec<(Snapshot, Vec<Finding>)> = FIXTURES
        .iter()
        .map(|name| {
            let snap = load(name, &set);
            let findings = run_checks(&set, &snap);
            (snap, findings)
        })
        .collect();
    let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
    let strategy =
        (0..cases.len(), proptest::collection::vec(any::<bool>(), 16), proptest::collection::vec(any::<bool>(), 16));
    runner
        .run(&strategy, |(which, keep_small, keep_more)| {
            let (snap, all) = &cases[which];
            // small ⊆ more ⊆ all.
            let small: Vec<Finding> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| keep_small[i % 16] && keep_more[i % 16])
                .map(|(_, f)| f.clone())
                .collect();
            let more: Vec<Finding> =
                all.iter().enumerate().filter(|(i, _)| keep_more[i % 16]).map(|(_, f)| f.clone()).collect();
            let (si, mi, ai) = (diagnose(&small, snap), diagnose(&more, snap), diagnose(all, snap));
            let (s, m, a) = (sev(&small, &si), sev(&more, &mi), sev(all, &ai));
            prop_assert!(m <= s && a <= m, "{}: Sev {s} ⊆ {m} ⊆ {a}", FIXTURES[which]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn clip_cuts_at_word_boundaries_and_undoes_json_escapes() {
    assert_eq!(super::clip(r#"failed: \"pool\" gone"#, 100), r#"failed: "pool" gone"#);
    let long = "word ".repeat(100);
    let cut = super::clip(&long, 42);
    assert!(cut.ends_with("word…") && cut.chars().count() <= 43, "{cut}");
    assert_eq!(super::clip("short", 10), "short");
}
