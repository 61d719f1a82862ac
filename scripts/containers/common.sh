# shellcheck shell=bash
# Sourced by the scripts in scripts/containers/: shared settings and helpers. Not executable on its own.

CONTAINERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CONTAINERS_DIR/../.." && pwd)
SERVICES=(invoice-app payment-provider)

# The project's podman settings (runc, ulimits); never /etc/containers.
export CONTAINERS_CONF="$CONTAINERS_DIR/containers.conf"

# Local names of what we build (never pushed anywhere): $IMAGE_PREFIX/<service>:<target>.
IMAGE_PREFIX=${IMAGE_PREFIX:-localhost/invoicing}

# usage <script>: prints the script's header comment (everything between the shebang and `set -euo pipefail`).
usage() { sed -n '2,/^set -euo pipefail$/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'; }
is_help() { case ${1:-} in -h | --help | help) return 0 ;; *) return 1 ;; esac; }

log() { printf '%s [containers] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '\n%s [containers] FAILED: %s\n\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
# Seconds with one decimal between two now_ms values.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
human_bytes() { awk -v b="$1" 'BEGIN { split("B KB MB GB", u); i = 1; while (b >= 1000 && i < 4) { b /= 1000; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'; }

image_ref() { printf '%s/%s:%s' "$IMAGE_PREFIX" "$1" "$2"; } # <service> <target> -> name:tag

# Reads `ARG <name>=<default>` from a Dockerfile, so the Dockerfiles stay the single source of base image names.
dockerfile_arg() {
  local file=$1 name=$2 value
  value=$(sed -n "s/^ARG ${name}=\\(.*\\)$/\\1/p" "$file" | head -n 1)
  [ -n "$value" ] || die "$file declares no 'ARG $name=<default>'"
  printf '%s' "$value"
}

# Base images both Dockerfiles use; they must agree, since CI synthesizes exactly one pair.
resolve_base_images() {
  local service file node runtime
  NODE_VERSION="" RUNTIME_IMAGE=""
  for service in "${SERVICES[@]}"; do
    file="$REPO_ROOT/$service/Dockerfile"
    [ -f "$file" ] || die "missing $file"
    node=$(dockerfile_arg "$file" NODE_VERSION)
    runtime=$(dockerfile_arg "$file" RUNTIME_IMAGE)
    # shellcheck disable=SC2016 # literal Dockerfile text
    grep -q '^FROM docker.io/library/node:${NODE_VERSION}-bookworm-slim AS ' "$file" ||
      die "$file: the builder stage must be 'FROM docker.io/library/node:\${NODE_VERSION}-bookworm-slim AS ...'"
    # shellcheck disable=SC2016 # literal Dockerfile text
    grep -q '^FROM ${RUNTIME_IMAGE} AS release$' "$file" || die "$file: the release stage must be 'FROM \${RUNTIME_IMAGE} AS release'"
    if [ -z "$NODE_VERSION" ]; then
      NODE_VERSION=$node RUNTIME_IMAGE=$runtime
    elif [ "$node" != "$NODE_VERSION" ] || [ "$runtime" != "$RUNTIME_IMAGE" ]; then
      die "the Dockerfiles disagree on base images: NODE_VERSION $NODE_VERSION vs $node, RUNTIME_IMAGE $RUNTIME_IMAGE vs $runtime"
    fi
  done
  BUILDER_IMAGE="docker.io/library/node:${NODE_VERSION}-bookworm-slim"
  export NODE_VERSION RUNTIME_IMAGE BUILDER_IMAGE
}

require_root() { [ "$(id -u)" -eq 0 ] || die "run as root (rootful podman with runc is what the project's machines support)"; }

apt_install() {
  local apt_log
  apt_log=$(mktemp)
  log "installing from apt: $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >"$apt_log" 2>&1 || { tail -n 30 "$apt_log" >&2; die "apt-get install $* failed"; }
  rm -f "$apt_log"
}

# podman, buildah and runc from Debian, busybox-static for the synthesized builder, curl for the smoke test.
ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v buildah >/dev/null || missing+=(buildah)
  command -v runc >/dev/null || missing+=(runc)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
  command -v curl >/dev/null || missing+=(curl)
  command -v ldd >/dev/null || missing+=(libc-bin)
  command -v ip >/dev/null && command -v ss >/dev/null || missing+=(iproute2)
  if [ "${#missing[@]}" -gt 0 ]; then
    require_root
    # Listing runc satisfies podman's crun|runc dependency, so crun (which fails on these hosts) is not pulled in.
    # netavark + aardvark-dns give user-defined networks with name resolution between containers.
    log "missing: ${missing[*]}"
    apt_install podman buildah runc busybox-static curl libc-bin iproute2 netavark aardvark-dns iptables ca-certificates
  fi
  command -v node >/dev/null || die "node is required on the host (it runs npm to fetch Node for the synthesized base images)"
  command -v npm >/dev/null || die "npm is required on the host"
  check_ulimits
}

# default_ulimits in containers.conf must not exceed the host's hard limits (raising rlimits is refused here).
check_ulimits() {
  local entry name soft hard host
  while IFS= read -r entry; do
    name=${entry%%=*} soft=${entry#*=} hard=${soft#*:} soft=${soft%%:*}
    case $name in
      nofile) host=$(ulimit -Hn) ;;
      nproc) host=$(ulimit -Hu) ;;
      *) continue ;;
    esac
    [ "$host" = unlimited ] && continue
    if [ "$hard" -gt "$host" ] || [ "$soft" -gt "$hard" ]; then
      die "$CONTAINERS_CONF: default_ulimits $entry exceeds this host's hard limit $name=$host; lower it there"
    fi
  done < <(sed -n 's/^default_ulimits *= *\[\(.*\)\]/\1/p' "$CONTAINERS_CONF" | tr -d '" ' | tr ',' '\n')
}
