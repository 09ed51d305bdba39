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

#[test]
fn documents_inside_configmap_values_are_parsed_and_keep_their_format() {
    let alertmanager = "receivers:\n  - name: pd\n    pagerduty_configs:\n      - routing_key: 0a1b2c3d4e5f60718293a4b5c6d7e8f9\n        severity: critical\nroute:\n  routing: default\n";
    let values = "mongodb:\n  extraEnvVars:\n    - {name: MONGODB_REPLICA_SET_KEY, value: Rk81Qp0LmN4vB7cR2tY6uW9eXa1}\n  auth:\n    rootPassword: RootPw-42\n  keyspace: orders\n";
    let (obj, report) = redact(json!({"kind": "ConfigMap", "data": {
        "alertmanager.yml": alertmanager, "values.yaml": values,
        "pgpass": "db.svc:5432:billing:billing:PgPassW0rd\n",
        "ipv6": "fd00:10:244:1::5\n"}}));
    let am = obj["data"]["alertmanager.yml"].as_str().unwrap();
    assert!(!am.contains("0a1b2c3d4e5f60718293a4b5c6d7e8f9") && am.contains("routing: default"), "{am}");
    assert!(am.starts_with("receivers:\n  - name: pd\n"), "format kept: {am}");
    let values = obj["data"]["values.yaml"].as_str().unwrap();
    assert!(!values.contains("Rk81Qp0LmN4vB7cR2tY6uW9eXa1") && !values.contains("RootPw-42"), "{values}");
    assert!(values.contains("keyspace: orders"), "{values}");
    assert_eq!(obj["data"]["pgpass"], "db.svc:5432:billing:billing:***REDACTED:pgpass***\n");
    assert_eq!(obj["data"]["ipv6"], "fd00:10:244:1::5\n");
    assert!(report.per_rule().contains_key("structured-document"), "{:?}", report.per_rule());
}

#[test]
fn credentials_file_under_a_sensitive_name_keeps_its_non_secret_lines() {
    let file = "[default]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n\n[profile velero]\nrole_arn = arn:aws:iam::123456789012:role/velero\n";
    let (obj, _) = redact(json!({"data": {"credentials": file, "password": "plain-pw-1"}}));
    let out = obj["data"]["credentials"].as_str().unwrap();
    assert!(!out.contains("wJalrXUtnFEMI") && !out.contains("AKIAABCDEFGHIJKLMNOP"), "{out}");
    assert!(
        out.contains("region = eu-west-1") && out.contains("role_arn = arn:aws:iam::123456789012:role/velero"),
        "{out}"
    );
    assert_eq!(obj["data"]["password"], "***REDACTED:password***");
    // Nothing to find inside a multi-line value under a sensitive name: masked whole.
    let (obj, _) = redact(json!({"data": {"password": "two\nlines"}}));
    assert_eq!(obj["data"]["password"], "***REDACTED:password***");
}

#[test]
fn key_named_fields_public_keys_and_webhooks() {
    let (obj, _) = redact(json!({"spec": {
        "replicaSetKey": "Zx81Qp0LmN4vB7cR2tY6uW9e",
        "routing_key": "short",
        "keyName": "backup-signing-key",
        "publicKey": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n",
        "ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6 ops@example",
        "webhookUrl": "https://hooks.example.com/notify/Tok3nInPath99",
        "env": [{"name": "MONGODB_REPLICA_SET_KEY", "value": "Rs0Key81Qp0LmN4vB7cR2tY6"},
                {"name": "MONGODB_REPLICA_SET_KEY_FILE", "value": "/run/secrets/rs-key"}]}}));
    let spec = &obj["spec"];
    assert_eq!(spec["replicaSetKey"], "***REDACTED:secret***");
    assert_eq!(spec["routing_key"], "short");
    assert_eq!(spec["keyName"], "backup-signing-key");
    assert!(spec["publicKey"].as_str().unwrap().contains("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
    assert!(spec["ssh_key"].as_str().unwrap().starts_with("ssh-ed25519 AAAA"));
    assert_eq!(spec["webhookUrl"], "https://hooks.example.com/***REDACTED:webhook-url***");
    assert_eq!(spec["env"][0]["value"], "***REDACTED:env-secret***");
    assert_eq!(spec["env"][1]["value"], "/run/secrets/rs-key");
}
