#!/usr/bin/env bash
# Independent check of redaction: collect the planted-secret fixture cluster through `serve`,
# unpack the bundle, and run Yelp's detect-secrets over every file. A finding fails the run when
# it is a planted secret (its hash matches one) or comes from a high-confidence detector (private
# keys, cloud and SaaS tokens, JWTs, basic-auth URLs). Entropy/keyword findings on redacted text
# are listed as false positives.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/mayadiag
[ -x "$bin" ] || cargo build --locked --quiet
work=$(mktemp -d)
trap 'kill ${serve_pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" serve tests/fixtures/clusters/secrets --port 0 --write-kubeconfig "$work/kc" > "$work/serve.out" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$work/kc" ] && break; sleep 0.1; done
"$bin" collect --kubeconfig "$work/kc" --app-logs --since 100000h --output "$work/bundle.tar.gz" > /dev/null
mkdir "$work/x"
tar xzf "$work/bundle.tar.gz" -C "$work/x"
(cd "$work/x" && detect-secrets scan --all-files . > "$work/scan.json")
python3 - "$work/scan.json" tests/fixtures/redaction/planted.txt <<'PY'
import hashlib, json, sys
scan = json.load(open(sys.argv[1]))
planted = {}
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    kind, _, value = line.partition("\t")
    planted[hashlib.sha1(value.encode()).hexdigest()] = kind
strong = {"AWS Access Key", "Private Key", "JSON Web Token", "GitHub Token", "GitLab Token", "Slack Token",
          "Stripe Access Key", "Twilio API Key", "SendGrid API Key", "NPM tokens", "Basic Auth Credentials",
          "Azure Storage Account access key", "Discord Bot Token", "Mailchimp Access Key", "Square OAuth Secret",
          "OpenAI Token", "PyPI upload token", "Telegram Bot Token", "IBM Cloud IAM Key", "Artifactory Credentials"}
real, weak = [], []
for path, findings in scan.get("results", {}).items():
    for f in findings:
        entry = f"{path}:{f.get('line_number')}: {f['type']}"
        if f.get("hashed_secret") in planted:
            real.append(entry + f" (planted {planted[f['hashed_secret']]})")
        elif f["type"] in strong:
            real.append(entry)
        else:
            weak.append(entry)
print(f"detect-secrets: {len(real)} real secret(s), {len(weak)} low-confidence finding(s) on redacted text")
for w in weak[:20]:
    print("  false positive:", w)
if real:
    for r in real:
        print("  LEAK:", r)
    sys.exit(1)
PY
