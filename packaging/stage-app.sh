#!/usr/bin/env bash
# The parts of `npm run release` (packaging/release.sh) that decide what the package's code and unit
# say, kept apart so test/packaging/release-stage.test.ts runs them without building a .deb:
#   stage-app.sh dist DIST_DIR DEST_DIR   copies the compiled code, without source maps and without
#                                         the test-only files (RELEASE_EXCLUDED);
#   stage-app.sh unit SRC_UNIT DEST_UNIT  writes the daemon's unit with the pinned production cloud
#                                         root key, when the release has one.
set -euo pipefail

# Compiled files a package never ships, relative to dist/. cli/crash-points.js is the STALELA_CRASH_POINT
# hook the crash tests use to kill the daemon between PREPARE and COMMIT (docs/SECURITY.md): without the
# file, `stalela daemon` cannot load it, so a packaged daemon cannot be made to crash itself.
RELEASE_EXCLUDED=(cli/crash-points.js)
# The top-level folders of dist/ the package runs from (bench/ stays out).
RELEASE_DIST_DIRS=(cli daemon emulator protocol)

# The production cloud root public key (64 hex digits, the Ed25519 key every activation bundle must
# chain to): $STALELA_RELEASE_CLOUD_ROOT_KEY, else the first non-comment line of
# $STALELA_RELEASE_CLOUD_ROOT_KEY_FILE (default packaging/cloud-root.pub). Prints nothing when the
# release has none; fails on anything that is not a key.
release_root_key() {
  local key=${STALELA_RELEASE_CLOUD_ROOT_KEY:-}
  local file=${STALELA_RELEASE_CLOUD_ROOT_KEY_FILE:-"$(dirname "$0")/cloud-root.pub"}
  if [ -z "$key" ] && [ -f "$file" ]; then
    key=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$file" | head -n 1 | tr -d '[:space:]')
  fi
  [ -n "$key" ] || return 0
  if ! [[ $key =~ ^[0-9a-fA-F]{64}$ ]]; then
    echo "release: the cloud root key must be 64 hex digits (an Ed25519 public key), got '$key'" >&2
    return 1
  fi
  printf '%s\n' "${key,,}"
}

case "${1:-}" in
  dist)
    src=$2 dest=$3
    mkdir -p "$dest"
    for dir in "${RELEASE_DIST_DIRS[@]}"; do cp -r "$src/$dir" "$dest/"; done
    find "$dest" -name '*.map' -delete
    for file in "${RELEASE_EXCLUDED[@]}"; do rm -f "$dest/$file"; done
    for file in "${RELEASE_EXCLUDED[@]}"; do
      [ ! -e "$dest/$file" ] || { echo "release: $file is still staged" >&2; exit 1; }
    done
    ;;
  unit)
    src=$2 dest=$3
    key=$(release_root_key)
    if [ -z "$key" ]; then
      # No pinned key: the unit sets none, and the production daemon refuses to bind any device (a
      # status condition says why) until one is set in /etc/stalela/daemon.env (docs/INSTALL.md).
      echo "release: no production cloud root key (STALELA_RELEASE_CLOUD_ROOT_KEY or packaging/cloud-root.pub):" \
        "the packaged daemon will bind no device until STALELA_CLOUD_ROOT_KEY is set" >&2
      install -D -m 0644 "$src" "$dest"
    else
      grep -q '^Environment=NODE_ENV=production$' "$src" ||
        { echo "release: $src has no Environment=NODE_ENV=production line to put the key after" >&2; exit 1; }
      mkdir -p "$(dirname "$dest")"
      sed "s/^Environment=NODE_ENV=production\$/&\\nEnvironment=STALELA_CLOUD_ROOT_KEY=$key/" "$src" >"$dest"
      chmod 0644 "$dest"
    fi
    ;;
  *)
    echo "usage: stage-app.sh dist DIST_DIR DEST_DIR | unit SRC_UNIT DEST_UNIT" >&2
    exit 2
    ;;
esac
