#!/usr/bin/env bash
# Second independent check of redaction, beside detect-secrets: collect the planted-secret fixture
# cluster through `serve` (with --app-logs, so every log path runs), unpack the bundle and run
# secretlint (npm, @secretlint/secretlint-rule-preset-recommend) over every file. The run fails when
# secretlint reports anything on a line that still holds a planted value, or when a planted value (or
# its base64 form) is anywhere in the bundle: the scanner's own findings on masked text are listed
# as false positives. Install: see .ci/run (`npm install --prefix ~/.cache/mayadiag-secretlint ...`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/mayadiag
[ -x "$bin" ] || cargo build --locked --quiet
secretlint=${SECRETLINT_BIN:-$(command -v secretlint || echo "$HOME/.cache/mayadiag-secretlint/node_modules/.bin/secretlint")}
if [ ! -x "$secretlint" ]; then
    echo "secretlint not found: npm install --prefix ~/.cache/mayadiag-secretlint secretlint @secretlint/secretlint-rule-preset-recommend" >&2
    exit 1
fi
preset_dir=$(cd "$(dirname "$(readlink -f "$secretlint")")/../.." && pwd)
work=$(mktemp -d)
trap 'kill ${serve_pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" serve tests/fixtures/clusters/secrets --port 0 --write-kubeconfig "$work/kc" > "$work/serve.out" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$work/kc" ] && break; sleep 0.1; done
"$bin" collect --kubeconfig "$work/kc" --app-logs --since 100000h --output "$work/bundle.tar.gz" > /dev/null 2> "$work/collect.err"
mkdir "$work/x"
tar xzf "$work/bundle.tar.gz" -C "$work/x"
printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' > "$work/secretlintrc.json"
# secretlint exits 1 when it finds something; the verdict is ours (below).
(cd "$work/x" && NODE_PATH="$preset_dir" "$secretlint" --secretlintrc "$work/secretlintrc.json" \
    --format json --no-color "**/*" > "$work/scan.json" 2> "$work/scan.err") || true
# The scanner must see secrets where there are some: the unredacted fixture is scanned too.
(cd tests/fixtures/clusters/secrets && NODE_PATH="$preset_dir" "$secretlint" --secretlintrc "$work/secretlintrc.json" \
    --format json --no-color "**/*" > "$work/raw.json" 2>/dev/null) || true
raw_findings=$(python3 -c 'import json,sys; print(sum(len(r.get("messages", [])) for r in json.load(open(sys.argv[1]))))' "$work/raw.json" 2>/dev/null || echo 0)
if [ "$raw_findings" -lt 5 ]; then
    echo "secretlint found only $raw_findings secret(s) in the unredacted fixture: the scanner is not working" >&2
    exit 1
fi
echo "secretlint: $raw_findings finding(s) in the unredacted fixture (scanner works)"
if [ ! -s "$work/scan.json" ]; then
    echo "secretlint produced no report:" >&2
    cat "$work/scan.err" >&2
    exit 1
fi
python3 - "$work/scan.json" "$work/x" tests/fixtures/redaction/planted.txt <<'PY'
import base64, json, os, sys
scan = json.load(open(sys.argv[1]))
root = sys.argv[2]
planted = []
for line in open(sys.argv[3], encoding="utf-8"):
    line = line.rstrip("\n")
    if line and not line.startswith("#"):
        kind, _, value = line.partition("\t")
        planted.append((kind, value, base64.b64encode(value.encode()).decode().rstrip("=")))
real, weak, files = [], [], 0
for result in scan:
    path = result.get("filePath", "")
    files += 1
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    except OSError:
        lines = []
    for message in result.get("messages", []):
        line_no = message.get("loc", {}).get("start", {}).get("line", 0)
        text = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        hit = [kind for kind, value, encoded in planted if value in text or encoded in text]
        entry = f"{os.path.relpath(path, root)}:{line_no}: {message.get('ruleId')}"
        (real if hit else weak).append(entry + (f" (planted {', '.join(hit)})" if hit else ""))
# Belt and braces: a planted value anywhere in the bundle is a leak even if secretlint has no rule for it.
for dirpath, _, names in os.walk(root):
    for name in names:
        data = open(os.path.join(dirpath, name), encoding="utf-8", errors="replace").read()
        for kind, value, encoded in planted:
            if value in data or encoded in data:
                real.append(f"{os.path.relpath(os.path.join(dirpath, name), root)}: planted {kind} in clear")
print(f"secretlint: {files} file(s) scanned in the redacted bundle, {len(real)} real secret(s), {len(weak)} finding(s) on redacted text")
for w in weak[:20]:
    print("  false positive:", w)
if real:
    for r in real:
        print("  LEAK:", r)
    sys.exit(1)
PY
