//! Server-side printing: the `Table` responses `kubectl get` asks for, so a served bundle prints
//! the same columns a live cluster would (kubectl has no client-side printers for most kinds).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::store::{PrinterColumn, ResourceInfo};
use crate::snapshot::path;

/// `5d`, `3h12m`, `45s`: kubectl's age format.
pub fn human_age(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(since) = since else { return "<unknown>".into() };
    let secs = (now - since).num_seconds().max(0);
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        format!("{m}m{}s", secs % 60)
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        format!("{h}h{}m", m % 60)
    } else if d < 2 {
        format!("{h}h")
    } else if d < 8 {
        format!("{d}d{}h", h % 24)
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

fn ts(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

fn s<'a>(obj: &'a Value, p: &str) -> &'a str {
    path(obj, p).and_then(Value::as_str).unwrap_or("")
}

fn n(obj: &Value, p: &str) -> i64 {
    path(obj, p).and_then(Value::as_i64).unwrap_or(0)
}

fn or_none(v: &str) -> String {
    if v.is_empty() { "<none>".into() } else { v.to_string() }
}

fn pod_status(pod: &Value) -> (String, i64, usize, usize) {
    let statuses = pod.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
    let inits = pod.pointer("/status/initContainerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
    let total = pod.pointer("/spec/containers").and_then(Value::as_array).map_or(statuses.len(), Vec::len);
    let ready = statuses.iter().filter(|c| c["ready"].as_bool() == Some(true)).count();
    let restarts: i64 = statuses.iter().map(|c| c["restartCount"].as_i64().unwrap_or(0)).sum();
    let mut reason = s(pod, "status.reason").to_string();
    if reason.is_empty() {
        reason = s(pod, "status.phase").to_string();
    }
    for (i, c) in inits.iter().enumerate() {
        if c["state"]["terminated"]["exitCode"].as_i64() == Some(0) {
            continue;
        }
        if let Some(r) = c["state"]["waiting"]["reason"].as_str().filter(|r| !r.is_empty() && *r != "PodInitializing") {
            reason = format!("Init:{r}");
        } else if c["state"]["terminated"].is_object() {
            reason = format!("Init:{}", c["state"]["terminated"]["reason"].as_str().unwrap_or("Error"));
        } else {
            reason = format!("Init:{i}/{}", inits.len());
        }
        return (reason, restarts, ready, total);
    }
    for c in &statuses {
        if let Some(r) = c["state"]["waiting"]["reason"].as_str().filter(|r| !r.is_empty()) {
            reason = r.to_string();
        } else if let Some(r) = c["state"]["terminated"]["reason"].as_str().filter(|r| !r.is_empty()) {
            reason = r.to_string();
        }
    }
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        reason = "Terminating".into();
    }
    (reason, restarts, ready, total)
}

fn node_status(node: &Value) -> String {
    let conds = node.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let ready =
        conds.iter().find(|c| c["type"] == "Ready").map(|c| c["status"].as_str().unwrap_or("Unknown").to_string());
    let mut out = match ready.as_deref() {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        out.push_str(",SchedulingDisabled");
    }
    out
}

fn roles(node: &Value) -> String {
    let roles: Vec<String> = node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|l| l.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string)).collect())
        .unwrap_or_default();
    if roles.is_empty() { "<none>".into() } else { roles.join(",") }
}

type Columns = Vec<(&'static str, &'static str, i64)>;

/// Columns and cells of a built-in kind; `None` means "name and age only".
fn builtin(kind: &str, o: &Value, now: DateTime<Utc>) -> Option<(Columns, Vec<Value>)> {
    let age = human_age(ts(path(o, "metadata.creationTimestamp")), now);
    let name = json!(s(o, "metadata.name"));
    Some(match kind {
        "Pod" => {
            let (status, restarts, ready, total) = pod_status(o);
            (
                vec![
                    ("Name", "string", 0),
                    ("Ready", "string", 0),
                    ("Status", "string", 0),
                    ("Restarts", "string", 0),
                    ("Age", "string", 0),
                    ("IP", "string", 1),
                    ("Node", "string", 1),
                ],
                vec![
                    name,
                    json!(format!("{ready}/{total}")),
                    json!(status),
                    json!(restarts.to_string()),
                    json!(age),
                    json!(or_none(s(o, "status.podIP"))),
                    json!(or_none(s(o, "spec.nodeName"))),
                ],
            )
        }
        "Node" => (
            vec![
                ("Name", "string", 0),
                ("Status", "string", 0),
                ("Roles", "string", 0),
                ("Age", "string", 0),
                ("Version", "string", 0),
                ("Kernel-Version", "string", 1),
                ("Container-Runtime", "string", 1),
            ],
            vec![
                name,
                json!(node_status(o)),
                json!(roles(o)),
                json!(age),
                json!(s(o, "status.nodeInfo.kubeletVersion")),
                json!(s(o, "status.nodeInfo.kernelVersion")),
                json!(s(o, "status.nodeInfo.containerRuntimeVersion")),
            ],
        ),
        "Namespace" => (
            vec![("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
            vec![name, json!(s(o, "status.phase")), json!(age)],
        ),
        "PersistentVolumeClaim" => (
            vec![
                ("Name", "string", 0),
                ("Status", "string", 0),
                ("Volume", "string", 0),
                ("Capacity", "string", 0),
                ("Access Modes", "string", 0),
                ("StorageClass", "string", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(s(o, "status.phase")),
                json!(s(o, "spec.volumeName")),
                json!(s(o, "status.capacity.storage")),
                json!(access_modes(o, "status.accessModes")),
                json!(s(o, "spec.storageClassName")),
                json!(age),
            ],
        ),
        "PersistentVolume" => {
            let claim = format!("{}/{}", s(o, "spec.claimRef.namespace"), s(o, "spec.claimRef.name"));
            (
                vec![
                    ("Name", "string", 0),
                    ("Capacity", "string", 0),
                    ("Access Modes", "string", 0),
                    ("Reclaim Policy", "string", 0),
                    ("Status", "string", 0),
                    ("Claim", "string", 0),
                    ("StorageClass", "string", 0),
                    ("Age", "string", 0),
                ],
                vec![
                    name,
                    json!(s(o, "spec.capacity.storage")),
                    json!(access_modes(o, "spec.accessModes")),
                    json!(s(o, "spec.persistentVolumeReclaimPolicy")),
                    json!(s(o, "status.phase")),
                    json!(if claim == "/" { String::new() } else { claim }),
                    json!(s(o, "spec.storageClassName")),
                    json!(age),
                ],
            )
        }
        "StorageClass" => (
            vec![
                ("Name", "string", 0),
                ("Provisioner", "string", 0),
                ("ReclaimPolicy", "string", 0),
                ("VolumeBindingMode", "string", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(s(o, "provisioner")),
                json!(s(o, "reclaimPolicy")),
                json!(s(o, "volumeBindingMode")),
                json!(age),
            ],
        ),
        "Event" => {
            let last = ts(path(o, "lastTimestamp")).or(ts(path(o, "eventTime"))).or(ts(path(o, "firstTimestamp")));
            let object = format!("{}/{}", s(o, "involvedObject.kind").to_lowercase(), s(o, "involvedObject.name"));
            (
                vec![
                    ("Last Seen", "string", 0),
                    ("Type", "string", 0),
                    ("Reason", "string", 0),
                    ("Object", "string", 0),
                    ("Message", "string", 0),
                ],
                vec![
                    json!(human_age(last, now)),
                    json!(s(o, "type")),
                    json!(s(o, "reason")),
                    json!(object),
                    json!(s(o, "message")),
                ],
            )
        }
        "Deployment" => (
            vec![
                ("Name", "string", 0),
                ("Ready", "string", 0),
                ("Up-to-date", "string", 0),
                ("Available", "string", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(format!("{}/{}", n(o, "status.readyReplicas"), n(o, "spec.replicas"))),
                json!(n(o, "status.updatedReplicas")),
                json!(n(o, "status.availableReplicas")),
                json!(age),
            ],
        ),
        "StatefulSet" => (
            vec![("Name", "string", 0), ("Ready", "string", 0), ("Age", "string", 0)],
            vec![name, json!(format!("{}/{}", n(o, "status.readyReplicas"), n(o, "spec.replicas"))), json!(age)],
        ),
        "ReplicaSet" => (
            vec![
                ("Name", "string", 0),
                ("Desired", "integer", 0),
                ("Current", "integer", 0),
                ("Ready", "integer", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(n(o, "spec.replicas")),
                json!(n(o, "status.replicas")),
                json!(n(o, "status.readyReplicas")),
                json!(age),
            ],
        ),
        "DaemonSet" => (
            vec![
                ("Name", "string", 0),
                ("Desired", "integer", 0),
                ("Current", "integer", 0),
                ("Ready", "integer", 0),
                ("Up-to-date", "integer", 0),
                ("Available", "integer", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(n(o, "status.desiredNumberScheduled")),
                json!(n(o, "status.currentNumberScheduled")),
                json!(n(o, "status.numberReady")),
                json!(n(o, "status.updatedNumberScheduled")),
                json!(n(o, "status.numberAvailable")),
                json!(age),
            ],
        ),
        "Job" => (
            vec![("Name", "string", 0), ("Completions", "string", 0), ("Age", "string", 0)],
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    n(o, "status.succeeded"),
                    path(o, "spec.completions").and_then(Value::as_i64).unwrap_or(1)
                )),
                json!(age),
            ],
        ),
        "Service" => (
            vec![
                ("Name", "string", 0),
                ("Type", "string", 0),
                ("Cluster-IP", "string", 0),
                ("Port(s)", "string", 0),
                ("Age", "string", 0),
            ],
            vec![name, json!(s(o, "spec.type")), json!(or_none(s(o, "spec.clusterIP"))), json!(ports(o)), json!(age)],
        ),
        "ConfigMap" => (
            vec![("Name", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
            vec![name, json!(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())), json!(age)],
        ),
        "Secret" => {
            let count = o
                .get("dataKeyCount")
                .and_then(Value::as_u64)
                .or_else(|| o.get("data").and_then(Value::as_object).map(|m| m.len() as u64))
                .unwrap_or(0);
            (
                vec![("Name", "string", 0), ("Type", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
                vec![name, json!(s(o, "type")), json!(count), json!(age)],
            )
        }
        "CSIDriver" => (
            vec![
                ("Name", "string", 0),
                ("AttachRequired", "string", 0),
                ("PodInfoOnMount", "string", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(path(o, "spec.attachRequired").map_or("true".into(), |v| v.to_string())),
                json!(path(o, "spec.podInfoOnMount").map_or("false".into(), |v| v.to_string())),
                json!(age),
            ],
        ),
        "CSINode" => (
            vec![("Name", "string", 0), ("Drivers", "integer", 0), ("Age", "string", 0)],
            vec![name, json!(o.pointer("/spec/drivers").and_then(Value::as_array).map_or(0, Vec::len)), json!(age)],
        ),
        "VolumeAttachment" => (
            vec![
                ("Name", "string", 0),
                ("Attacher", "string", 0),
                ("PV", "string", 0),
                ("Node", "string", 0),
                ("Attached", "string", 0),
                ("Age", "string", 0),
            ],
            vec![
                name,
                json!(s(o, "spec.attacher")),
                json!(s(o, "spec.source.persistentVolumeName")),
                json!(s(o, "spec.nodeName")),
                json!(path(o, "status.attached").map_or("false".into(), |v| v.to_string())),
                json!(age),
            ],
        ),
        _ => return None,
    })
}

fn access_modes(o: &Value, p: &str) -> String {
    let short = |m: &str| {
        match m {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            other => other,
        }
        .to_string()
    };
    path(o, p)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(short).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

fn ports(o: &Value) -> String {
    let ports = o.pointer("/spec/ports").and_then(Value::as_array).cloned().unwrap_or_default();
    if ports.is_empty() {
        return "<none>".into();
    }
    ports
        .iter()
        .map(|p| format!("{}/{}", p["port"].as_i64().unwrap_or(0), p["protocol"].as_str().unwrap_or("TCP")))
        .collect::<Vec<_>>()
        .join(",")
}

/// One step of a printer-column JSONPath.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]` (negative counts from the end).
    Index(i64),
    /// `[*]`.
    All,
    /// `[?(@.path == literal)]`, `!=`, or `[?(@.path)]` (present).
    Filter(Vec<Step>, Option<(bool, Value)>),
}

/// Parse the JSONPath subset CRDs use in `additionalPrinterColumns`: dotted fields, bracket keys
/// (`['scheduled']`, `["a.b"]`), indexes, `[*]` and equality filters
/// (`.status.conditions[?(@.type=="Ready")].status`). `None` for anything else.
fn parse_jsonpath(expr: &str) -> Option<Vec<Step>> {
    let expr = expr.trim().trim_start_matches('{').trim_end_matches('}').trim_start_matches('$');
    let chars: Vec<char> = expr.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != '.' && chars[j] != '[' {
                    j += 1;
                }
                if j > start {
                    steps.push(Step::Field(chars[start..j].iter().collect()));
                }
                i = j;
            }
            '[' => {
                // Find the closing bracket outside quotes.
                let mut j = i + 1;
                let mut quote: Option<char> = None;
                while j < chars.len() {
                    match (quote, chars[j]) {
                        (None, '\'' | '"') => quote = Some(chars[j]),
                        (Some(q), c) if c == q => quote = None,
                        (None, ']') => break,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return None;
                }
                let inner: String = chars[i + 1..j].iter().collect();
                let inner = inner.trim();
                steps.push(if inner == "*" {
                    Step::All
                } else if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
                    parse_filter(filter)?
                } else if let Some(key) = unquote(inner) {
                    Step::Field(key)
                } else {
                    Step::Index(inner.parse().ok()?)
                });
                i = j + 1;
            }
            _ => {
                // A leading bare name (`status.phase`).
                let start = i;
                let mut j = i;
                while j < chars.len() && chars[j] != '.' && chars[j] != '[' {
                    j += 1;
                }
                steps.push(Step::Field(chars[start..j].iter().collect()));
                i = j;
            }
        }
    }
    Some(steps)
}

fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    ['\'', '"'].iter().find_map(|q| s.strip_prefix(*q).and_then(|r| r.strip_suffix(*q))).map(str::to_string)
}

fn parse_filter(filter: &str) -> Option<Step> {
    let (left, cmp) = match (filter.split_once("=="), filter.split_once("!=")) {
        (Some((l, r)), _) => (l, Some((true, r))),
        (None, Some((l, r))) => (l, Some((false, r))),
        _ => (filter, None),
    };
    let sub = parse_jsonpath(left.trim().strip_prefix('@')?)?;
    let cmp = match cmp {
        None => None,
        Some((eq, literal)) => {
            let literal = literal.trim();
            let value = match unquote(literal) {
                Some(text) => Value::String(text),
                None => serde_json::from_str::<Value>(literal).ok()?,
            };
            Some((eq, value))
        }
    };
    Some(Step::Filter(sub, cmp))
}

/// Loose equality for filters: numbers compare by value, everything else exactly.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn eval_steps<'a>(roots: Vec<&'a Value>, steps: &[Step]) -> Vec<&'a Value> {
    let mut current = roots;
    for step in steps {
        let mut next = Vec::new();
        for v in current {
            match step {
                Step::Field(name) => next.extend(v.get(name.as_str())),
                Step::Index(i) => {
                    if let Some(items) = v.as_array() {
                        let at = if *i < 0 { items.len() as i64 + i } else { *i };
                        next.extend(usize::try_from(at).ok().and_then(|a| items.get(a)));
                    }
                }
                Step::All => match v {
                    Value::Array(items) => next.extend(items.iter()),
                    Value::Object(map) => next.extend(map.values()),
                    _ => {}
                },
                Step::Filter(sub, cmp) => {
                    for item in v.as_array().into_iter().flatten() {
                        let found = eval_steps(vec![item], sub);
                        let keep = match cmp {
                            None => !found.is_empty(),
                            Some((true, lit)) => found.iter().any(|f| loosely_equal(f, lit)),
                            Some((false, lit)) => !found.iter().any(|f| loosely_equal(f, lit)),
                        };
                        if keep {
                            next.push(item);
                        }
                    }
                }
            }
        }
        current = next;
    }
    current
}

/// Evaluate a printer column's JSONPath and render the cell as kubectl does (several results
/// joined with commas).
fn column_cell(o: &Value, col: &PrinterColumn, now: DateTime<Utc>) -> Value {
    let Some(steps) = parse_jsonpath(&col.json_path) else { return Value::Null };
    let found: Vec<&Value> = eval_steps(vec![o], &steps).into_iter().filter(|v| !v.is_null()).collect();
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match found.as_slice() {
        [] => Value::Null,
        [v] if col.column_type == "date" => json!(human_age(ts(Some(v)), now)),
        [Value::String(s)] => json!(s),
        [Value::Array(items)] => json!(items.iter().map(text).collect::<Vec<_>>().join(",")),
        [v] => (*v).clone(),
        many => json!(many.iter().map(|v| text(v)).collect::<Vec<_>>().join(",")),
    }
}

/// Whether a group is Kubernetes' own (core, `apps`, `*.k8s.io`): only those get the built-in
/// printers; a CRD kind that happens to be called `Node` keeps its own columns.
fn is_kubernetes_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

/// Which object representation each table row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// `PartialObjectMetadata` (the default).
    Metadata,
    /// The whole object.
    Object,
}

/// Build a `meta.k8s.io` Table for a list of objects.
pub fn table(
    info: &ResourceInfo,
    items: &[&Value],
    include: IncludeObject,
    now: DateTime<Utc>,
    meta_version: &str,
    list_meta: Value,
) -> Value {
    let printer_kind = if is_kubernetes_group(&info.group) { info.kind.as_str() } else { "" };
    let (columns, mut rows): (Columns, Vec<Vec<Value>>) =
        match items.first().and_then(|o| builtin(printer_kind, o, now)) {
            Some((cols, _)) => (
                cols,
                items.iter().map(|o| builtin(printer_kind, o, now).map(|(_, c)| c).unwrap_or_default()).collect(),
            ),
            None => {
                let mut cols: Columns = vec![("Name", "string", 0)];
                let custom: Vec<&PrinterColumn> = info.printer_columns.iter().collect();
                let has_age = info.printer_columns.iter().any(|c| c.name.eq_ignore_ascii_case("age"));
                let rows = items
                    .iter()
                    .map(|o| {
                        let mut cells = vec![json!(s(o, "metadata.name"))];
                        cells.extend(custom.iter().map(|c| column_cell(o, c, now)));
                        if !has_age {
                            cells.push(json!(human_age(ts(path(o, "metadata.creationTimestamp")), now)));
                        }
                        cells
                    })
                    .collect();
                (std::mem::take(&mut cols), rows)
            }
        };
    let mut column_defs: Vec<Value> =
        columns.iter().map(|(name, t, prio)| json!({"name": name, "type": t, "format": if *name == "Name" { "name" } else { "" }, "description": "", "priority": prio})).collect();
    if items.first().and_then(|o| builtin(printer_kind, o, now)).is_none() {
        for c in &info.printer_columns {
            column_defs.push(json!({"name": c.name, "type": if c.column_type == "date" { "string" } else { c.column_type.as_str() }, "format": "", "description": "", "priority": c.priority}));
        }
        if !info.printer_columns.iter().any(|c| c.name.eq_ignore_ascii_case("age")) {
            column_defs.push(json!({"name": "Age", "type": "string", "format": "", "description": "", "priority": 0}));
        }
    }
    if items.is_empty() && builtin_columns_for_empty(printer_kind).is_some() {
        column_defs = builtin_columns_for_empty(printer_kind).unwrap_or_default();
    }
    let rows: Vec<Value> = items
        .iter()
        .zip(rows.iter_mut())
        .map(|(o, cells)| {
            let mut row = json!({"cells": std::mem::take(cells)});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    row["object"] = json!({"kind": "PartialObjectMetadata", "apiVersion": format!("meta.k8s.io/{meta_version}"), "metadata": o.get("metadata").cloned().unwrap_or(json!({}))});
                }
                IncludeObject::Object => row["object"] = (*o).clone(),
            }
            row
        })
        .collect();
    json!({"kind": "Table", "apiVersion": format!("meta.k8s.io/{meta_version}"), "metadata": list_meta, "columnDefinitions": column_defs, "rows": rows})
}

fn builtin_columns_for_empty(kind: &str) -> Option<Vec<Value>> {
    let dummy = json!({"metadata": {"name": ""}});
    builtin(kind, &dummy, Utc::now()).map(|(cols, _)| {
        cols.iter()
            .map(|(name, t, prio)| json!({"name": name, "type": t, "format": "", "description": "", "priority": prio}))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_like_kubectl() {
        let now: DateTime<Utc> = "2026-01-10T00:00:00Z".parse().unwrap();
        assert_eq!(human_age(Some("2026-01-09T23:59:30Z".parse().unwrap()), now), "30s");
        assert_eq!(human_age(Some("2026-01-09T23:55:00Z".parse().unwrap()), now), "5m0s");
        assert_eq!(human_age(Some("2026-01-09T20:00:00Z".parse().unwrap()), now), "4h0m");
        assert_eq!(human_age(Some("2026-01-01T00:00:00Z".parse().unwrap()), now), "9d");
    }

    #[test]
    fn pod_status_reasons() {
        let pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Running",
            "containerStatuses": [{"ready": true, "restartCount": 0, "state": {"running": {}}},
                                  {"ready": false, "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(pod_status(&pod), ("CrashLoopBackOff".into(), 7, 1, 2));
        let init = json!({"status": {"phase": "Pending", "initContainerStatuses": [{"state": {"running": {}}}]}});
        assert_eq!(pod_status(&init).0, "Init:0/1");
    }

    #[test]
    fn crd_columns_evaluate() {
        let info = ResourceInfo {
            group: "cstor.openebs.io".into(),
            version: "v1".into(),
            kind: "CStorPoolInstance".into(),
            plural: "cstorpoolinstances".into(),
            singular: "cstorpoolinstance".into(),
            short_names: vec![],
            namespaced: true,
            printer_columns: vec![PrinterColumn {
                name: "Status".into(),
                column_type: "string".into(),
                json_path: ".status.phase".into(),
                priority: 0,
            }],
            categories: Vec::new(),
        };
        let o = json!({"metadata": {"name": "cspi-1", "creationTimestamp": "2026-01-09T00:00:00Z"}, "status": {"phase": "ONLINE"}});
        let t = table(&info, &[&o], IncludeObject::Metadata, "2026-01-10T00:00:00Z".parse().unwrap(), "v1", json!({}));
        assert_eq!(t["rows"][0]["cells"], json!(["cspi-1", "ONLINE", "24h"]));
        assert_eq!(t["columnDefinitions"].as_array().unwrap().len(), 3);
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn printer_jsonpaths_with_filters_and_bracket_keys() {
        let o = json!({"status": {"conditions": [{"type": "Scheduled", "status": "False"}, {"type": "Ready", "status": "True"}],
            "robustness": {"scheduled": 3, "a.b": "dotted"}, "list": [1, 2, 3]}});
        let col = |p: &str| PrinterColumn {
            name: "c".into(),
            column_type: "string".into(),
            json_path: p.into(),
            priority: 0,
        };
        let now = Utc::now();
        assert_eq!(column_cell(&o, &col(r#".status.conditions[?(@.type=="Ready")].status"#), now), json!("True"));
        assert_eq!(column_cell(&o, &col(".status.conditions[?(@.type!='Ready')].type"), now), json!("Scheduled"));
        assert_eq!(column_cell(&o, &col(".status.robustness['scheduled']"), now), json!(3));
        assert_eq!(column_cell(&o, &col(r#".status.robustness["a.b"]"#), now), json!("dotted"));
        assert_eq!(column_cell(&o, &col(".status.list[-1]"), now), json!(3));
        assert_eq!(column_cell(&o, &col(".status.conditions[*].type"), now), json!("Scheduled,Ready"));
        assert_eq!(column_cell(&o, &col(".status.missing"), now), Value::Null);
        assert_eq!(column_cell(&o, &col(".status.conditions[?(@.type=="), now), Value::Null);
    }

    #[test]
    fn a_crd_kind_named_like_a_builtin_keeps_its_columns() {
        let info = ResourceInfo {
            group: "longhorn.io".into(),
            version: "v1beta1".into(),
            kind: "Node".into(),
            plural: "nodes".into(),
            singular: "node".into(),
            short_names: vec![],
            namespaced: true,
            printer_columns: vec![PrinterColumn {
                name: "Ready".into(),
                column_type: "string".into(),
                json_path: r#".status.conditions[?(@.type=="Ready")].status"#.into(),
                priority: 0,
            }],
            categories: Vec::new(),
        };
        let o = json!({"metadata": {"name": "n1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let t = table(&info, &[&o], IncludeObject::None, Utc::now(), "v1", json!({}));
        assert_eq!(t["columnDefinitions"][1]["name"], "Ready");
        assert_eq!(t["rows"][0]["cells"][1], "True");
    }
}
