#!/usr/bin/env bash
# Run by `npm test` before the tests: installs, from Debian's packages, what the tests need
# beyond npm (language runtimes for the snippet test, nginx for the load-balancer test).
# Idempotent and quick when everything is there; as a non-root user without sudo it installs
# nothing and the tests that need those programs say what is missing.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-snippet-runtimes.sh"
bash "$here/install-test-packages.sh"
exit 0
