#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prepare a laptop for the Skaffold dev loop: check the tools, start minikube with the docker container
# runtime, enable the addons the manifests rely on and wait until everything is ready. Safe to run again.
#
#   scripts/init.sh                 check tools, start/reuse minikube, enable addons, wait
#   scripts/init.sh --install       also download missing CLIs (minikube, kubectl, skaffold, kustomize) to INSTALL_DIR
#   scripts/init.sh --check         only check the tools (exit 1 if a required one is missing)
#   scripts/init.sh --doctor        report tool versions and cluster status; never fails
#
# Settings (flag or environment variable):
#   --profile NAME        MINIKUBE_PROFILE             minikube profile = kube-context name (default: minikube)
#   --cpus N              MINIKUBE_CPUS                default 4
#   --memory MB           MINIKUBE_MEMORY              default 8192 (MiB; minikube also accepts e.g. 8g)
#   --disk-size SIZE      MINIKUBE_DISK_SIZE           default 30g
#   --kubernetes-version  MINIKUBE_KUBERNETES_VERSION  default: minikube's stable default
#   --timeout SECONDS     INIT_WAIT_TIMEOUT            per wait, default 300
#   --install-dir DIR     INSTALL_DIR                  default ~/.local/bin (no sudo needed)
#   --yes                                              answer yes to download prompts (same as --install)
#   --no-install                                       never download, only print instructions
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

MINIKUBE_PROFILE=${MINIKUBE_PROFILE:-minikube}
MINIKUBE_CPUS=${MINIKUBE_CPUS:-4}
MINIKUBE_MEMORY=${MINIKUBE_MEMORY:-8192}
MINIKUBE_DISK_SIZE=${MINIKUBE_DISK_SIZE:-30g}
MINIKUBE_KUBERNETES_VERSION=${MINIKUBE_KUBERNETES_VERSION:-}
INIT_WAIT_TIMEOUT=${INIT_WAIT_TIMEOUT:-300}
INSTALL_DIR=${INSTALL_DIR:-$HOME/.local/bin}
# Versions for --install. "latest" follows the projects' own install instructions; pin for reproducibility.
MINIKUBE_VERSION=${MINIKUBE_VERSION:-latest}
KUBECTL_VERSION=${KUBECTL_VERSION:-stable}
SKAFFOLD_VERSION=${SKAFFOLD_VERSION:-latest}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-v5.5.0}
SKAFFOLD_API_VERSION=skaffold/v4beta14 # apiVersion of ../../skaffold.yaml
ADDONS=(ingress ingress-dns metrics-server)

mode=init        # init | check | doctor
install_mode=ask # ask | yes | no

# --help prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { if ($0 !~ /^# shellcheck/) { sub(/^# ?/, ""); print }; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --install | --yes | -y) install_mode=yes ;;
    --no-install) install_mode=no ;;
    --check) mode=check ;;
    --doctor) mode=doctor ;;
    --profile) need_value "$@" && MINIKUBE_PROFILE=$2 && shift ;;
    --cpus) need_value "$@" && MINIKUBE_CPUS=$2 && shift ;;
    --memory) need_value "$@" && MINIKUBE_MEMORY=$2 && shift ;;
    --disk-size) need_value "$@" && MINIKUBE_DISK_SIZE=$2 && shift ;;
    --kubernetes-version) need_value "$@" && MINIKUBE_KUBERNETES_VERSION=$2 && shift ;;
    --timeout) need_value "$@" && INIT_WAIT_TIMEOUT=$2 && shift ;;
    --install-dir) need_value "$@" && INSTALL_DIR=$2 && shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[[ "$MINIKUBE_CPUS" =~ ^[0-9]+$ ]] || die "--cpus/MINIKUBE_CPUS must be a number, got '$MINIKUBE_CPUS'"
[[ "$INIT_WAIT_TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout/INIT_WAIT_TIMEOUT must be seconds, got '$INIT_WAIT_TIMEOUT'"

OS=$(detect_os)
ARCH=$(detect_arch)

# ---------------------------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------------------------

REQUIRED_TOOLS=(docker minikube kubectl skaffold)
OPTIONAL_TOOLS=(kustomize)

install_hint() {
  local tool=$1
  case "$tool" in
    docker)
      log_info "docker: install Docker Engine (Linux) or Docker Desktop (macOS/Windows): https://docs.docker.com/get-docker/"
      log_info "        Linux: add yourself to the docker group so minikube's docker driver runs without sudo:"
      log_info "        sudo usermod -aG docker \"\$USER\" && newgrp docker"
      ;;
    minikube)
      log_info "minikube: https://minikube.sigs.k8s.io/docs/start/"
      log_info "        curl -LO https://storage.googleapis.com/minikube/releases/latest/minikube-$OS-$ARCH"
      log_info "        sudo install minikube-$OS-$ARCH /usr/local/bin/minikube     (macOS: brew install minikube)"
      ;;
    kubectl)
      log_info "kubectl: https://kubernetes.io/docs/tasks/tools/"
      log_info "        curl -LO \"https://dl.k8s.io/release/\$(curl -Ls https://dl.k8s.io/release/stable.txt)/bin/$OS/$ARCH/kubectl\""
      log_info "        sudo install kubectl /usr/local/bin/kubectl                  (macOS: brew install kubectl)"
      ;;
    skaffold)
      log_info "skaffold v2 (reads $SKAFFOLD_API_VERSION): https://skaffold.dev/docs/install/"
      log_info "        curl -Lo skaffold https://storage.googleapis.com/skaffold/releases/latest/skaffold-$OS-$ARCH"
      log_info "        sudo install skaffold /usr/local/bin/skaffold                (macOS: brew install skaffold)"
      ;;
    kustomize)
      log_info "kustomize v5 (optional: \`kubectl kustomize\` is the fallback): https://kubectl.docs.kubernetes.io/installation/kustomize/"
      log_info "        https://github.com/kubernetes-sigs/kustomize/releases/tag/kustomize%2F$KUSTOMIZE_VERSION  (macOS: brew install kustomize)"
      ;;
  esac
  if [[ "$tool" != docker ]]; then
    log_info "        or let this script download it: scripts/init.sh --install   (make init INSTALL=1)"
  fi
}

sha256_of() {
  if have sha256sum; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

fetch() { curl -fsSL --retry 3 --connect-timeout 15 -o "$2" "$1"; }

# download_verified <url> <sha256-url> <dest>: download a file and check it against the published SHA-256.
download_verified() {
  local url=$1 sum_url=$2 dest=$3 expected actual
  log_info "downloading $url"
  fetch "$url" "$dest" || die "download failed: $url"
  expected=$(curl -fsSL --retry 3 "$sum_url" | tr -s ' \t' '\n' | grep -Eim1 '^[0-9a-f]{64}$') ||
    die "cannot read the published checksum $sum_url; refusing to install an unverified binary"
  actual=$(sha256_of "$dest")
  [[ "$actual" == "$expected" ]] || die "checksum mismatch for $url (expected $expected, got $actual)"
}

install_tool() {
  local tool=$1 tmp url version
  [[ "$OS" != unsupported && "$ARCH" != unsupported ]] || die "cannot download $tool for $(uname -s)/$(uname -m)"
  have curl || die "curl is needed to download $tool"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now: it is local to this function; the trap removes itself
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  mkdir -p "$INSTALL_DIR"
  case "$tool" in
    minikube)
      url="https://storage.googleapis.com/minikube/releases/$MINIKUBE_VERSION/minikube-$OS-$ARCH"
      download_verified "$url" "$url.sha256" "$tmp/minikube"
      ;;
    kubectl)
      version=$KUBECTL_VERSION
      if [[ "$version" == stable ]]; then
        version=$(curl -fsSL https://dl.k8s.io/release/stable.txt) || die "cannot resolve the stable kubectl version"
      fi
      url="https://dl.k8s.io/release/$version/bin/$OS/$ARCH/kubectl"
      download_verified "$url" "$url.sha256" "$tmp/kubectl"
      ;;
    skaffold)
      url="https://storage.googleapis.com/skaffold/releases/$SKAFFOLD_VERSION/skaffold-$OS-$ARCH"
      download_verified "$url" "$url.sha256" "$tmp/skaffold"
      ;;
    kustomize)
      local base="https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2F$KUSTOMIZE_VERSION"
      local archive="kustomize_${KUSTOMIZE_VERSION}_${OS}_${ARCH}.tar.gz"
      fetch "$base/$archive" "$tmp/$archive" || die "download failed: $base/$archive"
      fetch "$base/checksums.txt" "$tmp/checksums.txt" || die "cannot read $base/checksums.txt"
      local expected
      expected=$(grep -F " $archive" "$tmp/checksums.txt" | cut -d' ' -f1)
      [[ -n "$expected" && "$(sha256_of "$tmp/$archive")" == "$expected" ]] ||
        die "checksum mismatch for $archive"
      tar -xzf "$tmp/$archive" -C "$tmp" kustomize
      ;;
    *) die "no automatic install for $tool" ;;
  esac
  install -m 0755 "$tmp/$tool" "$INSTALL_DIR/$tool"
  log_ok "installed $tool to $INSTALL_DIR/$tool"
  case ":$PATH:" in
    *":$INSTALL_DIR:"*) ;;
    *)
      export PATH="$INSTALL_DIR:$PATH"
      log_warn "$INSTALL_DIR is not on your PATH; add it: export PATH=\"$INSTALL_DIR:\$PATH\""
      ;;
  esac
}

# Offer (or perform, with --install) the download of a missing tool. Returns 1 if it is still missing.
offer_install() {
  local tool=$1
  [[ "$tool" != docker ]] || return 1
  case "$install_mode" in
    yes) install_tool "$tool" ;;
    ask)
      if confirm "Download $tool to $INSTALL_DIR now?"; then
        install_tool "$tool"
      else
        return 1
      fi
      ;;
    *) return 1 ;;
  esac
}

tool_version() {
  case "$1" in
    docker)
      printf 'client %s, daemon %s\n' "$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
        "$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo 'not reachable')"
      ;;
    minikube) minikube version --short 2>/dev/null ;;
    kubectl) kubectl version --client 2>/dev/null | head -n 2 | paste -sd ' ' - ;;
    skaffold) skaffold version 2>/dev/null ;;
    kustomize) kustomize version 2>/dev/null ;;
    shellcheck) shellcheck --version 2>/dev/null | sed -n 's/^version: //p' ;;
    *) "$1" --version 2>/dev/null | head -n 1 ;;
  esac
}

# check_tools -> 0 when every required tool is usable.
check_tools() {
  local tool missing=()
  log_step "Checking tools"
  for tool in "${REQUIRED_TOOLS[@]}"; do
    if have "$tool"; then
      log_ok "$tool: $(tool_version "$tool" || echo 'version unknown')"
    else
      log_error "$tool: not found"
      install_hint "$tool"
      if offer_install "$tool" && have "$tool"; then
        log_ok "$tool: $(tool_version "$tool" || echo 'version unknown')"
      else
        missing+=("$tool")
      fi
    fi
  done
  for tool in "${OPTIONAL_TOOLS[@]}"; do
    if have "$tool"; then
      log_ok "$tool: $(tool_version "$tool" || echo 'version unknown')"
    else
      log_warn "$tool: not found (optional; Skaffold and make render fall back to \`kubectl kustomize\`)"
      install_hint "$tool"
      offer_install "$tool" || true
    fi
  done

  if have skaffold && ! skaffold schema list 2>/dev/null | grep -qx "$SKAFFOLD_API_VERSION"; then
    log_error "skaffold $(skaffold version 2>/dev/null || true) does not know $SKAFFOLD_API_VERSION (skaffold.yaml); upgrade it"
    install_hint skaffold
    missing+=("skaffold (too old)")
  fi
  if have docker && ! docker info >/dev/null 2>&1; then
    log_error "docker: the CLI is installed but the daemon does not answer (\`docker info\` failed)."
    log_info "        Start Docker Desktop, or on Linux: sudo systemctl start docker; check that your user may use it."
    missing+=("docker daemon")
  fi

  if ((${#missing[@]} > 0)); then
    log_error "missing: ${missing[*]}"
    return 1
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------------------------

kc() { kubectl --context "$MINIKUBE_PROFILE" "$@"; }

minikube_running() {
  [[ "$(minikube status -p "$MINIKUBE_PROFILE" --format '{{.Host}}/{{.Kubelet}}/{{.APIServer}}' 2>/dev/null)" == Running/Running/Running ]]
}

container_runtime() {
  kc get nodes -o jsonpath='{.items[0].status.nodeInfo.containerRuntimeVersion}' 2>/dev/null || true
}

start_minikube() {
  local args
  log_step "minikube profile '$MINIKUBE_PROFILE'"
  if minikube_running; then
    log_ok "already running; not restarting it (settings such as --cpus apply only to a new cluster)"
  else
    # Starts a new cluster, or restarts a stopped profile (an existing profile keeps its original settings).
    args=(start -p "$MINIKUBE_PROFILE" --driver=docker --container-runtime=docker
      --cpus="$MINIKUBE_CPUS" --memory="$MINIKUBE_MEMORY" --disk-size="$MINIKUBE_DISK_SIZE")
    if [[ -n "$MINIKUBE_KUBERNETES_VERSION" ]]; then
      args+=(--kubernetes-version="$MINIKUBE_KUBERNETES_VERSION")
    fi
    log_info "minikube ${args[*]}"
    minikube "${args[@]}"
  fi

  local runtime
  runtime=$(container_runtime)
  if [[ -n "$runtime" && "$runtime" != docker://* ]]; then
    die "profile '$MINIKUBE_PROFILE' runs container runtime '$runtime', not docker: Skaffold would have to load every" \
      "image instead of building into the node's daemon. Recreate it (minikube delete -p $MINIKUBE_PROFILE, or" \
      "make clean CLUSTER=1) or choose another profile with MINIKUBE_PROFILE."
  fi
  log_ok "container runtime: ${runtime:-unknown}"
}

# `minikube addons list -o json` prints one compact JSON object: {"ingress":{"Profile":"minikube","Status":"enabled"},...}
addon_enabled() {
  minikube addons list -p "$MINIKUBE_PROFILE" -o json 2>/dev/null | grep -Eq "\"$1\":\{[^}]*\"Status\":\"enabled\""
}

enable_addons() {
  local addon
  log_step "Addons: ${ADDONS[*]}"
  for addon in "${ADDONS[@]}"; do
    if addon_enabled "$addon"; then
      log_ok "$addon: already enabled"
    else
      minikube addons enable "$addon" -p "$MINIKUBE_PROFILE"
      log_ok "$addon: enabled"
    fi
  done
}

# wait_ready <description> <kubectl wait args...>: `kubectl wait` fails at once while the objects do not exist
# yet (addon manifests are applied asynchronously), so retry until the shared deadline.
wait_ready() {
  local what=$1
  shift
  log_info "waiting for $what"
  if ! retry_until "$INIT_WAIT_TIMEOUT" 5 kc wait --timeout=30s "$@" >/dev/null 2>&1; then
    die "$what is not ready after ${INIT_WAIT_TIMEOUT}s; inspect with: kubectl --context $MINIKUBE_PROFILE get pods -A"
  fi
  log_ok "$what"
}

wait_for_cluster() {
  log_step "Waiting until the cluster and addons are ready (up to ${INIT_WAIT_TIMEOUT}s each)"
  wait_ready "node Ready" --for=condition=Ready node --all
  wait_ready "ingress-nginx controller" -n ingress-nginx --for=condition=Ready pod \
    -l app.kubernetes.io/component=controller
  # The addon's label changed across minikube releases; accept both spellings.
  wait_ready "ingress-dns" -n kube-system --for=condition=Ready pod -l 'app in (minikube-ingress-dns,kube-ingress-dns)'
  wait_ready "metrics-server" -n kube-system --for=condition=Available deployment/metrics-server
}

next_steps() {
  local ip
  ip=$(minikube ip -p "$MINIKUBE_PROFILE" 2>/dev/null || echo '<minikube ip>')
  cat >&2 <<EOF

${_c_bold}Cluster '$MINIKUBE_PROFILE' is ready.${_c_reset} Next:
  make dev        build the dev images inside minikube, deploy kustomize/overlays/local, sync src/**/*.ts,
                  port-forward invoice-app to http://localhost:8081 and payment-provider to http://localhost:8082
  (edit invoice-app/src/... and watch the pod log: tsx restarts the process, no image rebuild)
  make e2e        in another terminal: pay the seed invoices through http://localhost:8081
  make clean      delete the deployment (make clean CLUSTER=1 also deletes the minikube cluster)

No /etc/hosts edit is needed: the dev loop goes through Skaffold's port-forward. To reach the Ingress by name,
minikube's ingress-dns answers for the cluster IP $ip; see https://minikube.sigs.k8s.io/docs/handbook/addons/ingress-dns/
EOF
}

doctor() {
  local tool
  log_step "Tools"
  for tool in "${REQUIRED_TOOLS[@]}" "${OPTIONAL_TOOLS[@]}" node npm make shellcheck; do
    if have "$tool"; then
      log_ok "$tool: $(tool_version "$tool" || echo 'version unknown')"
    else
      log_warn "$tool: not installed"
    fi
  done
  if have skaffold; then
    if skaffold schema list 2>/dev/null | grep -qx "$SKAFFOLD_API_VERSION"; then
      log_ok "skaffold understands $SKAFFOLD_API_VERSION"
    else
      log_warn "skaffold does not list $SKAFFOLD_API_VERSION: upgrade it"
    fi
  fi
  if have docker; then
    if docker info >/dev/null 2>&1; then log_ok "docker daemon answers"; else log_warn "docker daemon does not answer"; fi
  fi
  log_step "Cluster (profile/context '$MINIKUBE_PROFILE')"
  if have minikube; then
    minikube status -p "$MINIKUBE_PROFILE" >&2 2>/dev/null || log_warn "minikube profile '$MINIKUBE_PROFILE' is not running"
    if minikube_running; then
      local addon
      for addon in "${ADDONS[@]}"; do
        if addon_enabled "$addon"; then log_ok "addon $addon enabled"; else log_warn "addon $addon disabled"; fi
      done
    fi
  fi
  if have kubectl; then
    log_info "current kube-context: $(kubectl config current-context 2>/dev/null || echo none)"
    if kc get nodes -o wide >&2 2>/dev/null; then
      log_ok "runtime: $(container_runtime)"
      kc get pods -n invoicing -o wide >&2 2>/dev/null || true
      kc get pods -n payments -o wide >&2 2>/dev/null || true
    else
      log_warn "context '$MINIKUBE_PROFILE' is not reachable"
    fi
  fi
  return 0
}

case "$mode" in
  doctor) doctor ;;
  check) check_tools ;;
  init)
    check_tools || die "install the missing tools (instructions above) and run this again"
    start_minikube
    enable_addons
    wait_for_cluster
    next_steps
    ;;
esac
