//! Stream redactor: chunking, long lines and window edges, PEM across chunks, and a property test.

use proptest::prelude::*;

use crate::redact::stream::{OVERLAP, WINDOW};
use crate::redact::{RedactOptions, RedactionReport, Redactor};

fn redactor() -> Redactor {
    Redactor::new(&RedactOptions::default()).unwrap()
}

/// Feeds `input` split at the given chunk sizes (cycled).
fn run_chunked(redactor: &Redactor, input: &[u8], sizes: &[usize]) -> (Vec<u8>, RedactionReport) {
    let mut stream = redactor.stream("test.log");
    let mut out = Vec::new();
    let mut pos = 0;
    let mut index = 0;
    while pos < input.len() {
        let size = sizes.get(index % sizes.len().max(1)).copied().unwrap_or(input.len()).max(1);
        let end = (pos + size).min(input.len());
        stream.push(&input[pos..end], &mut out).unwrap();
        pos = end;
        index += 1;
    }
    let mut report = RedactionReport::default();
    stream.finish(&mut out, &mut report).unwrap();
    (out, report)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

const PEM: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oQxBqEMgBfHkoAoGCCqGSM49\nAwEHoUQDQgAEQmWbIi3mPRchDrgEpW9cdZyVcZzJzuSBLyJb8pcAO5HIYyv7ThbZ\n-----END EC PRIVATE KEY-----\n";

#[test]
fn pem_block_split_across_tiny_chunks() {
    let input = format!("start\n{PEM}end password=chunky9\n");
    for size in [1, 2, 7, 64, 4096] {
        let (out, report) = run_chunked(&redactor(), input.as_bytes(), &[size]);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, "start\n***REDACTED:pem-private-key***\nend password=***REDACTED:password***\n", "size {size}");
        assert_eq!(report.per_rule()["pem-private-key"], 1);
    }
}

#[test]
fn unterminated_pem_drops_body_until_a_normal_line() {
    let input =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nnormal log line here: ok\n";
    let (out, _) = run_chunked(&redactor(), input.as_bytes(), &[5]);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out, "***REDACTED:pem-private-key***\nnormal log line here: ok\n");
}

fn long_line_with(secret_at: usize, secret: &str, total: usize) -> String {
    let filler = "abcd efgh ijkl mnop ";
    let mut line = String::new();
    while line.len() < secret_at {
        line.push_str(filler);
    }
    line.truncate(secret_at);
    line.push_str(secret);
    while line.len() < total {
        line.push_str(filler);
    }
    line.push('\n');
    line
}

#[test]
fn secrets_at_window_edges_of_long_lines_are_caught() {
    let secret = "password=EdgeCase123456789";
    let cut = WINDOW - OVERLAP;
    for at in
        [10, cut - 12, cut - 5, cut, cut + 3, WINDOW - 12, WINDOW - 3, WINDOW + 1, 2 * WINDOW - OVERLAP - 9, 100_000]
    {
        let line = long_line_with(at, secret, 150_000);
        for sizes in [&[line.len()][..], &[1000, 333], &[WINDOW + 17]] {
            let (out, report) = run_chunked(&redactor(), line.as_bytes(), sizes);
            assert!(!contains(&out, "EdgeCase123456789"), "leak at {at} with {sizes:?}");
            assert_eq!(report.total(), 1, "at {at}");
        }
    }
}

#[test]
fn jwt_and_pem_inside_a_long_json_line() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    let pem = r"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    let mut line = String::from("{\"msg\":\"");
    while line.len() < WINDOW - 40 {
        line.push_str("lorem ipsum ");
    }
    line.push_str(jwt);
    line.push(' ');
    line.push_str(pem);
    while line.len() < 3 * WINDOW {
        line.push_str("dolor sit ");
    }
    line.push_str("\"}\n");
    let (out, _) = run_chunked(&redactor(), line.as_bytes(), &[4096]);
    assert!(!contains(&out, "dozjgNryP4J3jVmNHl0w5N") && !contains(&out, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"));
}

#[test]
fn memory_stays_bounded_on_a_huge_line() {
    let redactor = redactor();
    let mut stream = redactor.stream("huge.log");
    let chunk = vec![b'a'; 1 << 16];
    let mut out = Vec::new();
    let (mut pushed, mut emitted) = (0usize, 0usize);
    for _ in 0..64 {
        stream.push(&chunk, &mut out).unwrap();
        pushed += chunk.len();
        emitted += out.len();
        out.clear();
        assert!(pushed - emitted <= WINDOW, "buffered {} bytes", pushed - emitted);
    }
    let mut report = RedactionReport::default();
    stream.finish(&mut out, &mut report).unwrap();
}

const PLANTED: &[&str] = &[
    "password=PropSecret0001",
    "AKIAPROPTEST0000ABCD",
    "ghp_PropTestGithubToken0123456789abcdefghij",
    "Authorization: Bearer PropBearer0123456789",
    "postgres://user:PropUrlPass77@db:5432/x",
    "eyJhbGciOiJIUzI1NiJ9.eyJwcm9wIjoidGVzdCJ9.PropJwtSignature0123",
    "{\"token\": \"PropJsonToken55\"}",
    "xoxb-1234567890-PropSlackToken",
];
const PLANTED_VALUES: &[&str] = &[
    "PropSecret0001",
    "AKIAPROPTEST0000ABCD",
    "ghp_PropTestGithubToken0123456789abcdefghij",
    "PropBearer0123456789",
    "PropUrlPass77",
    "PropJwtSignature0123",
    "PropJsonToken55",
    "PropSlackToken",
];

fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,40}",
        "[ -~]{0,30}",
        Just("\n".to_string()),
        Just("I1201 10:00:00.123 1 ctrl.go:42] synced pvc-6e9bf08b-0ccf-4a37-a2fd-551a7a7f531f\n".to_string()),
        Just("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n".to_string()),
        Just("x".repeat(70_000)),
    ]
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec((filler(), prop::option::of(0..PLANTED.len())), 1..12).prop_map(|parts| {
        let mut text = String::new();
        for (fill, planted) in parts {
            text.push_str(&fill);
            if let Some(index) = planted {
                // Secrets are separated from filler so that they keep their token boundaries.
                text.push(' ');
                text.push_str(PLANTED[index]);
                text.push(' ');
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunking_never_changes_output_and_never_leaks(
        text in document(),
        sizes in prop::collection::vec(1usize..100_000, 1..6),
    ) {
        let redactor = redactor();
        let (whole, _) = run_chunked(&redactor, text.as_bytes(), &[text.len().max(1)]);
        let (chunked, _) = run_chunked(&redactor, text.as_bytes(), &sizes);
        prop_assert!(whole == chunked, "chunking changed the output");
        for value in PLANTED_VALUES {
            prop_assert!(!contains(&chunked, value), "leaked {}", value);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096), size in 1usize..512) {
        let _ = run_chunked(&redactor(), &bytes, &[size]);
    }
}

#[test]
fn a_value_running_to_the_end_of_a_long_line_is_masked_whole() {
    let mut input = String::from("password: ");
    while input.len() < 3 * WINDOW {
        input.push_str("word secret-part ");
    }
    input.push_str("\nnext: line\n");
    for sizes in [&[input.len()][..], &[999]] {
        let (out, report) = run_chunked(&redactor(), input.as_bytes(), sizes);
        assert_eq!(String::from_utf8(out).unwrap(), "password: ***REDACTED:password***\nnext: line\n");
        assert_eq!(report.total(), 1);
    }
}

/// Issue 15 §5: an anchored user rule over a line longer than a window matches what it matches on the
/// whole line — once, not at every window start.
#[test]
fn anchored_user_rules_ignore_window_edges() {
    let dir = std::env::temp_dir().join(format!("mayadiag-anchored-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - name: whole-line\n    regex: '^DUMP (.*)$'\n    group: 1\n  - name: line-start\n    regex: '^word'\n",
    )
    .unwrap();
    let redactor = Redactor::new(&RedactOptions { user_config: Some(rules), ..RedactOptions::default() }).unwrap();
    let mut line = String::from("DUMP ");
    while line.len() < (1 << 20) {
        line.push_str("word abc ");
    }
    let input = format!("{line}\nword at start\n");
    for sizes in [&[input.len()][..], &[4096], &[65_537, 3]] {
        let (out, report) = run_chunked(&redactor, input.as_bytes(), sizes);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, "DUMP ***REDACTED:whole-line***\n***REDACTED:line-start*** at start\n", "sizes {sizes:?}");
        assert_eq!(report.per_rule()["whole-line"], 1);
        assert_eq!(report.per_rule()["line-start"], 1);
    }
    let _ = std::fs::remove_dir_all(dir);
}
