#!/usr/bin/env bash
# Installs, from Debian's packages, the language runtimes that docs/snippets/snippets.test.ts
# runs the user-hash snippets with. Idempotent: packages already installed are not touched.
# Non-interactive (no stdin needed); a package that cannot be installed only prints a warning,
# since the snippet test itself reports which languages ran and fails below its minimum.
#
#   sudo scripts/install-snippet-runtimes.sh      (as root in CI: bash scripts/install-snippet-runtimes.sh)
set -u

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "install-snippet-runtimes: not root and no sudo; nothing installed" >&2; exit 0
  fi
fi

# One line per language: the packages it needs. Perl, openssl, bash, python3 and node are
# normally on the machine already; they are listed so a bare machine gets them too.
PACKAGES=(
  ruby                                  # Ruby (OpenSSL ext is part of Debian's libruby)
  php-cli                               # PHP (hash_hmac is core)
  golang-go                             # Go
  elixir erlang-crypto                  # Elixir (:crypto.mac needs erlang-crypto)
  perl                                  # Perl (Digest::SHA is a core module)
  openssl bash                          # shell
  python3                               # Python
  python3-cryptography                  # Python: the ES256 identity-token snippet (customer-held keys)
  kotlin                                # Kotlin (Debian's kotlinc; runs on the JDK below)
  mono-mcs mono-runtime                 # C# (Mono's compiler and runtime; .NET itself is not in Debian)
  lua5.4 lua-luaossl                    # Lua (luaossl's openssl.hmac)
  tcl tcllib                            # Tcl (tcllib's sha256 package has hmac)
  librust-hmac-dev librust-sha2-dev     # Rust: the hmac and sha2 crates as Debian ships them (sources
                                        # under /usr/share/cargo/registry); rustc/cargo come from the machine
)
# Java: only when no JDK is there already (the machine image usually ships openjdk 17).
command -v javac >/dev/null 2>&1 || PACKAGES+=(default-jdk-headless)
# Rust toolchain: only when none is there already.
command -v cargo >/dev/null 2>&1 || PACKAGES+=(cargo rustc)
# Node: only when none is there already (the project needs node >= 20 anyway).
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# python3/node/bash may come from elsewhere (pyenv, nvm): don't install Debian's copy for those.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    python3) command -v python3 >/dev/null 2>&1 && continue ;;
    bash) command -v bash >/dev/null 2>&1 && continue ;;
    openssl) command -v openssl >/dev/null 2>&1 && continue ;;
    perl) command -v perl >/dev/null 2>&1 && continue ;;
  esac
  filtered+=("$p")
done
missing=("${filtered[@]}")

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-snippet-runtimes: all runtimes already installed"
  exit 0
fi

echo "install-snippet-runtimes: installing ${missing[*]}"
apt_opts=(-y -q --no-install-recommends -o Dpkg::Use-Pty=0 -o APT::Color=0)
$SUDO apt-get update -qq </dev/null >/dev/null 2>&1 \
  || echo "install-snippet-runtimes: warning: apt-get update failed; trying with the lists there are" >&2

# All at once first (fast); if that fails, one by one so one bad package does not block the rest.
if ! $SUDO apt-get install "${apt_opts[@]}" "${missing[@]}" </dev/null >/tmp/install-snippet-runtimes.log 2>&1; then
  echo "install-snippet-runtimes: warning: batch install failed, retrying package by package (log: /tmp/install-snippet-runtimes.log)" >&2
  for p in "${missing[@]}"; do
    if ! $SUDO apt-get install "${apt_opts[@]}" "$p" </dev/null >>/tmp/install-snippet-runtimes.log 2>&1; then
      echo "install-snippet-runtimes: warning: could not install $p; its snippet will be reported as not run" >&2
    fi
  done
fi
echo "install-snippet-runtimes: done"
exit 0
