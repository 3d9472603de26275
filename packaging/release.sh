#!/usr/bin/env bash
# `npm run release`: builds release/stalela_<version>_amd64.deb, an offline Debian package with its own
# pinned Node runtime (packaging/runtime), the production dependencies built for that runtime, the CLI,
# the systemd unit, the udev rule and the /etc/stalela/daemon.env conffile. docs/INSTALL.md says what it
# holds and how a technician installs it; test/install/ installs it and runs the guide.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=$(node -p 'require("./package.json").version')
arch=amd64
[ "$(uname -m)" = x86_64 ] || { echo "release: builds amd64 on x86_64 only (arm64: docs/INSTALL.md)" >&2; exit 2; }
out="$root/release"
stage="$out/stage/stalela_${version}_${arch}"
deb="$out/stalela_${version}_${arch}.deb"
lib="$stage/usr/lib/stalela"

# 1. The runtime the package ships: the official Node 24 LTS binary, pinned with its integrity hash.
runtime="$root/packaging/runtime/node_modules/node-24"
pinned=$(node -p 'require("./packaging/runtime/package-lock.json").packages["node_modules/node-24"].version')
if [ "$("$runtime/bin/node" --version 2>/dev/null)" != "v$pinned" ]; then
  npm ci --prefix packaging/runtime --no-bin-links --ignore-scripts --no-audit --no-fund >/dev/null
fi
runtime_version=$("$runtime/bin/node" --version)

# 2. The application: compiled JavaScript (version-independent), without the benchmarks and without
# the test-only crash hook (packaging/stage-app.sh, RELEASE_EXCLUDED).
npm run build >/dev/null
rm -rf "$out/stage" "$deb" "$deb.sha256"
mkdir -p "$lib/app" "$lib/node/bin"
cp package.json package-lock.json "$lib/app/"
mkdir -p "$lib/app/packaging" "$lib/app/dist"
cp -r packaging/npm "$lib/app/packaging/"
bash packaging/stage-app.sh dist dist "$lib/app/dist"

# 3. Production dependencies only, native modules compiled against the shipped runtime's headers
# (npm's nodedir, which this machine points at the system Node's). node-pty, the emulator's optional
# PTY link, stays out: the installed emulator serves TCP only.
(
  cd "$lib/app"
  PATH="$runtime/bin:$PATH" npm_config_nodedir="$runtime" \
    npm ci --omit=dev --omit=optional --no-audit --no-fund --loglevel=error >/dev/null
)
PATH="$runtime/bin:$PATH" node -e '
  const load = require("node:module").createRequire(`${process.argv[1]}/`);
  new (load("better-sqlite3"))(":memory:").prepare("select 1").get();
  load("@serialport/bindings-cpp").autoDetect();
  load("usb");
  load("node-hid").devices();
' "$lib/app"
# What only building needed: compiler inputs and objects, other platforms' prebuilt binaries.
rm -rf "$lib/app/node_modules/better-sqlite3/deps" "$lib/app/node_modules/better-sqlite3/src" \
  "$lib/app/node_modules/better-sqlite3/build/Release/obj" "$lib/app/node_modules/better-sqlite3/build/Release/.deps" \
  "$lib/app/node_modules/better-sqlite3/build/deps" "$lib/app/node_modules/better-sqlite3/build/Release/obj.target"
find "$lib/app/node_modules" -type d -path '*/prebuilds/*' \
  ! -name '*linux-x64' ! -name 'prebuilds' -prune -exec rm -rf {} +
find "$lib/app/node_modules" -type d -path '*/prebuilds/*musl*' -prune -exec rm -rf {} +
find "$lib/app/node_modules" -name '*.musl.node' -delete
rm -f "$lib/app/node_modules/better-sqlite3/build/Release/test_extension.node"

cp "$runtime/bin/node" "$lib/node/bin/node"
cp "$runtime/LICENSE" "$lib/node/LICENSE"

# 4. The command, the service, the device rule, the settings and the documents.
install -D -m 0755 packaging/stalela.sh "$stage/usr/bin/stalela"
# The daemon's unit carries the release's pinned cloud root key (STALELA_RELEASE_CLOUD_ROOT_KEY or
# packaging/cloud-root.pub), or none: docs/INSTALL.md §Packaging.
bash packaging/stage-app.sh unit packaging/stalela-daemon.service "$stage/usr/lib/systemd/system/stalela-daemon.service"
install -D -m 0644 packaging/stalela-emulator.service "$stage/usr/lib/systemd/system/stalela-emulator.service"
install -D -m 0644 udev/99-stalela-def.rules "$stage/usr/lib/udev/rules.d/99-stalela-def.rules"
install -D -m 0640 packaging/daemon.env "$stage/etc/stalela/daemon.env"
mkdir -p "$stage/usr/share/doc/stalela"
cp docs/*.md README.md "$stage/usr/share/doc/stalela/"
# The French guides and the receipt images, where the documents' relative links find them.
mkdir -p "$stage/usr/share/doc/stalela/fr" "$stage/usr/share/doc/stalela/receipts"
cp docs/fr/*.md "$stage/usr/share/doc/stalela/fr/"
cp docs/receipts/*.png "$stage/usr/share/doc/stalela/receipts/"
install -D -m 0644 packaging/debian/copyright "$stage/usr/share/doc/stalela/copyright"

# The shared libraries those binaries need decide Depends: (packaging/debian/control): the newest
# symbol versions are GLIBC_2.34 and GLIBCXX_3.4.29 (better-sqlite3 built on Debian 12).

# 5. Package metadata and maintainer scripts.
mkdir -p "$stage/DEBIAN"
installed_kib=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kib/" \
  -e "s/@NODE_VERSION@/$runtime_version/" packaging/debian/control >"$stage/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$stage/DEBIAN/$script"; done

dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$out/stage"
(cd "$out" && sha256sum "$(basename "$deb")" >"$(basename "$deb").sha256")
echo "$deb ($(du -h "$deb" | cut -f1), Node $runtime_version)"
