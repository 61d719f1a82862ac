#!/usr/bin/env bash
# Container images, built and run hardened with podman: the CI check behind `npm run test:containers`.
#
#   scripts/containers/test.sh                 # as root on Debian 12; installs podman/buildah/runc if missing
#   SKIP_BUILD=1 scripts/containers/test.sh    # reuse the images of a previous run (smoke test only)
#
# 1. tools: podman, buildah, runc, busybox-static, curl from apt when missing; podman always runs with the project's
#    containers.conf (runc, host-compatible ulimits) through CONTAINERS_CONF.
# 2. base images: synthesized locally under the names the Dockerfiles use (no registry is reachable).
# 3. builds (--pull=never): `release` and `dev` of both services; image sizes and application layer sizes.
# 4. release image checks: configured user is numeric 65532 (not root, not a name), no shell, only the bundle and
#    PGlite under /app, runs as 65532 by default, PGlite (the bundle's external) importable on a read-only root.
# 5. smoke test: a throwaway PostgreSQL (own data dir in a temp dir) listening only on the gateway of a podman network
#    created for this run, one database per service; both release images on that network with the manifests'
#    hardening (uid 65532, read-only root, tmpfs /tmp only, all capabilities dropped, no-new-privileges),
#    payment-provider reached by name; then list invoices, pay, poll until paid, check the provider ledger, and
#    stop both with SIGTERM (graceful exit expected).
# 6. dev image: files synced like Skaffold does (a tar stream extracted by the runtime user) and the changed
#    behaviour served by `tsx watch` without a rebuild or a container restart.
# Everything it starts (containers, network, PostgreSQL, temp files) is removed on exit, also on failure.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=build.sh
. "$CONTAINERS_DIR/build.sh"

READY_DEADLINE_S=${READY_DEADLINE_S:-120}
PAY_DEADLINE_S=${PAY_DEADLINE_S:-60}
RELOAD_DEADLINE_S=${RELOAD_DEADLINE_S:-60}
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-25}
SERVICE_LOG_LEVEL=${SERVICE_LOG_LEVEL:-info} # LOG_LEVEL of the services in the smoke test (debug to diagnose)

OWNER_LABEL=io.invoicing.smoke-owner-pid # on every container and network this script creates
RUN=invoicing-smoke-$$
NET=$RUN
WORK=""
PG_BIN="" PG_DATA=""
declare -a TIMINGS=()
timing() { TIMINGS+=("$(printf '%-50s %7s s' "$1" "$2")"); }

# ---- cleanup ------------------------------------------------------------------------------------------------------
dump_logs() {
  local ctr
  for ctr in $(podman ps -a --filter "label=$OWNER_LABEL=$$" --format '{{.Names}}' 2>/dev/null); do
    printf '\n----- last log lines of container %s -----\n' "$ctr" >&2
    podman logs --tail 40 "$ctr" >&2 2>&1 || true
  done
  if [ -n "$PG_DATA" ] && [ -f "$WORK/pg/postgres.log" ]; then
    printf '\n----- last lines of the PostgreSQL log -----\n' >&2
    tail -n 20 "$WORK/pg/postgres.log" >&2 || true
  fi
}

remove_owned() { # <pid>: containers, then networks, labelled as created by that run
  local pid=$1 ids
  ids=$(podman ps -a -q --filter "label=$OWNER_LABEL=$pid" 2>/dev/null || true)
  # shellcheck disable=SC2086 # word splitting of the id list is intended
  [ -z "$ids" ] || podman rm -f -t 0 $ids >/dev/null 2>&1 || true
  ids=$(podman network ls -q --filter "label=$OWNER_LABEL=$pid" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$ids" ] || podman network rm -f $ids >/dev/null 2>&1 || true
}

stop_postgres() { # <pg bin dir> <data dir>
  [ -n "$1" ] && [ -f "$2/postmaster.pid" ] || return 0
  runuser -u postgres -- "$1/pg_ctl" -D "$2" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ "$rc" -eq 0 ] || dump_logs
  log "cleaning up (containers, network, PostgreSQL, temp files of run $$)"
  remove_owned $$
  stop_postgres "$PG_BIN" "$PG_DATA"
  [ -z "$WORK" ] || rm -rf "$WORK"
  if [ "$rc" -eq 0 ]; then log "container tests passed"; else log "container tests FAILED (exit $rc)"; fi
  exit "$rc"
}

# Leftovers of runs that were killed before their trap ran (the owner pid no longer exists).
remove_stale() {
  local pid dir
  for pid in $( (podman ps -a --filter "label=$OWNER_LABEL" --format "{{ index .Labels \"$OWNER_LABEL\" }}" &&
    podman network ls --filter "label=$OWNER_LABEL" --format "{{ index .Labels \"$OWNER_LABEL\" }}") 2>/dev/null | sort -u); do
    if [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null; then continue; fi
    log "removing leftovers of an earlier run (pid $pid)"
    remove_owned "$pid"
  done
  for dir in /tmp/invoicing-smoke.*; do
    [ -f "$dir/owner.pid" ] || continue
    pid=$(cat "$dir/owner.pid")
    ! kill -0 "$pid" 2>/dev/null || continue
    stop_postgres "$(cat "$dir/pg-bin" 2>/dev/null || true)" "$dir/pg/data"
    rm -rf "$dir"
  done
}

# ---- helpers ------------------------------------------------------------------------------------------------------
# json_eval <js expression over `d`> < json: prints the result (strings raw, anything else as JSON).
json_eval() {
  node -e '
    let s = "";
    process.stdin.on("data", (c) => (s += c)).on("end", () => {
      let d;
      try { d = JSON.parse(s); } catch { console.error("not JSON: " + s.slice(0, 300)); process.exit(2); }
      const r = new Function("d", "return (" + process.argv[1] + ");")(d);
      process.stdout.write(typeof r === "string" ? r : JSON.stringify(r));
    });' "$1"
}

random_secret() { head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "${1:-32}"; }

host_port() { # <container> <container port> -> the 127.0.0.1 port it is published on
  local mapping
  mapping=$(podman port "$1" "$2/tcp" | head -n 1)
  printf '%s' "${mapping##*:}"
}

# podman run, minus one harmless line aardvark-dns prints when no syslog socket exists (CI machines, containers).
podman_run() { podman run "$@" 2> >(grep -v '^failed to connect to syslog' >&2); }

container_running() { [ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

# wait_http <container> <url> [grep pattern] [deadline s]: polls until the URL answers 2xx (and matches); fails if the
# container exits or the deadline (default READY_DEADLINE_S) passes.
wait_http() {
  local ctr=$1 url=$2 pattern=${3:-} limit=${4:-$READY_DEADLINE_S} body
  local deadline=$((SECONDS + limit))
  while :; do
    container_running "$ctr" || die "container $ctr exited before $url answered (logs below)"
    if body=$(curl -fsS --max-time 2 "$url" 2>/dev/null) && { [ -z "$pattern" ] || grep -q -- "$pattern" <<<"$body"; }; then
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] ||
      die "$url did not answer 2xx ${pattern:+containing \"$pattern\" }within ${limit}s (last answer: ${body:-none})"
    sleep 0.2
  done
}

# ---- release image checks -----------------------------------------------------------------------------------------
check_release_image() { # <service>
  local service=$1 ref user listing unexpected ctr
  ref=$(image_ref "$service" release)
  user=$(podman image inspect --format '{{.Config.User}}' "$ref")
  case $user in
    65532 | 65532:65532) ;;
    "" | 0 | 0:* | root | root:*) die "$ref runs as root (USER '${user}'); the release image must declare USER 65532:65532" ;;
    *[!0-9:]*) die "$ref declares USER '$user', a name: Kubernetes cannot verify runAsNonRoot against it; use USER 65532:65532" ;;
    *) die "$ref declares USER '$user'; expected the numeric nonroot uid 65532 (USER 65532:65532)" ;;
  esac
  # The root filesystem's file list: no shell, only the bundle and the one external package under /app, no npm cache,
  # npmrc or env files anywhere.
  ctr=$(podman create --pull=never --label "$OWNER_LABEL=$$" "$ref")
  listing=$(podman export "$ctr" | tar -tf -) || die "podman export of $ref failed"
  podman rm "$ctr" >/dev/null
  local shells
  shells=$(grep -E '^(\./)?(usr/)?(local/)?s?bin/(sh|bash|dash|ash|busybox)$' <<<"$listing" || true)
  [ -z "$shells" ] || die "$ref contains a shell ($(tr '\n' ' ' <<<"$shells")); the release image must be distroless"
  unexpected=$(grep -E '^(\./)?app/' <<<"$listing" | sed 's|^\./||' |
    grep -Ev '^app/$|^app/dist/|^app/node_modules/$|^app/node_modules/@electric-sql/$|^app/node_modules/@electric-sql/pglite/' || true)
  [ -z "$unexpected" ] || die "$ref has unexpected files under /app: $(head -n 5 <<<"$unexpected" | tr '\n' ' ')"
  grep -q -E '^(\./)?app/dist/main\.js$' <<<"$listing" || die "$ref has no /app/dist/main.js"
  ! grep -q -E '(^|/)\.npmrc$|(^|/)\.npm/|(^|/)\.env$' <<<"$listing" || die "$ref contains npm cache/config or .env files"
  log "$ref: USER $user, no shell, /app holds only dist/ and PGlite"
}

# The image's own user at run time (no --user), and the bundle's one external package (PGlite, loaded only when
# DATABASE_URL is unset) importable on a read-only root.
check_release_runtime() { # <service>
  local ref out
  ref=$(image_ref "$1" release)
  # shellcheck disable=SC2016 # JavaScript, not shell
  out=$(podman run --rm --pull=never --network none --read-only --read-only-tmpfs=false --tmpfs "/tmp:rw,nosuid,nodev,size=64m" \
    --cap-drop ALL --security-opt no-new-privileges "$ref" --input-type=module \
    -e 'const { PGlite } = await import("@electric-sql/pglite"); console.log(`${process.getuid()}:${process.getgid()} ${typeof PGlite}`);' 2>&1) ||
    die "$ref cannot import @electric-sql/pglite (the bundle's external) on a read-only root: $out"
  [ "$out" = "65532:65532 function" ] || die "$ref runs as uid:gid ${out%% *} by default (expected 65532:65532) or lacks PGlite: $out"
  log "$ref: runs as 65532:65532 by default, PGlite importable on a read-only root"
}

# ---- PostgreSQL on the podman network's gateway -------------------------------------------------------------------
start_postgres() { # <gateway ip> <subnet>
  local gateway=$1 subnet=$2 port
  PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/postgres" ]; then
    apt_install postgresql
    PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
  fi
  id postgres >/dev/null 2>&1 || die "no 'postgres' system user (PostgreSQL packages from apt create it)"
  printf '%s' "$PG_BIN" >"$WORK/pg-bin"
  mkdir -p "$WORK/pg/sock"
  chown -R postgres:postgres "$WORK/pg"
  chmod 700 "$WORK/pg" "$WORK/pg/sock"
  PG_DATA=$WORK/pg/data
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null ||
    die "initdb failed"
  # Superuser only over the socket in our temp dir; each service's role only to its own database, from the network.
  cat >"$PG_DATA/pg_hba.conf" <<EOF
local all postgres trust
host invoices invoice_app $subnet scram-sha-256
host invoices_dev invoice_app $subnet scram-sha-256
host payments payment_provider $subnet scram-sha-256
EOF
  for port in $(seq 25432 25462); do
    ss -Hltn "sport = :$port" | grep -q . || break
  done
  PG_PORT=$port
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/postgres.log" -w -t 30 \
    -o "-c listen_addresses=$gateway -c port=$PG_PORT -c unix_socket_directories=$WORK/pg/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || die "PostgreSQL did not start on $gateway:$PG_PORT (log below)"
  INVOICE_DB_PASSWORD=$(random_secret 32)
  PAYMENT_DB_PASSWORD=$(random_secret 32)
  runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$WORK/pg/sock" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF ||
CREATE ROLE invoice_app LOGIN PASSWORD '$INVOICE_DB_PASSWORD';
CREATE ROLE payment_provider LOGIN PASSWORD '$PAYMENT_DB_PASSWORD';
CREATE DATABASE invoices OWNER invoice_app;
CREATE DATABASE invoices_dev OWNER invoice_app;
CREATE DATABASE payments OWNER payment_provider;
EOF
    die "creating the databases failed"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $gateway:$PG_PORT (only), databases invoices, invoices_dev, payments"
}

# ---- release smoke test -------------------------------------------------------------------------------------------
HARDENING=(--user 65532:65532 --read-only --read-only-tmpfs=false --tmpfs "/tmp:rw,nosuid,nodev,size=64m"
  --cap-drop ALL --security-opt no-new-privileges)

run_release() { # <service> <port> <env file>
  local service=$1 port=$2 env_file=$3
  podman_run --detach --pull=never --name "$RUN-$service" --label "$OWNER_LABEL=$$" \
    --network "$NET" --network-alias "$service" -p "127.0.0.1::$port" \
    "${HARDENING[@]}" --env-file "$env_file" "$(image_ref "$service" release)" >/dev/null ||
    die "could not start the $service release image"
}

expect_ledger() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const payments = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    const expected = { I1: [1215, "EUR"], I2: [1025, "GBP"], I3: [6613, "DKK"] };
    let failed = false;
    for (const [id, [amountMinor, currency]] of Object.entries(expected)) {
      const mine = payments.filter((p) => p.invoiceId === id);
      const ok = mine.filter((p) => p.status === "succeeded");
      const good = ok.length === 1 && ok[0].amountMinor === amountMinor && ok[0].currency === currency;
      failed ||= !good;
      console.log(`    ${good ? "ok  " : "FAIL"} ${id}: ${ok.length} succeeded of ${mine.length} (` +
        mine.map((p) => `${p.status} ${p.amountMinor} ${p.currency}`).join(", ") + `), expected exactly one succeeded ${amountMinor} ${currency}`);
    }
    process.exit(failed ? 1 : 0);'
}

smoke_release() {
  local gateway subnet iface webhook_secret started t0 ip_port pp_port deadline body code
  podman network create --label "$OWNER_LABEL=$$" "$NET" >/dev/null || die "podman network create failed"
  subnet=$(podman network inspect --format '{{range .Subnets}}{{.Subnet}}{{end}}' "$NET")
  gateway=$(podman network inspect --format '{{range .Subnets}}{{.Gateway}}{{end}}' "$NET")
  iface=$(podman network inspect --format '{{.NetworkInterface}}' "$NET")
  if [ -z "$gateway" ] || [ -z "$subnet" ]; then die "podman network $NET has no IPv4 subnet/gateway"; fi
  # netavark brings the bridge (and so the gateway address) up with the first container: start a placeholder
  # (the runtime base image's node, idle) so PostgreSQL can bind to the gateway before the services start.
  podman_run --detach --pull=never --name "$RUN-net-anchor" --label "$OWNER_LABEL=$$" --network "$NET" \
    "${HARDENING[@]}" "$RUNTIME_IMAGE" -e 'setInterval(() => {}, 1 << 30)' >/dev/null || die "could not start a container on $NET"
  ip -4 -o addr show dev "$iface" 2>/dev/null | grep -q " $gateway/" || die "gateway $gateway is not up on $iface"
  # A Linux bridge without an explicitly set MAC takes the lowest MAC of its ports, so it changes whenever a container
  # joins or leaves; the others keep the old gateway MAC in their ARP cache and their packets to the gateway (here:
  # PostgreSQL) are dropped for up to ~45 s. Pin the current MAC on this run's bridge (removed with the network).
  ip link set dev "$iface" address "$(cat "/sys/class/net/$iface/address")" ||
    die "could not pin the MAC address of bridge $iface"
  log "network $NET: subnet $subnet, gateway $gateway on $iface"
  start_postgres "$gateway" "$subnet"

  webhook_secret=$(random_secret 48)
  umask 077
  cat >"$WORK/payment-provider.env" <<EOF
DATABASE_URL=postgres://payment_provider:$PAYMENT_DB_PASSWORD@$gateway:$PG_PORT/payments
EVENTS_WEBHOOK_URL=http://invoice-app:8081/webhooks/payment-events
WEBHOOK_SECRET=$webhook_secret
LOG_LEVEL=$SERVICE_LOG_LEVEL
EOF
  cat >"$WORK/invoice-app.env" <<EOF
DATABASE_URL=postgres://invoice_app:$INVOICE_DB_PASSWORD@$gateway:$PG_PORT/invoices
PAYMENT_PROVIDER_URL=http://payment-provider:8082
WEBHOOK_SECRET=$webhook_secret
SEED_INVOICES=true
LOG_LEVEL=$SERVICE_LOG_LEVEL
EOF
  cat >"$WORK/invoice-app-dev.env" <<EOF
DATABASE_URL=postgres://invoice_app:$INVOICE_DB_PASSWORD@$gateway:$PG_PORT/invoices_dev
PAYMENT_PROVIDER_URL=http://payment-provider:8082
WEBHOOK_SECRET=$webhook_secret
SEED_INVOICES=true
LOG_LEVEL=$SERVICE_LOG_LEVEL
EOF
  umask 022

  started=$(now_ms)
  run_release payment-provider 8082 "$WORK/payment-provider.env"
  t0=$(now_ms)
  run_release invoice-app 8081 "$WORK/invoice-app.env"
  pp_port=$(host_port "$RUN-payment-provider" 8082)
  ip_port=$(host_port "$RUN-invoice-app" 8081)
  wait_http "$RUN-payment-provider" "http://127.0.0.1:$pp_port/readyz"
  timing "start to ready: payment-provider (release)" "$(elapsed "$started" "$(now_ms)")"
  wait_http "$RUN-invoice-app" "http://127.0.0.1:$ip_port/readyz"
  timing "start to ready: invoice-app (release)" "$(elapsed "$t0" "$(now_ms)")"
  log "both release containers ready (invoice-app on 127.0.0.1:$ip_port, payment-provider on 127.0.0.1:$pp_port)"

  # 1. the seeded invoices, unpaid
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:$ip_port/invoices") || die "GET /invoices failed"
  [ "$(json_eval 'Array.isArray(d) && [["I1", 12.15, "EUR"], ["I2", 10.25, "GBP"], ["I3", 66.13, "DKK"]].every(([id, v, c]) =>
        d.some((i) => i.InvoiceId === id && i.Value === v && i.Currency === c && i.IsPaid === false))' <<<"$body")" = true ] ||
    die "GET /invoices does not show I1 12.15 EUR, I2 10.25 GBP, I3 66.13 DKK unpaid: $body"
  log "GET /invoices: I1, I2, I3 unpaid"

  # 2. pay all
  t0=$(now_ms)
  code=$(curl -sS --max-time 30 -o "$WORK/pay.json" -w '%{http_code}' -X POST "http://127.0.0.1:$ip_port/invoices/pay") ||
    die "POST /invoices/pay failed to connect"
  [[ $code == 2?? ]] || die "POST /invoices/pay answered $code: $(cat "$WORK/pay.json")"
  log "POST /invoices/pay: $code $(head -c 200 "$WORK/pay.json")"

  # 3. poll until every invoice is paid
  deadline=$((SECONDS + PAY_DEADLINE_S))
  while :; do
    body=$(curl -fsS --max-time 5 "http://127.0.0.1:$ip_port/invoices") || die "GET /invoices failed while polling"
    [ "$(json_eval 'd.length > 0 && d.every((i) => i.IsPaid === true)' <<<"$body")" = true ] && break
    [ "$SECONDS" -lt "$deadline" ] ||
      die "invoices not all paid within ${PAY_DEADLINE_S}s after POST /invoices/pay: $body; provider ledger: $(curl -sS --max-time 5 "http://127.0.0.1:$pp_port/payments" 2>&1 | head -c 2000)"
    sleep 0.25
  done
  timing "pay: POST /invoices/pay to all paid" "$(elapsed "$t0" "$(now_ms)")"
  log "GET /invoices: all paid"

  # 4. the provider's ledger: exactly one succeeded payment per invoice, right amount and currency
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:$pp_port/payments") || die "GET payment-provider /payments failed"
  log "payment-provider ledger:"
  expect_ledger <<<"$body" || die "the payment-provider ledger does not hold exactly one succeeded payment per invoice: $body"

  # 5. SIGTERM: node is PID 1 and must shut down gracefully by itself, well before podman would SIGKILL it.
  local service code_exit
  for service in invoice-app payment-provider; do
    t0=$(now_ms)
    podman stop -t "$STOP_TIMEOUT_S" "$RUN-$service" >/dev/null
    code_exit=$(podman inspect --format '{{.State.ExitCode}}' "$RUN-$service")
    timing "graceful stop (SIGTERM to exit): $service" "$(elapsed "$t0" "$(now_ms)")"
    case $code_exit in
      0) ;;
      137) die "$service did not exit within ${STOP_TIMEOUT_S}s of SIGTERM and was killed (PID 1 must handle SIGTERM)" ;;
      *) die "$service exited with $code_exit after SIGTERM instead of 0: its graceful shutdown failed (logs below)" ;;
    esac
  done
  log "both release containers exited 0 on SIGTERM"
}

# ---- dev image: Skaffold-style sync and tsx watch reload ----------------------------------------------------------
smoke_dev() {
  local ref ctr port started t0 marker file user started_at
  ref=$(image_ref invoice-app dev)
  ctr=$RUN-invoice-app-dev
  user=$(podman image inspect --format '{{.Config.User}}' "$ref")
  [ "$user" = 65532:65532 ] || die "$ref declares USER '$user'; expected 65532:65532 (the uid that owns the synced sources)"
  started=$(now_ms)
  # The local overlay's relaxation for hot reload is a writable root (sources are synced into the image), the rest of
  # the hardening stays.
  podman_run --detach --pull=never --name "$ctr" --label "$OWNER_LABEL=$$" --network "$NET" -p 127.0.0.1::8081 \
    --user 65532:65532 --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges \
    --env-file "$WORK/invoice-app-dev.env" "$ref" >/dev/null || die "could not start $ref"
  port=$(host_port "$ctr" 8081)
  wait_http "$ctr" "http://127.0.0.1:$port/readyz"
  timing "start to ready: invoice-app (dev, tsx watch)" "$(elapsed "$started" "$(now_ms)")"
  started_at=$(podman inspect --format '{{.State.StartedAt}}' "$ctr")

  # A throwaway edit on a copy (never the repository): /healthz answers with a marker.
  marker="synced-$$-$RANDOM"
  file=shared/src/platform/http-server.ts
  mkdir -p "$WORK/sync/$(dirname "$file")"
  sed "/\"\/healthz\"/ s/body: { status: \"ok\" }/body: { status: \"ok\", reload: \"$marker\" }/" \
    "$REPO_ROOT/$file" >"$WORK/sync/$file"
  grep -q "$marker" "$WORK/sync/$file" ||
    die "cannot find the /healthz body '{ status: \"ok\" }' in $file to change it; update the reload probe in $(basename "$0")"

  t0=$(now_ms)
  # What Skaffold's sync does: a tar stream extracted inside the running container by its (non-root) user.
  tar -C "$WORK/sync" -cf - "$file" | podman exec -i --user 65532:65532 "$ctr" tar -xf - -C /app ||
    die "extracting the synced file as uid 65532 failed (are the sources owned by the runtime user, is tar in the image?)"
  wait_http "$ctr" "http://127.0.0.1:$port/healthz" "$marker" "$RELOAD_DEADLINE_S"
  timing "hot reload: sync to new /healthz served" "$(elapsed "$t0" "$(now_ms)")"
  [ "$(podman inspect --format '{{.State.StartedAt}} {{.RestartCount}}' "$ctr")" = "$started_at 0" ] ||
    die "the dev container restarted; the reload must happen inside it (tsx watch)"
  wait_http "$ctr" "http://127.0.0.1:$port/readyz"
  log "dev image: synced $file as uid 65532, tsx watch reloaded, /healthz now says \"$marker\" (same container, no rebuild)"
}

# ---- main ---------------------------------------------------------------------------------------------------------
main() {
  if is_help "${1:-}"; then
    usage "${BASH_SOURCE[0]}"
    return 0
  fi
  [ "$#" -eq 0 ] || die "unknown argument '$1' (see --help); settings are environment variables"
  local t0
  t0=$(now_ms)
  require_root
  ensure_tools
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  remove_stale
  WORK=$(mktemp -d /tmp/invoicing-smoke.XXXXXX)
  chmod 755 "$WORK"
  echo $$ >"$WORK/owner.pid"
  log "podman $(podman version --format '{{.Client.Version}}'), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'), CONTAINERS_CONF=$CONTAINERS_CONF"

  resolve_base_images
  local s
  s=$(now_ms)
  "$CONTAINERS_DIR/synth-base-images.sh"
  timing "base images (synthesize or reuse)" "$(elapsed "$s" "$(now_ms)")"

  if [ -z "${SKIP_BUILD:-}" ]; then
    # payment-provider:dev is only built (its stages are the same as invoice-app's, which is run below); Skaffold uses it.
    local images=(invoice-app:release payment-provider:release invoice-app:dev payment-provider:dev)
    BUILD_LOG_DIR=$WORK/build-logs build_main "${images[@]}"
    for s in "${images[@]}"; do timing "build $s" "${BUILD_SECONDS[$s]}"; done
  else
    log "SKIP_BUILD set: using the existing images"
  fi

  check_release_image invoice-app
  check_release_image payment-provider
  check_release_runtime invoice-app
  check_release_runtime payment-provider

  smoke_release
  smoke_dev

  timing "total" "$(elapsed "$t0" "$(now_ms)")"
  echo
  echo "Timings:"
  printf '  %s\n' "${TIMINGS[@]}"
  echo
}

# Sourcing the file (e.g. to try one check by hand) defines the functions without running anything.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
