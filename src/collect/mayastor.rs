//! Mayastor's REST state (volumes, pools, io-engine nodes, nexuses, replicas) through the API
//! server's service proxy to api-rest; stored as described in [`crate::mayastor_rest`].
//!
//! A failure here (api-rest down while etcd is, `services/proxy` forbidden, no api-rest Service)
//! is recorded in `mayastor-rest-errors.json` and the collection goes on: the CRs, pods, events
//! and logs still tell most of the story.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::Value;

use super::{CollectError, Run, reason_of};
use crate::bundle::layout;
use crate::cluster::{ApiError, Kube};
use crate::collect::manifest::CollectorStatus;
use crate::mayastor_rest::{KINDS, PAGE_SIZE, RestKind, SERVICE_LABEL};

/// Where errors of this collector are recorded (`cluster-resources/mayastor-rest-errors.json`).
const ERRORS: &str = "mayastor-rest";
/// Upper bound on `/v0/volumes` pages (500 each), against a server that never stops paging.
const MAX_PAGES: usize = 10_000;

/// Collect the REST state of the api-rest services in `namespaces` (those running an api-rest pod).
pub(super) async fn collect(run: &mut Run<'_>, namespaces: &BTreeSet<String>) -> Result<(), CollectError> {
    if namespaces.is_empty() {
        return Ok(());
    }
    // One file per kind, whatever the number of control planes (normally one); `None`: never read.
    let mut objects: Vec<Option<Vec<Value>>> = vec![None; KINDS.len()];
    for ns in namespaces {
        let Some((service, port)) = find_service(run, ns).await else { continue };
        // When api-rest cannot answer at all (no endpoints while it waits for etcd, proxy
        // forbidden), the other paths fail the same way after the same retries: say so once.
        let mut unreachable: Option<String> = None;
        for (i, kind) in KINDS.iter().enumerate() {
            let t = Instant::now();
            let name = format!("mayastor-rest/{ns}/{}", kind.path);
            if let Some(reason) = &unreachable {
                run.collectors.push(CollectorStatus {
                    name,
                    status: "skipped".into(),
                    items: 0,
                    duration_ms: 0,
                    reason: Some(format!("not tried: {reason}")),
                });
                continue;
            }
            match fetch(run.kube, ns, &service, port, kind).await {
                Ok(entries) => {
                    run.collectors.push(CollectorStatus {
                        name,
                        status: "ok".into(),
                        items: entries.len() as u64,
                        duration_ms: t.elapsed().as_millis() as u64,
                        reason: None,
                    });
                    objects[i].get_or_insert_default().extend(entries.into_iter().map(|e| kind.to_object(e)));
                }
                Err(e) => {
                    let what = format!("services/proxy ({ns}/{service}:{port} /v0/{})", kind.path);
                    let reason = reason_of(&e, "get", &what);
                    run.record_error(ERRORS, format!("Mayastor {}: {reason}", kind.path));
                    if !matches!(e.status(), Some(404)) {
                        unreachable = Some(format!("api-rest in {ns} did not answer /v0/{}", kind.path));
                    }
                    run.collectors.push(CollectorStatus {
                        name,
                        status: "failed".into(),
                        items: 0,
                        duration_ms: t.elapsed().as_millis() as u64,
                        reason: Some(reason),
                    });
                }
            }
        }
    }
    for (kind, items) in KINDS.iter().zip(objects) {
        if let Some(items) = items {
            let id = kind.resource_id();
            run.emit_list(layout::custom_path(&id, None), &id, None, items).await?;
        }
    }
    Ok(())
}

/// The api-rest Service of a namespace and its HTTP port (named `http`, else 8081, else the first).
async fn find_service(run: &mut Run<'_>, ns: &str) -> Option<(String, u16)> {
    let selector = format!("labelSelector={}%3D{}", SERVICE_LABEL.0, SERVICE_LABEL.1);
    let services =
        match run.kube.list(&format!("/api/v1/namespaces/{ns}/services"), &selector, run.opts.page_size).await {
            Ok(services) => services,
            Err(e) => {
                let reason = reason_of(&e, "list", &format!("services in namespace {ns}"));
                run.record_error(ERRORS, format!("Mayastor api-rest Service: {reason}"));
                return None;
            }
        };
    let found = services.iter().find_map(|svc| {
        let name = svc.pointer("/metadata/name").and_then(Value::as_str)?;
        let ports = svc.pointer("/spec/ports").and_then(Value::as_array)?;
        let port_of = |p: &Value| p.get("port").and_then(Value::as_u64).and_then(|n| u16::try_from(n).ok());
        let port = ports
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some("http"))
            .and_then(port_of)
            .or_else(|| ports.iter().filter_map(port_of).find(|&p| p == crate::mayastor_rest::DEFAULT_PORT))
            .or_else(|| ports.iter().find_map(port_of))?;
        Some((name.to_string(), port))
    });
    if found.is_none() {
        run.record_error(
            ERRORS,
            format!(
                "no Service labelled {}={} with a port in namespace {ns}, though an api-rest pod runs there: Mayastor \
                 volume, pool and node state was not collected",
                SERVICE_LABEL.0, SERVICE_LABEL.1
            ),
        );
    }
    found
}

/// Every entry of one REST collection, following `next_token` for volumes.
async fn fetch(kube: &Kube, ns: &str, service: &str, port: u16, kind: &RestKind) -> Result<Vec<Value>, ApiError> {
    let mut entries = Vec::new();
    let mut token: Option<u64> = None;
    for _ in 0..MAX_PAGES {
        let mut query = if kind.paginated { format!("max_entries={PAGE_SIZE}") } else { String::new() };
        if let Some(t) = token {
            query.push_str(&format!("&starting_token={t}"));
        }
        let body = kube.get_json(&kind.proxy_path(ns, service, port, &query)).await?;
        let (page, next) = crate::mayastor_rest::parse_page(kind, body).map_err(ApiError::Decode)?;
        let empty = page.is_empty();
        entries.extend(page);
        match next {
            Some(t) if !empty && Some(t) != token => token = Some(t),
            _ => return Ok(entries),
        }
    }
    Ok(entries)
}
