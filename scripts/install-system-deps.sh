#!/usr/bin/env bash
# Installs what PDF certificates need (wkhtmltopdf, pdftotext, fonts for many scripts) on Debian/Ubuntu.
# Quiet and quick when all is there; never fails the caller, so `make run` works without PDF support.
set -uo pipefail

# DejaVu: Latin, Greek, Cyrillic, plain Arabic and Hebrew. Noto core: better Arabic and Hebrew faces.
# Noto CJK: Chinese (and Japanese and Korean). fontconfig: fc-list, used by the check below.
PACKAGES="wkhtmltopdf poppler-utils fontconfig fonts-dejavu-core fonts-noto-core fonts-noto-cjk"
COMMAND="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES"

has_fonts_for() {
  [ -n "$(fc-list ":lang=$1" family 2>/dev/null)" ]
}

if command -v wkhtmltopdf >/dev/null && command -v pdftotext >/dev/null && command -v fc-list >/dev/null \
   && has_fonts_for zh && has_fonts_for ar && has_fonts_for he; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-system-deps: not Debian/Ubuntu; install wkhtmltopdf, poppler-utils and fonts for Chinese, Arabic and Hebrew by hand."
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  run=(sh -c "$COMMAND")
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo -n sh -c "$COMMAND")
else
  echo "install-system-deps: PDF certificates need system packages. Run once:"
  echo "  sudo sh -c '$COMMAND'"
  exit 0
fi

echo "install-system-deps: installing $PACKAGES"
log="$(mktemp)"
if ! "${run[@]}" >"$log" 2>&1; then
  # Still not fatal: the rest of the site works, and rendering a PDF says what is missing.
  tail -n 20 "$log"
  echo "install-system-deps: the install failed (output above). To retry: sudo sh -c '$COMMAND'"
fi
rm -f "$log"
exit 0
