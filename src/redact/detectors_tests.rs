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

#[test]
fn sql_statements_as_databases_log_them() {
    for (line, secret) in [
        ("LOG:  statement: ALTER USER billing WITH PASSWORD 'Pw0rd-alter';", "Pw0rd-alter"),
        ("statement: CREATE ROLE r LOGIN ENCRYPTED PASSWORD 'md5abcdef123';", "md5abcdef123"),
        ("Query\tCREATE USER 'app'@'%' IDENTIFIED BY 'it''s-Secret1'", "it''s-Secret1"),
        ("CREATE USER 'a'@'%' IDENTIFIED WITH mysql_native_password BY 'NativePw9';", "NativePw9"),
        ("Query\tSET PASSWORD FOR 'app'@'%' = 'SetPw_77'", "SetPw_77"),
        ("SET PASSWORD = PASSWORD('OldStyle42')", "OldStyle42"),
        ("ALTER USER scott IDENTIFIED BY Tiger42;", "Tiger42"),
    ] {
        assert_masked(line, secret, "sql-password");
    }
    assert_untouched("LOG:  statement: SELECT * FROM users WHERE id = 4\n");
    // JSON, TOML and JAAS forms are not SQL: they keep their structure and the key rule's name.
    assert_eq!(redact(r#"{"password": "Lj0abc123"}"#), r#"{"password": "***REDACTED:password***"}"#);
    assert_eq!(redact("password = \"To0abc123\"\n"), "password = \"***REDACTED:password***\"\n");
    assert_eq!(redact("  password=\"Jp0abc123\"\n"), "  password=\"***REDACTED:password***\"\n");
    assert_untouched("password authentication failed for user \"billing\"\n");
}

#[test]
fn mongo_shell_credentials() {
    assert_masked(r#"db.createUser({user: "app", pwd: "changeme", roles: ["readWrite"]})"#, "changeme", "password");
    assert_masked(r#"db.auth("admin", "MongoAuth1")"#, "MongoAuth1", "mongo-auth");
    assert_untouched("db.getUsers()\n");
}

#[test]
fn auth_directives_in_conf_files_and_their_echo() {
    assert_masked("bind 0.0.0.0\nrequirepass foobared\n", "foobared", "conf-directive");
    assert_masked("masterauth \"quoted-Secret1\"\n", "quoted-Secret1", "conf-directive");
    assert_masked("    auth_pass Kp4x9\n", "Kp4x9", "conf-directive");
    assert_masked("rootpw {SSHA}abcdefgh12345678\n", "{SSHA}abcdefgh12345678", "conf-directive");
    assert_masked(
        r#"1733044447.1 [0 10.0.0.1:5000] "CONFIG" "SET" "requirepass" "EchoPw123""#,
        "EchoPw123",
        "conf-directive",
    );
    assert_masked("running: mysqladmin -u root --password CliPw9x status", "CliPw9x", "conf-directive");
    assert_masked("machine api.github.com login ci password NetrcPw1\n", "NetrcPw1", "netrc");
    // Prose and references stay.
    assert_untouched("Password incorrect\n");
    assert_untouched("token expired\n");
    assert_untouched("aclfile /etc/redis/users.acl\nappendonly yes\n");
    assert_untouched("requirepass_file /run/secrets/redis\n");
}

#[test]
fn jaas_entries() {
    let jaas = "KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n  username=\"admin\"\n  password=\"JaasPw1\"\n  user_admin=\"JaasAdmin2\"\n  user_alice=\"JaasAlice3\";\n};\n";
    let out = redact(jaas);
    for secret in ["JaasPw1", "JaasAdmin2", "JaasAlice3"] {
        assert!(!out.contains(secret), "{out}");
    }
    assert!(out.contains("username=\"admin\"") && out.contains("***REDACTED:jaas-user***"), "{out}");
    assert_untouched("user_agent=\"Mozilla/5.0\" user_id=\"42\"\n");
}

#[test]
fn headers_cookies_and_dict_reprs() {
    assert_masked("> X-Api-Key: a8F3kLm92QxZ7pWv\n", "a8F3kLm92QxZ7pWv", "secret");
    let out = redact("> Cookie: session=SessVal123abc; theme=dark\n");
    assert!(!out.contains("SessVal123abc") && out.contains("Cookie: session=***REDACTED:cookie***"), "{out}");
    let out = redact("< Set-Cookie: sid=Sid0987zyx; Path=/; HttpOnly; Secure\n");
    assert_eq!(out, "< Set-Cookie: sid=***REDACTED:cookie***; Path=/; HttpOnly; Secure\n");
    let dict =
        "headers={'Authorization': 'Token 9f8e7d6c5b4a', 'X-Auth-Token': 'XAuthTok42', 'Accept': 'application/json'}\n";
    let out = redact(dict);
    assert!(
        !out.contains("9f8e7d6c5b4a") && !out.contains("XAuthTok42") && out.contains("'Accept': 'application/json'"),
        "{out}"
    );
    assert_masked(r#"{"headers": {"x-api-key": "JsonHdrKey77", "accept": "*/*"}}"#, "JsonHdrKey77", "secret");
}

#[test]
fn smtp_auth_base64_traces() {
    let trace = "C: AUTH PLAIN AGFsZXJ0c0BleGFtcGxlLmNvbQBTbVB3MTIzNA==\nS: 235 ok\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: YWxlcnRzQGV4YW1wbGUuY29t\nS: 334 UGFzc3dvcmQ6\nC: U2xQdzEyMzQ1Ng==\nS: 235 2.7.0 Authentication successful\n";
    let out = redact(trace);
    for secret in ["AGFsZXJ0c0BleGFtcGxlLmNvbQBTbVB3MTIzNA==", "YWxlcnRzQGV4YW1wbGUuY29t", "U2xQdzEyMzQ1Ng=="] {
        assert!(!out.contains(secret), "{out}");
    }
    assert!(out.contains("S: 334 UGFzc3dvcmQ6\n") && out.contains("S: 235 2.7.0 Authentication successful"), "{out}");
    assert_untouched("S: 250-AUTH PLAIN LOGIN\n");
}

#[test]
fn key_named_values_are_masked_when_they_look_random() {
    assert_masked(
        "routing_key: 5f2c7a9e1b3d4f6a8c0e2b4d6f8a0c1e\n",
        "5f2c7a9e1b3d4f6a8c0e2b4d6f8a0c1e",
        "high-entropy-key",
    );
    assert_masked("MONGODB_REPLICA_SET_KEY=Zx81Qp0LmN4vB7cR2tY6uW9e\n", "Zx81Qp0LmN4vB7cR2tY6uW9e", "secret");
    assert_masked("salt=Qw3rtY7uIo9pAs1d rounds=12", "Qw3rtY7uIo9pAs1d", "secret");
    assert_masked(
        "posting to https://acme.webhook.office.com/webhookb2/Ab12Cd34Ef56Gh78",
        "Ab12Cd34Ef56Gh78",
        "webhook-url",
    );
    // Not random, or not a secret: kept.
    assert_untouched("dedup_key=incident-42 routing: default keyspace: orders\n");
    assert_untouched("partition_key=6e9bf08b-0ccf-4a37-a2fd-551a7a7f531f\n");
    assert_untouched(
        "ssh_public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
    );
    assert_untouched("role_arn = arn:aws:iam::123456789012:role/velero\nregion = eu-west-1\n");
}
