//! Structured object redaction.

use serde_json::json;

use crate::redact::{RedactOptions, RedactionReport, Redactor};

fn redact(mut obj: serde_json::Value) -> (serde_json::Value, RedactionReport) {
    let redactor = Redactor::new(&RedactOptions::default()).unwrap();
    let mut report = RedactionReport::default();
    redactor.redact_object(&mut obj, "cluster-resources/pods/openebs.json", &mut report).unwrap();
    (obj, report)
}

#[test]
fn env_values_with_sensitive_names_are_masked() {
    let (obj, report) = redact(json!({"kind": "PodList", "apiVersion": "v1", "items": [{"kind": "Pod",
    "spec": {"containers": [{"name": "c", "env": [
        {"name": "DB_PASSWORD", "value": "envPass1"},
        {"name": "ACCESS_KEY", "value": "litmusAccess"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "TOKEN_FILE", "value": "/var/run/token"},
        {"name": "SECRET_REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}}
    ]}]}}]}));
    let env = &obj["items"][0]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["value"], "***REDACTED:env-secret***");
    assert_eq!(env[1]["value"], "***REDACTED:env-secret***");
    assert_eq!(env[2]["value"], "debug");
    assert_eq!(env[3]["value"], "/var/run/token");
    assert_eq!(env[4]["valueFrom"]["secretKeyRef"]["key"], "password");
    assert_eq!(report.per_rule()["env-secret"], 2);
}

#[test]
fn last_applied_configuration_is_redacted_structurally() {
    let inner = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "stringData": {"password": "lastAppliedPw"}, "data": {"token": "bGFzdEFwcGxpZWQ="}});
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "API_KEY", "value": "lastAppliedApiKey"}]}]}}}});
    let (obj, _) = redact(json!({"metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": inner.to_string(),
        "other": "x"}},
        "spec": {"note": deploy.to_string()}}));
    let text = obj.to_string();
    assert!(!text.contains("lastAppliedPw") && !text.contains("bGFzdEFwcGxpZWQ="), "{text}");
    assert!(!text.contains("lastAppliedApiKey"), "{text}");
    let annotation =
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].as_str().unwrap();
    let reparsed: serde_json::Value = serde_json::from_str(annotation).unwrap();
    assert_eq!(reparsed["metadata"]["name"], "db");
}

#[test]
fn sensitive_keys_args_and_text_fields() {
    let (obj, _) = redact(json!({"spec": {
        "credentials": {"accessKey": "AKIAOBJECT0000000000", "secretKey": "objSecretKey/abc", "region": "eu-west-1"},
        "password": 1234,
        "secretName": "kept-secret-name",
        "automountServiceAccountToken": true,
        "args": ["--db-password", "argPass99", "--verbose", "--token=argTok77"],
        "config": "url: https://admin:cfgPass@minio:9000\n",
        "tolerations": [{"key": "node-role.kubernetes.io/master", "operator": "Exists"}]
    }}));
    let text = obj.to_string();
    for leaked in ["AKIAOBJECT0000000000", "objSecretKey/abc", "1234", "argPass99", "argTok77", "cfgPass"] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    for kept in ["eu-west-1", "kept-secret-name", "node-role.kubernetes.io/master", "--verbose"] {
        assert!(text.contains(kept), "{kept} missing in {text}");
    }
    assert_eq!(obj["spec"]["automountServiceAccountToken"], true);
}

#[test]
fn user_object_paths_mask_subtrees() {
    let dir = std::env::temp_dir().join(format!("mayadiag-redact-paths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.yaml");
    std::fs::write(&file, "paths:\n  - spec.backupTarget.credentials\n  - spec.items.*.blob\n").unwrap();
    let redactor = Redactor::new(&RedactOptions { user_config: Some(file), ..RedactOptions::default() }).unwrap();
    let mut obj = json!({"kind": "FooList", "items": [{"spec": {"backupTarget": {"credentials": {"a": "plainWord"}, "bucket": "b"},
        "items": [{"blob": "one"}, {"blob": "two"}]}}]});
    let mut report = RedactionReport::default();
    redactor.redact_object(&mut obj, "x.json", &mut report).unwrap();
    let spec = &obj["items"][0]["spec"];
    assert_eq!(spec["backupTarget"]["credentials"], "***REDACTED:object-path***");
    assert_eq!(spec["backupTarget"]["bucket"], "b");
    assert_eq!(spec["items"][1]["blob"], "***REDACTED:object-path***");
    assert_eq!(report.per_rule()["object-path"], 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn too_deep_objects_fail_closed() {
    let mut obj = json!("leaf");
    for _ in 0..300 {
        obj = json!([obj]);
    }
    let redactor = Redactor::new(&RedactOptions::default()).unwrap();
    let mut report = RedactionReport::default();
    assert!(redactor.redact_object(&mut obj, "deep.json", &mut report).is_err());
}

fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~]{0,40}".prop_map(serde_json::Value::String),
        Just(json!("password=PlantedObj1 -----BEGIN PRIVATE KEY-----")),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    "[a-z]{1,8}",
                    Just("name".to_string()),
                    Just("value".to_string()),
                    Just("password".to_string())
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn arbitrary_objects_never_panic_and_never_keep_the_planted_password(obj in arbitrary_json()) {
        let (redacted, _) = redact(obj);
        proptest::prop_assert!(!redacted.to_string().contains("PlantedObj1"));
    }
}
