//! The read-only Kubernetes API over a bundle: discovery, list (with selectors and pagination),
//! get, tables for kubectl, pod logs, and `Status` errors for everything else.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::RwLock;

use super::faults::{FaultAction, Faults};
use super::selector::{FieldSelector, LabelSelector};
use super::store::{ResourceInfo, Store};
use super::table::{IncludeObject, table};
use crate::snapshot::{LogKey, meta_str};

/// Shared server state.
pub struct ApiState {
    /// The data.
    pub store: RwLock<Store>,
    /// Bearer token required when set (TLS mode).
    pub token: Option<String>,
    /// Added to every response.
    pub latency: Duration,
    /// Injected faults.
    pub faults: Faults,
    /// Accept PATCH/POST/PUT into memory (used by the agent tests).
    pub accept_writes: bool,
}

/// A Kubernetes `Status` error response.
pub fn status_response(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code});
    let mut resp =
        (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn json_response(v: &Value) -> Response {
    let mut resp = (StatusCode::OK, v.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn query_param(uri: &Uri, key: &str) -> Option<String> {
    uri.query().and_then(|q| url_pairs(q).into_iter().find(|(k, _)| k == key).map(|(_, v)| v))
}

/// A whole-number query parameter: `Ok(None)` when absent or empty, a 400 `Status` when it is
/// not a number from 0 to `max` (kubectl never sends such values; a client that does gets told).
fn number_param(uri: &Uri, key: &str, max: u64) -> Result<Option<u64>, Box<Response>> {
    match query_param(uri, key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(Box::new(status_response(
                400,
                "BadRequest",
                &format!("invalid {key}={v:.40}: expected a whole number from 0 to {max}"),
            ))),
        },
    }
}

/// Largest count or offset accepted in a query (far above any bundle, far below overflow).
const MAX_QUERY_NUMBER: u64 = 1 << 40;

fn url_pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default()
}

/// Set on requests of a TLS connection whose client certificate the CA signed.
#[derive(Debug, Clone, Copy)]
pub struct ClientCertVerified;

/// The single handler behind every path.
pub async fn handle(
    State(st): State<Arc<ApiState>>,
    client_cert: Option<axum::Extension<ClientCertVerified>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(token) = &st.token {
        let ok = client_cert.is_some()
            || headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == format!("Bearer {token}"));
        if !ok {
            return status_response(
                401,
                "Unauthorized",
                "Unauthorized: a valid bearer token or client certificate is required",
            );
        }
    }
    if !st.latency.is_zero() {
        tokio::time::sleep(st.latency).await;
    }
    let fault = st.faults.check(method.as_str(), uri.path(), uri.query().unwrap_or(""));
    if let Some(delay) = fault.as_ref().and_then(|f| f.delay) {
        tokio::time::sleep(delay).await;
    }
    if let Some(code) = fault.as_ref().and_then(|f| f.status) {
        let reason = match code {
            403 => "Forbidden",
            404 => "NotFound",
            410 => "Expired",
            429 => "TooManyRequests",
            _ => "InternalError",
        };
        let message = match code {
            403 => format!(
                "{} is forbidden: User \"system:serviceaccount:test:mayadiag\" cannot list resource at the cluster scope (injected)",
                uri.path()
            ),
            410 => {
                "The provided continue parameter is too old to display a consistent list result. (injected)".to_string()
            }
            _ => format!("injected fault on {}", uri.path()),
        };
        let mut resp = status_response(code, reason, &message);
        if let Some(ra) = fault.as_ref().and_then(|f| f.retry_after)
            && let Ok(v) = HeaderValue::from_str(&ra.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let reference_time = st.store.read().await.reference_time;
    let mut resp = route(&st, &method, &uri, &headers, body).await;
    // The bundle's moment is the server's "now": clients judge recency by it, as they would on
    // the live cluster at collection time.
    if let Some(t) = reference_time
        && let Ok(v) = HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        resp.headers_mut().insert(header::DATE, v);
    }
    match fault {
        Some(f) if f.drop_after_bytes.is_some() || f.stall_after_bytes.is_some() => break_body(resp, f).await,
        _ => resp,
    }
}

/// Re-send a response body, cut or stalled after some bytes.
async fn break_body(resp: Response, f: FaultAction) -> Response {
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return status_response(500, "InternalError", "body");
    };
    let limit = f.drop_after_bytes.or(f.stall_after_bytes).unwrap_or(0) as usize;
    let head = bytes.slice(..limit.min(bytes.len()));
    let stall = f.stall_after_bytes.is_some();
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(head) }).chain(futures::stream::once(
        async move {
            if stall {
                futures::future::pending::<()>().await;
            }
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected connection drop"))
        },
    ));
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream))
}

async fn route(st: &ApiState, method: &Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Response {
    let path = uri.path().trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let store = st.store.read().await;
    match segs.as_slice() {
        ["version"] => match &store.version {
            Some(v) => json_response(v),
            None => status_response(404, "NotFound", "the bundle holds no cluster-info/cluster_version.json"),
        },
        ["healthz"] | ["readyz"] | ["livez"] => "ok".into_response(),
        ["api"] => json_response(&json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})),
        ["api", v] => resource_list(&store, "", v, st.accept_writes),
        ["apis"] => json_response(&group_list(&store)),
        ["apis", g] => {
            match group_list(&store)["groups"].as_array().and_then(|gs| gs.iter().find(|x| x["name"] == *g)).cloned() {
                Some(mut group) => {
                    group["kind"] = json!("APIGroup");
                    group["apiVersion"] = json!("v1");
                    json_response(&group)
                }
                None => status_response(
                    404,
                    "NotFound",
                    &format!("the server could not find the requested resource (group {g})"),
                ),
            }
        }
        ["apis", g, v] => resource_list(&store, g, v, st.accept_writes),
        ["api", "v1", "namespaces", ns, "services", service, "proxy", rest @ ..] => {
            if method != Method::GET {
                return status_response(405, "MethodNotAllowed", "the bundle is read-only");
            }
            service_proxy(&store, ns, service, rest, uri)
        }
        ["api", v, rest @ ..] => {
            let (g, v) = ("", *v);
            resource_request(st, store, method, uri, headers, body, g, v, rest).await
        }
        ["apis", g, v, rest @ ..] => {
            let (g, v) = (*g, *v);
            resource_request(st, store, method, uri, headers, body, g, v, rest).await
        }
        ["openapi", ..] => status_response(404, "NotFound", "OpenAPI is not served from a bundle"),
        _ => status_response(404, "NotFound", "the server could not find the requested resource"),
    }
}

/// The service proxy, for Mayastor's api-rest only (`/v0/<kind>`), answered from the REST state
/// the bundle holds (see `crate::mayastor_rest`), so `collect` and `kubectl mayastor` work
/// against a served bundle.
fn service_proxy(store: &Store, ns: &str, service: &str, rest: &[&str], uri: &Uri) -> Response {
    use crate::mayastor_rest::{GROUP, RestKind, to_entry};
    // `name`, `name:port` or `scheme:name:port`.
    let parts: Vec<&str> = service.split(':').collect();
    let name = if parts.len() == 3 { parts[1] } else { parts[0] };
    let exists =
        store.list("", "services").iter().any(|s| meta_str(s, "namespace") == ns && meta_str(s, "name") == name);
    if !exists {
        return status_response(404, "NotFound", &format!("services \"{name}\" not found"));
    }
    let kind = match rest {
        ["v0", path] => RestKind::from_path(path),
        _ => None,
    };
    let Some(kind) = kind else {
        return status_response(
            404,
            "NotFound",
            &format!(
                "the bundle serves only Mayastor's /v0/{{nodes,pools,volumes,nexuses,replicas}} through service {ns}/{name}"
            ),
        );
    };
    if store.resource(GROUP, kind.path).is_none() {
        return status_response(
            503,
            "ServiceUnavailable",
            &format!("the bundle holds no Mayastor {} (api-rest could not be read when it was collected)", kind.path),
        );
    }
    let entries: Vec<Value> = store.list(GROUP, kind.path).iter().map(to_entry).collect();
    if !kind.paginated {
        return json_response(&Value::Array(entries));
    }
    let param = |key: &str| number_param(uri, key, MAX_QUERY_NUMBER).map(|n| n.map(|n| n as usize));
    let (start, max) = match (param("starting_token"), param("max_entries")) {
        (Ok(start), Ok(max)) => (start.unwrap_or(0).min(entries.len()), max.filter(|&m| m > 0).unwrap_or(usize::MAX)),
        (Err(resp), _) | (_, Err(resp)) => return *resp,
    };
    let end = start.saturating_add(max).min(entries.len());
    let mut page = json!({"entries": entries[start..end]});
    if end < entries.len() {
        page["next_token"] = json!(end);
    }
    json_response(&page)
}

fn group_list(store: &Store) -> Value {
    let mut groups: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    for info in store.resources.values().filter(|i| !i.group.is_empty()) {
        groups.entry(&info.group).or_default().insert(&info.version);
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(g, versions)| {
            let mut versions: Vec<&str> = versions.into_iter().collect();
            versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
            let vs: Vec<Value> =
                versions.iter().map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v})).collect();
            json!({"name": g, "versions": vs, "preferredVersion": vs[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Kubernetes version ordering: GA > beta > alpha, higher numbers first.
fn version_priority(v: &str) -> (u8, u32, u32) {
    let digits = |s: &str| s.parse::<u32>().unwrap_or(0);
    let rest = v.trim_start_matches('v');
    if let Some((major, beta)) = rest.split_once("beta") {
        (1, digits(major), digits(beta))
    } else if let Some((major, alpha)) = rest.split_once("alpha") {
        (0, digits(major), digits(alpha))
    } else {
        (2, digits(rest), 0)
    }
}

fn resource_list(store: &Store, group: &str, version: &str, writable: bool) -> Response {
    let mut resources = Vec::new();
    for info in store.resources.values().filter(|i| i.group == group && i.version == version) {
        let mut verbs = vec!["get", "list"];
        if writable {
            verbs.extend(["create", "patch", "update"]);
        }
        resources.push(json!({"name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
            "kind": info.kind, "verbs": verbs, "shortNames": info.short_names, "categories": info.categories}));
        if info.kind == "Pod" {
            resources.push(
                json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}),
            );
        }
        if writable {
            resources.push(
                json!({"name": format!("{}/status", info.plural), "singularName": "", "namespaced": info.namespaced,
                "kind": info.kind, "verbs": ["get", "patch", "update"]}),
            );
        }
    }
    if resources.is_empty() {
        return status_response(
            404,
            "NotFound",
            &format!("the server could not find the requested resource ({group}/{version})"),
        );
    }
    let gv = crate::resources::api_version(group, version);
    json_response(&json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

/// What the client wants back: a Table (kubectl get) or the objects.
fn wants_table(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    for part in accept.split(',') {
        if part.contains("as=Table") {
            return Some(if part.contains("v=v1beta1") { "v1beta1" } else { "v1" });
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
async fn resource_request(
    st: &ApiState,
    store: tokio::sync::RwLockReadGuard<'_, Store>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    group: &str,
    // Any served version is accepted: objects keep the apiVersion they were collected at.
    _version: &str,
    rest: &[&str],
) -> Response {
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name), None),
        ["namespaces", ns, plural, name, sub] => (Some(*ns), *plural, Some(*name), Some(*sub)),
        [plural] => (None, *plural, None, None),
        [plural, name] => (None, *plural, Some(*name), None),
        [plural, name, sub] => (None, *plural, Some(*name), Some(*sub)),
        _ => return status_response(404, "NotFound", "the server could not find the requested resource"),
    };
    let Some(info) = store.resource(group, plural).cloned() else {
        return status_response(
            404,
            "NotFound",
            &format!("the server could not find the requested resource ({plural}.{group})"),
        );
    };
    if *method != Method::GET && *method != Method::HEAD {
        if !st.accept_writes || !matches!(*method, Method::POST | Method::PATCH | Method::PUT) {
            return status_response(
                405,
                "MethodNotAllowed",
                &format!("{} is not allowed: this API serves a diagnostics bundle read-only", method),
            );
        }
        drop(store);
        return write(st, &info, namespace, name, sub, &body).await;
    }
    if query_param(uri, "watch").is_some_and(|w| w == "true" || w == "1") {
        return status_response(405, "MethodNotAllowed", "watch is not supported: a bundle does not change");
    }
    let now = store.reference_time.unwrap_or_else(Utc::now);
    match (name, sub) {
        (None, _) => list(&store, &info, namespace, uri, headers, now),
        (Some(name), None) | (Some(name), Some("status")) => {
            let found = store.list(group, plural).iter().find(|o| {
                meta_str(*o, "name") == name
                    && (!info.namespaced || namespace.is_none_or(|ns| meta_str(*o, "namespace") == ns))
            });
            match found {
                None => status_response(
                    404,
                    "NotFound",
                    &format!("{}.{} \"{}\" not found", info.plural, info.group, name).replace(". \"", " \""),
                ),
                Some(obj) => match wants_table(headers) {
                    Some(mv) => {
                        let include = include_object(uri);
                        json_response(&table(&info, &[obj], include, now, mv, json!({"resourceVersion": "1"})))
                    }
                    None => json_response(obj),
                },
            }
        }
        (Some(name), Some("log")) if info.kind == "Pod" => pod_log(&store, namespace.unwrap_or("default"), name, uri),
        (Some(_), Some(sub)) => {
            status_response(404, "NotFound", &format!("subresource {sub} is not served from a bundle"))
        }
    }
}

fn include_object(uri: &Uri) -> IncludeObject {
    match query_param(uri, "includeObject").as_deref() {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

fn list(
    store: &Store,
    info: &ResourceInfo,
    namespace: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
    now: chrono::DateTime<Utc>,
) -> Response {
    let labels =
        match query_param(uri, "labelSelector").filter(|s| !s.is_empty()).map(|s| LabelSelector::parse(&s)).transpose()
        {
            Ok(l) => l,
            Err(e) => return status_response(400, "BadRequest", &format!("unable to parse requirement: {e}")),
        };
    let fields =
        match query_param(uri, "fieldSelector").filter(|s| !s.is_empty()).map(|s| FieldSelector::parse(&s)).transpose()
        {
            Ok(f) => f,
            Err(e) => return status_response(400, "BadRequest", &e),
        };
    let all: Vec<&Value> = store
        .list(&info.group, &info.plural)
        .iter()
        .filter(|o| namespace.is_none_or(|ns| meta_str(*o, "namespace") == ns))
        .filter(|o| labels.as_ref().is_none_or(|l| l.matches(*o)))
        .filter(|o| fields.as_ref().is_none_or(|f| f.matches(o)))
        .collect();
    let offset = match query_param(uri, "continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => match base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse::<usize>().ok()))
            .filter(|&n| n <= all.len())
        {
            Some(n) => n,
            None => return status_response(400, "BadRequest", "invalid continue token"),
        },
    };
    let limit = match number_param(uri, "limit", MAX_QUERY_NUMBER) {
        Ok(l) => l.map(|l| l as usize).filter(|l| *l > 0),
        Err(resp) => return *resp,
    };
    let end = limit.map_or(all.len(), |l| offset.saturating_add(l).min(all.len()));
    let page = &all[offset..end];
    let mut list_meta = json!({"resourceVersion": "1"});
    if end < all.len() {
        list_meta["continue"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{end}")));
        list_meta["remainingItemCount"] = json!(all.len() - end);
    }
    if let Some(mv) = wants_table(headers) {
        return json_response(&table(info, page, include_object(uri), now, mv, list_meta));
    }
    let items: Vec<Value> = page.iter().map(|o| (*o).clone()).collect();
    json_response(
        &json!({"kind": format!("{}List", info.kind), "apiVersion": info.api_version(), "metadata": list_meta, "items": items}),
    )
}

fn pod_log(store: &Store, namespace: &str, name: &str, uri: &Uri) -> Response {
    let pod =
        store.list("", "pods").iter().find(|p| meta_str(*p, "namespace") == namespace && meta_str(*p, "name") == name);
    // Containers: the pod's spec, or (a pod missing from the pod lists) the logs collected for it.
    let (containers, main): (Vec<String>, Vec<String>) = match pod {
        Some(pod) => {
            let names = |k: &str| -> Vec<String> {
                pod["spec"][k]
                    .as_array()
                    .map(|a| a.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect())
                    .unwrap_or_default()
            };
            let main = names("containers");
            (names("initContainers").into_iter().chain(main.iter().cloned()).collect(), main)
        }
        None => {
            let logged: BTreeSet<String> = store
                .logs
                .keys()
                .filter(|k| k.namespace == namespace && k.pod == name)
                .map(|k| k.container.clone())
                .collect();
            if logged.is_empty() {
                return status_response(404, "NotFound", &format!("pods \"{name}\" not found"));
            }
            let logged: Vec<String> = logged.into_iter().collect();
            (logged.clone(), logged)
        }
    };
    let container = match query_param(uri, "container").filter(|c| !c.is_empty()) {
        Some(c) if containers.contains(&c) => c,
        Some(c) => return status_response(400, "BadRequest", &format!("container {c} is not valid for pod {name}")),
        None if main.len() == 1 => main[0].clone(),
        None => {
            return status_response(
                400,
                "BadRequest",
                &format!("a container name must be specified for pod {name}, choose one of: [{}]", main.join(" ")),
            );
        }
    };
    let (tail, limit_bytes) =
        match (number_param(uri, "tailLines", MAX_QUERY_NUMBER), number_param(uri, "limitBytes", MAX_QUERY_NUMBER)) {
            (Ok(t), Ok(l)) => (t.map(|n| n as usize), l.map(|n| n as usize)),
            (Err(resp), _) | (_, Err(resp)) => return *resp,
        };
    let previous = query_param(uri, "previous").is_some_and(|p| p == "true" || p == "1");
    let key =
        LogKey { namespace: namespace.to_string(), pod: name.to_string(), container: container.clone(), previous };
    let mut data = match store.logs.get(&key) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return status_response(500, "InternalError", &format!("cannot read the spilled log: {e}")),
        None if previous => {
            return status_response(
                400,
                "BadRequest",
                &format!("previous terminated container \"{container}\" in pod \"{name}\" not found"),
            );
        }
        // As sbctl: a log the bundle does not hold is not an empty log.
        None => {
            return status_response(
                404,
                "NotFound",
                &format!("the bundle holds no log of container \"{container}\" in pod \"{name}\""),
            );
        }
    };
    if let Some(n) = tail {
        let text = &data[..];
        let trimmed = text.strip_suffix(b"\n").unwrap_or(text);
        let start = if n == 0 {
            trimmed.len()
        } else {
            trimmed.iter().enumerate().rev().filter(|(_, b)| **b == b'\n').nth(n - 1).map_or(0, |(i, _)| i + 1)
        };
        data = data.slice(start.min(data.len())..);
    }
    if let Some(n) = limit_bytes {
        data = data.slice(..n.min(data.len()));
    }
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..data.len().div_ceil(64 * 1024))
        .map(|i| Ok(data.slice(i * 65536..((i + 1) * 65536).min(data.len()))))
        .collect();
    let mut resp = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}

async fn write(
    st: &ApiState,
    info: &ResourceInfo,
    namespace: Option<&str>,
    name: Option<&str>,
    sub: Option<&str>,
    body: &[u8],
) -> Response {
    let text = String::from_utf8_lossy(body);
    let parsed: Result<Value, String> =
        serde_json::from_str(&text).or_else(|_| serde_saphyr::from_str(&text).map_err(|e| e.to_string()));
    let mut obj = match parsed {
        Ok(v) if v.is_object() => v,
        Ok(_) => return status_response(400, "BadRequest", "the body must be an object"),
        Err(e) => return status_response(400, "BadRequest", &format!("cannot decode the body: {e}")),
    };
    if let Some(meta) =
        obj.as_object_mut().map(|o| o.entry("metadata").or_insert(json!({}))).and_then(Value::as_object_mut)
    {
        if let Some(n) = name {
            meta.insert("name".into(), json!(n));
        }
        if let (Some(ns), true) = (namespace, info.namespaced) {
            meta.insert("namespace".into(), json!(ns));
        }
        if !meta.contains_key("name") {
            if let Some(prefix) = meta.get("generateName").and_then(Value::as_str).map(str::to_string) {
                meta.insert("name".into(), json!(format!("{prefix}{:x}", rand::random::<u32>())));
            } else {
                return status_response(422, "Invalid", "metadata.name is required");
            }
        }
        meta.entry("uid").or_insert_with(|| json!(format!("{:032x}", rand::random::<u128>())));
        meta.entry("creationTimestamp")
            .or_insert_with(|| json!(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    }
    if let Some(map) = obj.as_object_mut() {
        map.entry("kind").or_insert(json!(info.kind));
        map.entry("apiVersion").or_insert(json!(info.api_version()));
    }
    let mut store = st.store.write().await;
    let stored = store.upsert(&info.group, &info.plural, obj, sub == Some("status"));
    let mut resp = json_response(&stored);
    if name.is_none() {
        *resp.status_mut() = StatusCode::CREATED;
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_order() {
        let mut v = vec!["v1alpha1", "v1", "v1beta2", "v1beta3", "v2"];
        v.sort_by_key(|x| std::cmp::Reverse(version_priority(x)));
        assert_eq!(v, vec!["v2", "v1", "v1beta3", "v1beta2", "v1alpha1"]);
    }
}
