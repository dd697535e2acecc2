#!/usr/bin/env bash
# Installs everything Fusion needs on a Debian 12 machine, idempotently:
#   1. pnpm at the version pinned in package.json (through npm), then the Node dependencies
#      from the committed lockfile;
#   2. Debian's chromium, where missing: the browser tests (demo/test) drive it headless
#      (puppeteer-core, no browser download; without a GPU its WebGPU runs on SwiftShader);
#   3. only where Dawn finds no WebGPU adapter: Mesa's software Vulkan driver (lavapipe) >= 24
#      from bookworm-backports (Debian 12's own Mesa 22.3 is rejected by Dawn).
# A machine with a working GPU adapter gets nothing of step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
say() { printf '[setup] %s\n' "$*"; }

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  say "installing pnpm $pnpm_version (npm install -g)"
  npm install -g --silent "pnpm@$pnpm_version"
else
  say "pnpm $pnpm_version already installed"
fi

say "installing Node dependencies from pnpm-lock.yaml"
pnpm install --frozen-lockfile --reporter=silent

chromium_bin="${FUSION_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium_bin" ]; then
  say "chromium already installed: $("$chromium_bin" --version 2>/dev/null || echo "$chromium_bin")"
else
  say "installing Debian's chromium (the browser tests run it headless)"
  as_root=""; [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
  say "installed $(/usr/bin/chromium --version 2>/dev/null)"
fi

if adapter=$(node packages/tensor/scripts/probe-adapter.mjs 2>/dev/null); then
  say "WebGPU adapter found, no driver to install: $adapter"
  exit 0
fi

say "no WebGPU adapter: installing Mesa's software Vulkan driver (lavapipe) from bookworm-backports"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # The mirror (or proxy) and keyring of the machine's own bookworm source, not a fixed URL.
  if ! source=$(bash scripts/debian-source.sh bookworm); then
    say "no enabled 'bookworm main' entry in /etc/apt/sources.list{,.d/*}: add bookworm-backports by hand (see https://backports.debian.org/Instructions/)" >&2
    exit 1
  fi
  say "adding /etc/apt/sources.list.d/bookworm-backports.sources ($(printf '%s' "$source" | head -1))"
  { printf 'Types: deb\n'; printf '%s\n' "$source" | grep '^URIs:'; printf 'Suites: bookworm-backports\nComponents: main\n'
    printf '%s\n' "$source" | grep -v '^Signed-By: *$' | grep '^Signed-By:' || true
  } | $sudo tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
say "installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"

if adapter=$(node packages/tensor/scripts/probe-adapter.mjs 2>/dev/null); then
  say "WebGPU adapter found: $adapter"
else
  say "still no WebGPU adapter after installing lavapipe; run 'node packages/tensor/scripts/probe-adapter.mjs' to see why" >&2
  exit 1
fi
