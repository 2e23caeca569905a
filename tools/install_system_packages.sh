#!/usr/bin/env bash
# Installs the Debian packages the book and its tests use, when this machine can:
#   dataset-fashion-mnist  the real Fashion-MNIST files, read offline by later chapters;
#   chromium               the headless browser that checks the rendered book;
#   npm                    (only if no npm is on PATH) to vendor the pages' JavaScript;
#   python3-venv           (only if python3 cannot create a virtual environment).
# Skips with a clear message (and exit 0) where it cannot: not Debian, or neither root nor
# password-less sudo. Idempotent: installs only what is missing.
set -u
packages=(dataset-fashion-mnist chromium)
command -v npm >/dev/null 2>&1 || packages+=(npm)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian machine; install ${missing[*]} by hand (chapters fall back where they can)."
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "note: no root and no password-less sudo; skipping Debian packages: ${missing[*]}."
  echo "      Run 'sudo apt-get install ${missing[*]}' to get them."
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
if ! { "${sudo[@]}" apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "note: apt-get could not install ${missing[*]}; continuing without them."
fi
exit 0
