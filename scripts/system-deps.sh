#!/usr/bin/env bash
# Installs the Debian packages Bilim needs, when missing (root or sudo).
#   scripts/system-deps.sh            everything: the tests' and scale-out's too (CI, developers)
#   scripts/system-deps.sh --runtime  only what the running application needs (`make demo`)
set -euo pipefail
need=()
# PDF reports (WeasyPrint): Pango lays out the text, DejaVu Sans carries every Kazakh letter (ә ғ қ ң ө ұ ү һ і)
ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${1:-}" != "--runtime" ]; then
  command -v java >/dev/null || need+=(default-jre-headless)
  command -v chromium >/dev/null || need+=(chromium)
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  command -v msgfmt >/dev/null || need+=(gettext)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
