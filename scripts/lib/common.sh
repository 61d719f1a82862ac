# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
#   # shellcheck source=lib/common.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Colours only on a terminal and only if the user did not opt out (https://no-color.org).
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
  _c_red=$'\033[31m' _c_yellow=$'\033[33m' _c_green=$'\033[32m' _c_bold=$'\033[1m' _c_reset=$'\033[0m'
else
  _c_red='' _c_yellow='' _c_green='' _c_bold='' _c_reset=''
fi

# All diagnostics go to stderr so stdout stays parseable.
log_step() { printf '%s==> %s%s\n' "$_c_bold" "$*" "$_c_reset" >&2; }
log_info() { printf '    %s\n' "$*" >&2; }
log_ok() { printf '%s ok %s %s\n' "$_c_green" "$_c_reset" "$*" >&2; }
log_warn() { printf '%swarn%s %s\n' "$_c_yellow" "$_c_reset" "$*" >&2; }
log_error() { printf '%serror%s %s\n' "$_c_red" "$_c_reset" "$*" >&2; }
die() {
  log_error "$*"
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Operating system and CPU architecture in the spelling release URLs use (linux/darwin, amd64/arm64).
detect_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    *) echo unsupported ;;
  esac
}
detect_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) echo unsupported ;;
  esac
}

# True when a human can answer a prompt.
is_interactive() { [[ -t 0 && -t 1 ]]; }

# confirm "question" -> 0 on y/yes. Never prompts when stdin is not a terminal (returns 1).
confirm() {
  local answer
  is_interactive || return 1
  read -r -p "$1 [y/N] " answer || return 1
  [[ "$answer" =~ ^([yY]|[yY][eE][sS])$ ]]
}

# retry_until <timeout-seconds> <interval-seconds> <command...>: rerun the command until it succeeds or the
# deadline passes. Returns the command's last status on timeout.
retry_until() {
  local timeout=$1 interval=$2 deadline status
  shift 2
  deadline=$((SECONDS + timeout))
  while true; do
    status=0
    "$@" || status=$?
    if ((status == 0)); then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      return "$status"
    fi
    sleep "$interval"
  done
}
