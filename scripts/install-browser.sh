#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end browser tests (root only; skipped otherwise).
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium missing and cannot apt-get install it here"; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq chromium >/dev/null 2>&1 || { echo "apt-get install chromium failed"; exit 1; }
command -v chromium >/dev/null 2>&1
