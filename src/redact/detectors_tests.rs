//! One positive and one negative case (at least) per built-in detector, through the public text API.

use crate::redact::{RedactOptions, RedactionReport, Redactor};

fn redact(text: &str) -> String {
    let redactor = Redactor::new(&RedactOptions::default()).unwrap();
    let mut report = RedactionReport::default();
    redactor.redact_text(text, "test", &mut report).unwrap()
}

/// `secret` must be gone and the mask of `rule` present.
fn assert_masked(text: &str, secret: &str, rule: &str) {
    let out = redact(text);
    assert!(!out.contains(secret), "{secret:?} leaked in {out:?}");
    assert!(out.contains(&format!("***REDACTED:{rule}***")), "no {rule} mask in {out:?}");
}

fn assert_untouched(text: &str) {
    assert_eq!(redact(text), text);
}

#[test]
fn pem_private_key_single_line_and_multi_line() {
    let escaped = r#"{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"}"#;
    assert_masked(escaped, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "pem-private-key");
    let block = "key follows\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\nafter\n";
    let out = redact(block);
    assert_eq!(out, "key follows\n***REDACTED:pem-private-key***\nafter\n");
    assert_masked(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
        "pem-private-key",
    );
}

#[test]
fn pem_certificates_are_kept() {
    assert_untouched(
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----\n",
    );
}

#[test]
fn jwt() {
    let jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXZhbHVlLWhlcmU";
    assert_masked(&format!("using {jwt} now\n"), jwt, "jwt");
    assert_untouched("eyJustAWord and eyJ. nothing\n");
}

#[test]
fn authorization_bearer_and_basic() {
    assert_masked("Authorization: Bearer abcDEF123456ghiJKL\n", "abcDEF123456ghiJKL", "authorization-header");
    assert_masked(
        "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='\n",
        "dXNlcjpwYXNzd29yZA==",
        "authorization-header",
    );
    assert_masked("sent bearer 9f8e7d6c5b4a39281716 to api\n", "9f8e7d6c5b4a39281716", "bearer-token");
    assert_masked("proxy sent basic YWRtaW46czNjcjN0 upstream\n", "YWRtaW46czNjcjN0", "basic-auth");
    assert_untouched("the client uses bearer authentication and basic authentication\n");
    assert_untouched("authorization failed for user\n");
}

#[test]
fn url_userinfo_for_any_scheme() {
    assert_masked("connecting to postgres://app:s3cretPw@db:5432/app\n", "s3cretPw", "url-userinfo");
    assert_masked("MONGO=mongodb+srv://root:Mongo%40pass@cluster0.example.net/db\n", "Mongo%40pass", "url-userinfo");
    assert_masked("amqp://guest:p@ss:w0rd@rabbit:5672/\n", "p@ss:w0rd", "url-userinfo");
    assert_untouched("GET http://10.0.0.1:9000/healthz and nvmf://10.1.0.5:8420/nqn.2019-05.io.openebs:pvc-1\n");
}

#[test]
fn connection_strings() {
    let azure = "DefaultEndpointsProtocol=https;AccountName=backups;AccountKey=q83vEXAMPLEkey+/abc0123456789==;EndpointSuffix=core.windows.net";
    assert_masked(azure, "q83vEXAMPLEkey+/abc0123456789==", "secret");
    assert!(redact(azure).contains("AccountName=backups"));
    assert_masked(
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=AbC123dEf456+/=",
        "AbC123dEf456+/=",
        "secret",
    );
    assert_masked(
        "Server=tcp:sql,1433;Database=app;User Id=sa;Password=Sq1Serv3r!;Encrypt=true",
        "Sq1Serv3r!",
        "password",
    );
    assert_masked("host=db user=app password=pgPass42 dbname=app", "pgPass42", "password");
}

#[test]
fn password_forms_json_yaml_ini_log() {
    assert_masked(r#"{"password": "js0nPass"}"#, "js0nPass", "password");
    assert_masked(r#"{\"password\":\"escaped99\"}"#, "escaped99", "password");
    assert_masked("  passwd: yamlPass\n", "yamlPass", "password");
    assert_masked("password = two words here\n", "two words here", "password");
    assert_masked("level=info msg=login user=bob password=logPass1 retry=1\n", "logPass1", "password");
    assert_masked("export DB_PASSWORD='shellPass'\n", "shellPass", "password");
    assert_masked("args: --db-password=flagPass9\n", "flagPass9", "password");
    assert_masked("mid-line pwd: Pa55word!\n", "Pa55word!", "password");
}

#[test]
fn password_prose_and_lookalikes_are_kept() {
    assert_untouched("Please enter your password to continue.\n");
    assert_untouched("failed to refresh token: context deadline exceeded\n");
    assert_untouched("the password: it must be long\n");
    assert_untouched("tokenizer=fast keyboard=us monkey=island\n");
    assert_untouched(
        "I1201 10:00:00.000000 1 controller.go:99] \"synced\" key=\"openebs/pvc-6e9bf08b-0ccf-4a37-a2fd-551a7a7f531f\"\n",
    );
    assert_untouched("secretName: my-tls\ntokenExpirationSeconds: 3600\npassword: true\n");
    assert_untouched("E1201 auth.go:123] token_manager.go:201] ok\n");
    assert_untouched("password=${DB_PASSWORD}\n");
}

#[test]
fn aws_keys() {
    assert_masked("using AKIAIOSFODNN7EXAMPLE for s3\n", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id");
    assert_masked("ASIAY34FZKBOKMUTVV7A\n", "ASIAY34FZKBOKMUTVV7A", "aws-access-key-id");
    assert_masked(
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "secret",
    );
    assert_untouched("AKIA is a prefix; AKIAshort\n");
}

#[test]
fn kubeconfig_token_and_client_key() {
    let kubeconfig = "users:\n- name: admin\n  user:\n    token: kubeTok3nValue\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n";
    let out = redact(kubeconfig);
    assert!(!out.contains("kubeTok3nValue") && !out.contains("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo="), "{out}");
    assert!(out.contains("client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="), "{out}");
}

#[test]
fn well_known_token_shapes() {
    let cases = [
        ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github-token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github-token"),
        ("glpat-xYz12345AbCdEfGhIjKl", "gitlab-token"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "slack-token"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        ("rk_live_51H8exampleRestrictedKey00", "stripe-key"),
        ("SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", "sendgrid-key"),
        ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm-token"),
        ("ya29.a0AfH6SMBexampleOAuthAccessToken123", "google-oauth-token"),
        ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "google-api-key"),
        ("SK0123456789abcdef0123456789abcdef", "twilio-key"),
        ("AC0123456789abcdef0123456789abcdef", "twilio-key"),
    ];
    for (token, rule) in cases {
        assert_masked(&format!("value {token} end\n"), token, rule);
    }
    assert_masked("post https://hooks.slack.com/services/T000/B000/XXXXXXXX\n", "T000/B000/XXXXXXXX", "slack-webhook");
    assert_masked("GET /cb?access_token=oauthTok123&state=1\n", "oauthTok123", "token");
    assert_masked(r#"{"refresh_token": "1//0refresh"}"#, "1//0refresh", "token");
}

#[test]
fn token_shape_negatives() {
    assert_untouched("ghp_short sk_live_ npm_x SG.a.b xoxb- glpat-x\n");
    assert_untouched("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n");
    assert_untouched("checksum 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
}

#[test]
fn yaml_env_pairs_and_block_scalars() {
    let env = "env:\n  - name: DB_PASSWORD\n    value: yamlEnvSecret\n  - name: LOG_LEVEL\n    value: debug\n";
    let out = redact(env);
    assert!(!out.contains("yamlEnvSecret") && out.contains("value: debug"), "{out}");
    let pretty = "{\n  \"name\": \"ACCESS_KEY\",\n  \"value\": \"prettyJsonSecret\"\n}\n";
    assert_masked(pretty, "prettyJsonSecret", "env-secret");
    assert_masked(r#"[{"name":"JWT_SECRET","value":"oneLineEnv"}]"#, "oneLineEnv", "env-secret");
    let block = "db:\n  password: |\n    first-line-secret\n    second-line-secret\n  host: db\n";
    let out = redact(block);
    assert!(!out.contains("first-line-secret") && !out.contains("second-line-secret"), "{out}");
    assert!(out.contains("host: db"), "{out}");
}

#[test]
fn already_redacted_text_is_stable() {
    let once = redact("password=hunter22 Authorization: Bearer abcDEF123456ghiJKL\n");
    assert_eq!(redact(&once), once);
}

#[test]
fn trigram_prefilter_agrees_with_a_naive_search() {
    let builtins = super::Builtins::new();
    let naive = |text: &[u8]| {
        (0..text.len()).find(|&offset| {
            super::TRIGGERS.iter().any(|(word, _)| {
                text[offset..].get(..word.len()).is_some_and(|here| here.eq_ignore_ascii_case(word.as_bytes()))
            })
        })
    };
    let texts = [
        "nothing here at all",
        "the PassWord is",
        "x://y",
        "ends with toKEN",
        "ke",
        "",
        "-----BEGIN",
        "created secondary resources sg. xo",
        "prefix eYj",
        "AUTHORIZATION",
    ];
    for text in texts {
        assert_eq!(builtins.first_trigger(text.as_bytes()), naive(text.as_bytes()), "{text:?}");
    }
}

proptest::proptest! {
    #[test]
    fn trigram_prefilter_never_misses_a_trigger(
        prefix in "[a-zA-Z0-9:/._ -]{0,20}",
        word in 0..super::TRIGGERS.len(),
        upper in proptest::collection::vec(proptest::bool::ANY, 16),
        suffix in "[a-zA-Z0-9:/._ -]{0,20}",
    ) {
        let builtins = super::Builtins::new();
        let trigger: String = super::TRIGGERS[word].0.chars().zip(upper.iter().cycle())
            .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c }).collect();
        let text = format!("{prefix}{trigger}{suffix}");
        let found = builtins.first_trigger(text.as_bytes());
        proptest::prop_assert!(found.is_some_and(|offset| offset <= prefix.len()), "{} -> {:?}", text, found);
    }
}
