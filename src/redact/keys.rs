//! Deciding whether a key or environment-variable name names a secret.
//!
//! A name is split into components (on `_ - . /` and camelCase boundaries). It is sensitive when a
//! component is a secret word (`password`, `token`, `secret`, …) or a `key` qualified by a word such as
//! `access`, `api`, `account`, `client`; but not when its last component says it only *refers* to a
//! secret (`secretName`, `tokenExpirationSeconds`, `passwordFile`). Whole components are compared, so
//! `tokenizer`, `keyboard` and `monkey` are not sensitive, and neither is a bare `key` (tolerations,
//! `secretKeyRef.key`, klog `key="ns/name"`).
//!
//! This is the ONE lexicon of sensitive names: object keys, env names, `key=value` in logs, YAML/INI/TOML/
//! properties/.env lines, conf directives (`requirepass x`), HTTP headers and dict reprs all ask it.
//! [`classify`] is sure; [`key_named`] is the weaker "a key of some kind" (`routing_key`,
//! `MONGODB_REPLICA_SET_KEY`, `salt`): such a field is masked only when its value looks random
//! ([`super::detectors::high_entropy`]).

/// What a sensitive name holds; doubles as the rule name in masks and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretKind {
    Password,
    Token,
    Secret,
}

const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
    // conf-file directives of databases, caches and brokers
    "requirepass",
    "masterauth",
    "masterpass",
    "rootpw",
    "bindpw",
    "authpass",
    "pw",
    "psk",
];
const TOKEN_WORDS: &[&str] = &["token", "tokens", "auth", "sastoken", "jwt", "bearer"];
const SECRET_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "credential",
    "credentials",
    "creds",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "accountkey",
    "sharedaccesskey",
    "sas",
    "sig",
    "private",
    "salt",
    "pepper",
    "cookie",
    "cookies",
];
/// Words that turn a following `key` component into a secret (`access_key`, `AccountKey`, `client-key-data`).
const KEY_QUALIFIERS: &[&str] = &[
    "access",
    "secret",
    "api",
    "account",
    "private",
    "client",
    "encryption",
    "encrypt",
    "master",
    "shared",
    "signing",
    "storage",
    "ssh",
    "gpg",
    "pgp",
    "license",
    "app",
    "consumer",
    "hmac",
    "aes",
    "crypt",
    "crypto",
    "root",
    "admin",
    "auth",
    "deploy",
    "service",
    "tls",
    "subscription",
    "primary",
    "secondary",
    "webhook",
    "replica",
    "set",
    "replicaset",
    "integration",
    "session",
    "cookie",
    "unseal",
    "recovery",
    "vault",
    "cluster",
    "decryption",
    "cipher",
    "wrapping",
    "kms",
    "ingest",
    "write",
    "sentry",
    "bot",
    "server",
    "jwt",
    "oauth",
    "sign",
    "mac",
];
/// Names of keys that are public or mere identifiers, never masked whatever their value.
const PUBLIC_KEYS: &[&str] = &[
    "public",
    "pub",
    "topology",
    "verify",
    "verification",
    "sort",
    "partition",
    "primary",
    "foreign",
    "cache",
    "label",
    "hash",
    "range",
    "shard",
    "lookup",
    "idempotency",
    "object",
    "map",
    "group",
    "dedup",
    "message",
    "row",
    "index",
    "metric",
    "tag",
    "annotation",
    "config",
    "env",
    "field",
    "json",
    "node",
    "host",
    "known",
    "authorized",
    "ca",
    "cert",
    "certificate",
    "trust",
    "registry",
    "s3",
    "bucket",
    "prefix",
    "kid",
];
/// Last components that mean "this names or describes a secret, it is not the secret".
const NOT_A_VALUE: &[&str] = &[
    "name",
    "names",
    "namespace",
    "ns",
    "ref",
    "refs",
    "reference",
    "file",
    "files",
    "filename",
    "path",
    "paths",
    "dir",
    "directory",
    "mount",
    "location",
    "length",
    "len",
    "size",
    "seconds",
    "secs",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "expiration",
    "type",
    "types",
    "kind",
    "format",
    "enabled",
    "enable",
    "disabled",
    "required",
    "mode",
    "policy",
    "count",
    "version",
    "provider",
    "method",
    "algorithm",
    "header",
    "field",
    "prefix",
    "suffix",
    "template",
    "selector",
    "label",
    "labels",
    "uri",
    "url",
    "urls",
    "endpoint",
    "host",
    "port",
    "issuer",
    "audience",
    "usage",
    "rotation",
    "class",
    "annotation",
    "user",
    "username",
    "login",
    "strategy",
    "manager",
    "store",
    "source",
    "key",
    "keys",
    "id",
    "ids",
    "rules",
    "rule",
    "status",
    "phase",
    "reason",
    "message",
    "error",
    "errors",
    "duration",
    "interval",
    "period",
    "limit",
    "retries",
    "generation",
    "ip",
    "ips",
    "address",
    "addr",
    "network",
    "subnet",
    "cidr",
    "dns",
    "zone",
    "registry",
    "repo",
    "repository",
    "link",
    "cluster",
    "affinity",
    "config",
    "configuration",
    "settings",
    "options",
    "arn",
    "region",
    "rounds",
    "domain",
    "samesite",
    "secure",
    "httponly",
    "hint",
    "alias",
    "description",
    "desc",
];

/// Splits a name into lower-cased components.
fn components(name: &[u8]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut prev: Option<u8> = None;
    for (index, &byte) in name.iter().enumerate() {
        if !byte.is_ascii_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            prev = None;
            continue;
        }
        let next = name.get(index + 1).copied();
        let boundary = match prev {
            // fooBar
            Some(p) if p.is_ascii_lowercase() && byte.is_ascii_uppercase() => true,
            // AWSSecret: the S of Secret starts a word
            Some(p) if p.is_ascii_uppercase() && byte.is_ascii_uppercase() => {
                next.is_some_and(|n| n.is_ascii_lowercase())
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.push(byte.to_ascii_lowercase() as char);
        prev = Some(byte);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

fn component_kind(component: &str) -> Option<SecretKind> {
    if PASSWORD_WORDS.contains(&component) || component.ends_with("password") || component.ends_with("passwd") {
        return Some(SecretKind::Password);
    }
    if component.starts_with("password") {
        return Some(SecretKind::Password);
    }
    if TOKEN_WORDS.contains(&component) || component.ends_with("token") {
        return Some(SecretKind::Token);
    }
    if SECRET_WORDS.contains(&component) || component.ends_with("secret") {
        return Some(SecretKind::Secret);
    }
    None
}

/// Classifies a key or environment-variable name; `None` when it does not name a secret value.
pub(crate) fn classify(name: &[u8]) -> Option<SecretKind> {
    // Fast rejections for the most common non-secret keys seen in logs.
    if name.len() > 200 || name.eq_ignore_ascii_case(b"key") || name.eq_ignore_ascii_case(b"keys") {
        return None;
    }
    let parts = components(name);
    if parts.iter().any(|part| PUBLIC_KEYS.contains(&part.as_str()))
        && parts.last().is_some_and(|last| last == "key" || last == "keys" || last == "keyid" || last == "id")
    {
        // `public_key`, `verify_key`, `ssh_public_key_id`: public material or identifiers.
        return None;
    }
    classify_parts(&parts)
}

/// A name that holds a key of some kind although the lexicon is not sure it is a secret: `routing_key`,
/// `MONGODB_REPLICA_SET_KEY`, `sessionSalt`, `encKey`. Values under such names are masked when they look
/// random. References (`keyName`, `secretKeyRef`, `*_FILE`, `*_PATH`) and public keys stay.
pub(crate) fn key_named(name: &[u8]) -> bool {
    if name.len() > 200 || name.eq_ignore_ascii_case(b"key") || name.eq_ignore_ascii_case(b"keys") {
        return false;
    }
    let parts = components(name);
    let Some(last) = parts.last() else { return false };
    if parts.iter().any(|part| PUBLIC_KEYS.contains(&part.as_str())) {
        return false;
    }
    let keyish = |part: &str| {
        part == "key"
            || part == "keys"
            || part
                .strip_suffix("key")
                .is_some_and(|q| KEY_QUALIFIERS.contains(&q) || ["enc", "lic", "priv"].contains(&q))
            || component_kind(part).is_some()
    };
    if !parts.iter().any(|part| keyish(part)) {
        return false;
    }
    // `keyName`, `key_file`, `api_key_path`: a reference, not the value. `key` last is the value itself.
    !NOT_A_VALUE.contains(&last.as_str()) || keyish(last)
}

/// `webhookUrl`, `slack_api_url`, `WEBHOOK`: a URL whose path carries a token.
pub(crate) fn is_webhook_name(name: &[u8]) -> bool {
    let parts = components(name);
    parts.iter().any(|part| part == "webhook" || part == "hook" || part == "webhooks")
        || (parts.iter().any(|part| part == "slack" || part == "teams" || part == "discord")
            && parts.last().is_some_and(|last| last == "url" || last == "uri"))
}

fn classify_parts(parts: &[String]) -> Option<SecretKind> {
    let last = parts.last()?;
    let mut found: Option<SecretKind> = None;
    // `smtp_auth_password` is a password even though `auth` comes first.
    if parts.iter().any(|part| component_kind(part) == Some(SecretKind::Password)) {
        found = Some(SecretKind::Password);
    }
    for (index, part) in parts.iter().enumerate().filter(|_| found.is_none()) {
        let kind = component_kind(part).or_else(|| {
            let is_key = part == "key" || part == "keys";
            let qualified = index > 0 && KEY_QUALIFIERS.contains(&parts[index - 1].as_str());
            (is_key && qualified).then_some(SecretKind::Secret)
        });
        if let Some(kind) = kind {
            found = Some(kind);
            break;
        }
    }
    let kind = found?;
    // `access_key` ends in "key": the qualifier made it sensitive, so "key" as the last part is fine there.
    let qualified_key_last = (last == "key" || last == "keys")
        && parts.len() >= 2
        && KEY_QUALIFIERS.contains(&parts[parts.len() - 2].as_str());
    if NOT_A_VALUE.contains(&last.as_str()) && !qualified_key_last {
        // `secret_key_id` style identifiers of cloud keys are still masked: "id" after a qualified key.
        let key_id = last == "id"
            && parts.len() >= 3
            && parts[parts.len() - 2] == "key"
            && KEY_QUALIFIERS.contains(&parts[parts.len() - 3].as_str());
        if !key_id {
            return None;
        }
    }
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensitive(name: &str) -> bool {
        classify(name.as_bytes()).is_some()
    }

    #[test]
    fn secret_names_are_sensitive() {
        for name in [
            "password",
            "DB_PASSWORD",
            "dbPassword",
            "DBPASSWORD",
            "PGPASSWORD",
            "passwd",
            "pwd",
            "ADMIN_PASSWORD",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "ACCESS_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "aws_access_key_id",
            "AccountKey",
            "SharedAccessKey",
            "client-key-data",
            "token",
            "access_token",
            "refreshToken",
            "id-token",
            "auth",
            "client_secret",
            "JWT_SECRET",
            "private_key",
            "private_key_id",
            "credentials",
            "--db-password",
            "replicaSetKey",
            "MONGODB_REPLICA_SET_KEY",
            "SECRET_KEY_BASE",
            "encryptionKey",
            "hmac_key",
            "signingKey",
            "sessionSecret",
            "PASSWORD_SALT",
            "pepper",
            "requirepass",
            "masterauth",
            "aws_session_token",
            "Cookie",
            "X-Auth-Token",
        ] {
            assert!(sensitive(name), "{name} should be sensitive");
        }
    }

    #[test]
    fn references_and_lookalikes_are_not_sensitive() {
        for name in [
            "tokenizer",
            "keyboard",
            "monkey",
            "key",
            "secretName",
            "secretKeyRef",
            "provisioner-secret-name",
            "csi.storage.k8s.io/node-publish-secret-namespace",
            "tokenExpirationSeconds",
            "passwordFile",
            "token_uri",
            "auth_url",
            "topologyKey",
            "passthrough",
            "bypass",
            "compass",
            "authority",
            "INFRA_ID",
            "secretRef",
            "name",
            "value",
            "client-certificate-data",
            "public_key",
            "publicKey",
            "ssh_public_key",
            "role_arn",
            "region",
            "keyName",
            "SECRET_KEY_FILE",
            "TLS_KEY_PATH",
            "routing",
            "keyspace",
        ] {
            assert!(!sensitive(name), "{name} should not be sensitive");
        }
    }

    #[test]
    fn key_named_is_the_weaker_rule() {
        for name in ["routing_key", "integrationKey", "MONGODB_REPLICA_SET_KEY", "enc_key", "hmacKey", "salt"] {
            assert!(key_named(name.as_bytes()), "{name} should be key-named");
        }
        for name in ["key", "keyName", "key_file", "topologyKey", "public_key", "sortKey", "keyspace", "monkey"] {
            assert!(!key_named(name.as_bytes()), "{name} should not be key-named");
        }
    }

    #[test]
    fn kinds_follow_the_word() {
        assert_eq!(classify(b"DB_PASSWORD"), Some(SecretKind::Password));
        assert_eq!(classify(b"access_token"), Some(SecretKind::Token));
        assert_eq!(classify(b"ACCESS_KEY"), Some(SecretKind::Secret));
    }
}
