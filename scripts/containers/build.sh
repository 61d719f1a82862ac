#!/usr/bin/env bash
# Builds the service images with podman from local base images only (--pull=never), then prints each image's size
# and the size of its application layers (the layers above its base image).
#
#   scripts/containers/build.sh                                   # release and dev images of both services
#   scripts/containers/build.sh invoice-app:release payment-provider:dev
#   BUILD_NO_CACHE=1 scripts/containers/build.sh                  # ignore the layer cache (cold build timings)
#
# Images are tagged $IMAGE_PREFIX/<service>:<target> (default localhost/invoicing/...). Base images must exist
# locally: run synth-base-images.sh first where no registry is reachable. Build logs go to $BUILD_LOG_DIR
# (a temp dir by default) and are printed on failure.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# build_image <service> <target>: builds and records the elapsed seconds in BUILD_SECONDS[<service>:<target>].
declare -A BUILD_SECONDS=()
build_image() {
  local service=$1 target=$2 ref log started version revision created
  ref=$(image_ref "$service" "$target")
  log="$BUILD_LOG_DIR/$service-$target.log"
  version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$REPO_ROOT/$service/package.json" | head -n 1)
  revision=$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
  # The commit time, not the wall clock, so rebuilding the same commit gives the same label (and layer cache hits).
  created=$(git -C "$REPO_ROOT" log -1 --format=%cI 2>/dev/null || echo 1970-01-01T00:00:00Z)
  local args=(build --pull=never --layers -f "$REPO_ROOT/$service/Dockerfile" --target "$target" -t "$ref"
    --build-arg "VERSION=${version:-0.0.0-dev}" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
  # org.opencontainers.image.source: $SOURCE_URL, else the https remote of the checkout (any credentials stripped).
  local source=${SOURCE_URL:-$(git -C "$REPO_ROOT" remote get-url origin 2>/dev/null | sed -n 's#^https://\([^@/]*@\)\{0,1\}#https://#p')}
  [ -z "$source" ] || args+=(--build-arg "SOURCE=$source")
  [ -n "${BUILD_NO_CACHE:-}" ] && args+=(--no-cache)
  log "building $ref (target $target) ..."
  started=$(now_ms)
  if ! podman "${args[@]}" "$REPO_ROOT" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    die "podman build of $service (target $target) failed; full log above and in $log"
  fi
  BUILD_SECONDS["$service:$target"]=$(elapsed "$started" "$(now_ms)")
  log "built $ref in ${BUILD_SECONDS["$service:$target"]} s"
}

# Prints the image size and its layers above the base image (non-empty ones), e.g. the COPY of the bundle.
report_image() {
  local ref=$1 base=$2 total base_layers
  total=$(podman image inspect --format '{{.Size}}' "$ref")
  base_layers=$(podman history --quiet "$base" | wc -l)
  printf '  %-42s total %9s  (base %s)\n' "$ref" "$(human_bytes "$total")" "$base"
  # podman history lists the newest layer first; the entries above the base's own history are the application's.
  # shellcheck disable=SC2016 # JavaScript, not shell
  podman history --format json "$ref" | BASE_LAYERS=$base_layers node -e '
    let input = "";
    process.stdin.on("data", (chunk) => (input += chunk)).on("end", () => {
      const layers = JSON.parse(input);
      const app = layers.slice(0, layers.length - Number(process.env.BASE_LAYERS)).filter((l) => l.size > 0);
      const human = (b) => { const u = ["B", "kB", "MB", "GB"]; let i = 0; while (b >= 1000 && i < 3) { b /= 1000; i++; } return (i ? b.toFixed(1) : String(b)) + " " + u[i]; };
      for (const l of app.reverse()) {
        const what = l.CreatedBy.replace(/^\|\d+( \S+=\S*)* /, "").replace(/^\/bin\/sh -c (#\(nop\) )?/, "")
          .replace(/(dir|file|multi):[0-9a-f]{64} in /, "-> ").replace(/\s+/g, " ").trim();
        console.log(`    app layer ${human(l.size).padStart(9)}  ${what.slice(0, 96)}`);
      }
      console.log(`    app layers total ${human(app.reduce((sum, l) => sum + l.size, 0)).padStart(9)}`);
    });'
}

build_main() {
  local targets=("$@") t service target
  [ "${#targets[@]}" -gt 0 ] || targets=(invoice-app:release payment-provider:release invoice-app:dev payment-provider:dev)
  [ -n "${BUILDER_IMAGE:-}" ] || resolve_base_images
  for t in "$BUILDER_IMAGE" "$RUNTIME_IMAGE"; do
    podman image exists "$t" || die "base image $t is missing locally; run scripts/containers/synth-base-images.sh"
  done
  BUILD_LOG_DIR=${BUILD_LOG_DIR:-$(mktemp -d)}
  mkdir -p "$BUILD_LOG_DIR"
  for t in "${targets[@]}"; do
    service=${t%%:*} target=${t#*:}
    case "$service:$target" in
      invoice-app:release | invoice-app:dev | payment-provider:release | payment-provider:dev) ;;
      *) die "unknown image '$t' (expected <invoice-app|payment-provider>:<release|dev>)" ;;
    esac
    build_image "$service" "$target"
  done
  echo
  echo "Images (size as stored uncompressed; app layers = layers above the base image):"
  for t in "${targets[@]}"; do
    service=${t%%:*} target=${t#*:}
    if [ "$target" = release ]; then
      report_image "$(image_ref "$service" "$target")" "$RUNTIME_IMAGE"
    else
      report_image "$(image_ref "$service" "$target")" "$BUILDER_IMAGE"
    fi
  done
  echo
  echo "Build times (s):"
  for t in "${targets[@]}"; do printf '  %-28s %6s\n' "$t" "${BUILD_SECONDS[$t]}"; done
  echo
}

# Run directly (not sourced by test.sh).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if is_help "${1:-}"; then usage "$0"; else build_main "$@"; fi
fi
