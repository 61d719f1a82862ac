#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Seed acceptance scenario against a running invoice-app (the original challenge's check, kept wire-compatible):
#   1. wait until GET /readyz answers 200 (deadline),
#   2. GET /invoices must list at least one unpaid invoice ({InvoiceId, Value, Currency, IsPaid}),
#   3. POST /invoices/pay must answer 2xx (payment may be asynchronous),
#   4. poll GET /invoices until every invoice IsPaid (deadline).
# Exit 0 on success; non-zero with a one-line reason otherwise. Needs curl and node (for JSON).
#
#   scripts/e2e.sh                                  against http://localhost:8081 (Skaffold's port-forward)
#   scripts/e2e.sh --url http://127.0.0.1:18081     any other address (E2E_URL)
#
# Options (flag or environment variable):
#   --url URL             E2E_URL                  default http://localhost:8081
#   --ready-timeout SEC   E2E_READY_TIMEOUT        wait for /readyz, default 120
#   --pay-timeout SEC     E2E_PAY_TIMEOUT          wait until all invoices are paid, default 60
#   --interval SEC        E2E_POLL_INTERVAL        between polls, default 1 (fractions allowed)
#   --request-timeout SEC E2E_REQUEST_TIMEOUT      per HTTP request, default 5
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

URL=${E2E_URL:-http://localhost:8081}
READY_TIMEOUT=${E2E_READY_TIMEOUT:-120}
PAY_TIMEOUT=${E2E_PAY_TIMEOUT:-60}
INTERVAL=${E2E_POLL_INTERVAL:-1}
REQUEST_TIMEOUT=${E2E_REQUEST_TIMEOUT:-5}

usage() { awk 'NR > 1 && /^#/ { if ($0 !~ /^# shellcheck/) { sub(/^# ?/, ""); print }; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
fail() {
  log_error "e2e FAILED: $*"
  exit 1
}
need_value() { [[ $# -ge 2 && -n "$2" ]] || fail "$1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) need_value "$@" && URL=$2 && shift ;;
    --ready-timeout) need_value "$@" && READY_TIMEOUT=$2 && shift ;;
    --pay-timeout) need_value "$@" && PAY_TIMEOUT=$2 && shift ;;
    --interval) need_value "$@" && INTERVAL=$2 && shift ;;
    --request-timeout) need_value "$@" && REQUEST_TIMEOUT=$2 && shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) fail "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

URL=${URL%/}
[[ "$URL" =~ ^https?:// ]] || fail "URL must start with http:// or https://, got '$URL'"
for n in "$READY_TIMEOUT" "$PAY_TIMEOUT"; do
  [[ "$n" =~ ^[0-9]+$ ]] || fail "timeouts are whole seconds, got '$n'"
done
[[ "$INTERVAL" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "interval must be a number of seconds, got '$INTERVAL'"
[[ "$REQUEST_TIMEOUT" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "request timeout must be seconds, got '$REQUEST_TIMEOUT'"
have curl || fail "curl is required"
have node || fail "node is required (it parses the JSON answers)"

BODY_FILE=$(mktemp)
trap 'rm -f "$BODY_FILE"' EXIT

# http <method> <path> -> prints the status code ("000" when no HTTP answer); the body goes to $BODY_FILE.
http() {
  local code
  code=$(curl -sS -o "$BODY_FILE" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT" -X "$1" \
    -H 'Accept: application/json' "$URL$2" 2>/dev/null) || true
  echo "${code:-000}"
}

body_excerpt() { head -c 300 "$BODY_FILE" | tr '\n' ' '; }

# Checks the wire format of GET /invoices and prints "<total> <unpaid> <comma-separated unpaid ids>".
# Exit 2 with a reason on stderr when the body is not the documented shape.
summarize_invoices() {
  node -e '
    const fs = require("node:fs");
    const text = fs.readFileSync(process.argv[1], "utf8");
    const bad = (why) => { process.stderr.write(why + "\n"); process.exit(2); };
    let data;
    try { data = JSON.parse(text); } catch { bad("GET /invoices did not return JSON: " + text.slice(0, 200)); }
    if (!Array.isArray(data)) bad("GET /invoices must return a JSON array, got: " + text.slice(0, 200));
    const shape = { InvoiceId: "string", Value: "number", Currency: "string", IsPaid: "boolean" };
    for (const inv of data) {
      for (const [key, type] of Object.entries(shape)) {
        if (inv === null || typeof inv !== "object" || typeof inv[key] !== type) {
          bad("invoice without " + key + " (" + type + "): " + JSON.stringify(inv));
        }
      }
    }
    const unpaid = data.filter((inv) => !inv.IsPaid).map((inv) => inv.InvoiceId);
    console.log(data.length + " " + unpaid.length + " " + (unpaid.join(",") || "-"));
  ' "$BODY_FILE"
}

list_invoices() {
  local code
  code=$(http GET /invoices)
  [[ "$code" == 200 ]] || fail "GET $URL/invoices answered HTTP $code: $(body_excerpt)"
  summarize_invoices || fail "GET $URL/invoices returned an unexpected body"
}

log_step "e2e against $URL"

# 1. readiness
start=$SECONDS
code=000
while true; do
  code=$(http GET /readyz)
  [[ "$code" == 200 ]] && break
  if ((SECONDS - start >= READY_TIMEOUT)); then
    if [[ "$code" == 000 ]]; then
      fail "invoice-app at $URL did not answer within ${READY_TIMEOUT}s (no HTTP response)." \
        "Is \`make dev\` running (it port-forwards localhost:8081)? Or set E2E_URL."
    fi
    fail "invoice-app at $URL is not ready after ${READY_TIMEOUT}s: GET /readyz answered HTTP $code: $(body_excerpt)"
  fi
  sleep "$INTERVAL"
done
log_ok "ready after $((SECONDS - start))s"

# 2. at least one unpaid invoice
summary=$(list_invoices) || exit 1 # list_invoices already said why
read -r total unpaid unpaid_ids <<<"$summary"
if ((total == 0)); then
  fail "GET /invoices returned no invoices; the scenario needs the seed data (I1, I2, I3)."
fi
if ((unpaid == 0)); then
  fail "all $total invoices are already paid, so paying proves nothing; redeploy for fresh seed data" \
    "(make clean && make dev)."
fi
log_ok "$total invoices, $unpaid unpaid: $unpaid_ids"

# 3. pay
code=$(http POST /invoices/pay)
[[ "$code" =~ ^2[0-9][0-9]$ ]] || fail "POST $URL/invoices/pay answered HTTP $code: $(body_excerpt)"
log_ok "POST /invoices/pay -> HTTP $code"

# 4. poll until everything is paid
start=$SECONDS
while true; do
  summary=$(list_invoices) || exit 1
  read -r total unpaid unpaid_ids <<<"$summary"
  if ((unpaid == 0)); then
    log_ok "all $total invoices paid after $((SECONDS - start))s"
    break
  fi
  if ((SECONDS - start >= PAY_TIMEOUT)); then
    fail "$unpaid of $total invoices still unpaid ${PAY_TIMEOUT}s after POST /invoices/pay: $unpaid_ids." \
      "Check the payment flow: kubectl logs -n invoicing deploy/invoice-app; kubectl logs -n payments deploy/payment-provider"
  fi
  sleep "$INTERVAL"
done

printf 'e2e PASSED: %s invoices paid via %s\n' "$total" "$URL"
