#!/usr/bin/env bash
# The browser tests need Debian's chromium (Playwright's own browser download does not work
# offline), and the visualiser's Chinese labels need a CJK font. Installs both when missing;
# needs root (CI runs as root) or sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing Debian's chromium and a CJK font (fonts-noto-cjk) for the visualiser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium fonts-noto-cjk >/dev/null
/usr/bin/chromium --version
