#!/usr/bin/env bash
# Installs what the catalog needs on a fresh Debian machine with Node 20:
# pnpm 10, the Debian Python ML stack (PyPI is not needed), and the workspace
# (whose `prepare` step builds every package). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != "10" ]; then
  echo "setup: installing pnpm 10"
  npm install -g pnpm@10 >/dev/null
fi

# Debian's /usr/bin/python3 carries these; the CLI finds that interpreter itself.
packages=(python3-torch python3-torchvision python3-numpy python3-pil python3-sklearn python3-pandas python3-crc32c)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: pnpm install"
pnpm install --frozen-lockfile
