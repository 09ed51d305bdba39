//! Consistent pseudonyms for IP addresses and host names (`--redact-ips`, `--redact-hostnames`).
//!
//! The same value becomes the same token everywhere in one bundle (HMAC-SHA256 under a random key
//! drawn per bundle and never stored), so support can still follow a node or address across files
//! without learning it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hmac::{Hmac, KeyInit, Mac};
use regex::bytes::Regex;
use sha2::Sha256;

use super::detectors::{Action, PseudoKind, Span};

/// The per-bundle key. Debug never shows it.
struct BundleKey([u8; 32]);

impl std::fmt::Debug for BundleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("**REDACTED**")
    }
}

#[derive(Debug)]
pub(crate) struct Pseudonymizer {
    key: BundleKey,
    ips: Option<Regex>,
    hosts: Option<AhoCorasick>,
}

impl Pseudonymizer {
    /// `None` when neither IPs nor host names are to be pseudonymised.
    pub(crate) fn new(redact_ips: bool, hostnames: &[String]) -> Result<Option<Pseudonymizer>, String> {
        let names: Vec<&str> = hostnames.iter().map(|name| name.trim()).filter(|name| !name.is_empty()).collect();
        if !redact_ips && names.is_empty() {
            return Ok(None);
        }
        let ips = if redact_ips {
            let octet = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
            let v4 = format!(r"(?-u)\b{octet}\.{octet}\.{octet}\.{octet}\b");
            let v6 = r"(?-u)(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b";
            Some(Regex::new(&format!("{v4}|{v6}")).map_err(|err| err.to_string())?)
        } else {
            None
        };
        let hosts = if names.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&names)
                    .map_err(|err| err.to_string())?,
            )
        };
        Ok(Some(Pseudonymizer { key: BundleKey(rand::random()), ips, hosts }))
    }

    /// Appends pseudonym spans found in `text` (offsets plus `base`).
    pub(crate) fn find(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        if let Some(ips) = &self.ips {
            for found in ips.find_iter(text) {
                // `1.2.3.4.5` or `v1.2.3.4-rc`: part of a longer dotted sequence, not an address.
                let before = found.start().checked_sub(1).map(|i| text[i]);
                let after = text.get(found.end()).copied();
                let dotted_before = before == Some(b'.');
                let dotted_after = after == Some(b'.') && text.get(found.end() + 1).is_some_and(u8::is_ascii_digit);
                if !dotted_before && !dotted_after {
                    let action = Action::Pseudonym(PseudoKind::Ip);
                    spans.push(Span { start: base + found.start(), end: base + found.end(), action });
                }
            }
        }
        if let Some(hosts) = &self.hosts {
            for found in hosts.find_iter(text) {
                let before = found.start().checked_sub(1).map(|i| text[i]);
                let after = text.get(found.end()).copied();
                // `node-1` must not match inside `node-10` or `mynode-1`.
                if !before.is_some_and(|b| b.is_ascii_alphanumeric())
                    && !after.is_some_and(|b| b.is_ascii_alphanumeric())
                {
                    let action = Action::Pseudonym(PseudoKind::Host);
                    spans.push(Span { start: base + found.start(), end: base + found.end(), action });
                }
            }
        }
    }

    /// `ip-3fa9c2d1` / `host-0b12cd34`: 32 bits of HMAC over the lower-cased value.
    pub(crate) fn pseudonym(&self, kind: PseudoKind, value: &[u8]) -> String {
        let prefix = match kind {
            PseudoKind::Ip => "ip",
            PseudoKind::Host => "host",
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key.0) else {
            // HMAC accepts keys of any length; this branch is unreachable but must not leak the value.
            return format!("{prefix}-unknown");
        };
        mac.update(prefix.as_bytes());
        mac.update(&[0]);
        mac.update(&value.to_ascii_lowercase());
        let digest = mac.finalize().into_bytes();
        format!("{prefix}-{}", hex::encode(&digest[..4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(p: &Pseudonymizer, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        p.find(text.as_bytes(), 0, &mut found);
        found.iter().map(|s| text[s.start..s.end].to_string()).collect()
    }

    #[test]
    fn finds_addresses_and_known_hosts_on_word_boundaries() {
        let p = Pseudonymizer::new(true, &["node-1".to_string()]).unwrap().unwrap();
        assert_eq!(spans(&p, "dial 10.1.0.5:8420 ok"), vec!["10.1.0.5"]);
        assert!(spans(&p, "version v1.2.3.4.5").is_empty());
        assert!(spans(&p, "999.1.1.1").is_empty());
        assert_eq!(spans(&p, "pool-on-node-1 on NODE-1"), vec!["node-1", "NODE-1"]);
        assert!(spans(&p, "node-10 mynode-1x").is_empty());
    }

    #[test]
    fn pseudonyms_are_consistent_within_a_key_and_differ_across_keys() {
        let first = Pseudonymizer::new(true, &[]).unwrap().unwrap();
        let second = Pseudonymizer::new(true, &[]).unwrap().unwrap();
        let a = first.pseudonym(PseudoKind::Ip, b"10.0.0.1");
        assert_eq!(a, first.pseudonym(PseudoKind::Ip, b"10.0.0.1"));
        assert_ne!(a, first.pseudonym(PseudoKind::Ip, b"10.0.0.2"));
        assert_ne!(a, second.pseudonym(PseudoKind::Ip, b"10.0.0.1"));
        assert!(a.starts_with("ip-") && a.len() == 11);
        assert_eq!(first.pseudonym(PseudoKind::Host, b"Node-1"), first.pseudonym(PseudoKind::Host, b"node-1"));
    }

    #[test]
    fn disabled_when_nothing_requested() {
        assert!(Pseudonymizer::new(false, &[]).unwrap().is_none());
    }
}
