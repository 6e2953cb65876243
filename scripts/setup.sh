#!/usr/bin/env bash
# Set up everything the assistant needs on a fresh Debian machine; quick when nothing changed.
# Steps are stamped by a hash of their inputs under var/stamps/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/stamps

stamp_ok() { [ -f "var/stamps/$1" ] && [ "$(cat "var/stamps/$1")" = "$2" ]; }
stamp_set() { echo "$2" > "var/stamps/$1"; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- Debian packages --------------------------------------------------------
apt_hash=$(hash_of scripts/apt-packages.txt)
if ! stamp_ok apt "$apt_hash"; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < <(grep -v '^#' scripts/apt-packages.txt)
  if [ ${#missing[@]} -gt 0 ]; then
    echo ">> installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  stamp_set apt "$apt_hash"
fi

# --- interpreters -------------------------------------------------------------
find_python() {  # $1 = major.minor
  local candidate
  for candidate in "$(command -v pyenv >/dev/null && pyenv root)/versions/$1".*/bin/python \
                   "$HOME/.pyenv/versions/$1".*/bin/python "$(command -v "python$1" || true)"; do
    [ -x "$candidate" ] && "$candidate" -c 'import venv' 2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

# --- .venv-rasa (Python 3.10, Rasa 3.6) ------------------------------------------
rasa_hash=$(hash_of requirements/rasa.txt)
if ! stamp_ok venv-rasa "$rasa_hash" || [ ! -x .venv-rasa/bin/rasa ]; then
  py310=$(find_python 3.10) || { echo "!! Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10.13') and run make again." >&2; exit 1; }
  echo ">> creating .venv-rasa with $py310"
  [ -x .venv-rasa/bin/python ] || "$py310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q --upgrade "pip<25" wheel
  .venv-rasa/bin/pip install -q -r requirements/rasa.txt
  stamp_set venv-rasa "$rasa_hash"
fi

# --- .venv (Python 3.11, the app) -------------------------------------------------
app_hash=$(hash_of requirements/app.txt)
if ! stamp_ok venv "$app_hash" || [ ! -x .venv/bin/python ]; then
  py311=$(find_python 3.11) || { echo "!! The app needs Python 3.11: install it (e.g. 'pyenv install 3.11.7') and run make again." >&2; exit 1; }
  echo ">> creating .venv with $py311"
  [ -x .venv/bin/python ] || "$py311" -m venv .venv
  .venv/bin/pip install -q --upgrade pip wheel
  # The CPU build of torch first, so nothing can pull a CUDA build in its place.
  .venv/bin/pip install -q torch==2.13.0
  .venv/bin/pip install -q -r requirements/app.txt
  stamp_set venv "$app_hash"
fi

# --- state: database, knowledge index, Rasa model ---------------------------------
.venv/bin/python -m assistant migrate
if [ -f knowledge/__main__.py ]; then
  .venv/bin/python -m knowledge build
fi
.venv/bin/python -m assistant train >/dev/null
echo ">> set-up complete"
