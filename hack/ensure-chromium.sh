#!/usr/bin/env bash
# Makes sure Debian's chromium (driven by Playwright in the browser tests) and a
# Japanese font (so the ja Sorry page renders real glyphs, not boxes) are
# installed. Idempotent: does nothing when both are already there.
# Called by `make chromium`; needs root (apt-get) only when something is missing.
set -euo pipefail

have_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja family 2>/dev/null | head -n1)" ]
}

if [ -x /usr/bin/chromium ] && have_cjk_font; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium or a Japanese font is missing; run this script as root to apt-get install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Quiet when it works; the whole apt output when it does not.
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }; }

quiet apt-get update -qq

# A small Japanese font (IPA Gothic, a few MB) when Debian has it; Noto CJK
# (much larger) otherwise.
font=fonts-noto-cjk
for candidate in fonts-ipafont-gothic fonts-vlgothic; do
  if apt-cache show "$candidate" >/dev/null 2>&1; then
    font=$candidate
    break
  fi
done

quiet apt-get install -y -qq --no-install-recommends chromium "$font"
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
  exit 1
fi
