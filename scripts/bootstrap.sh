# Sourced by scripts/serve and scripts/test: makes sure everything the project needs is installed.
# Only Python 3.11 is assumed. The virtual environment lives outside the repository, keyed on
# pyproject.toml, so a fresh clone (CI) reuses it instead of downloading torch again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LAYERLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/layerlab}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

log() { printf '[layerlab] %s\n' "$*" >&2; }

pip_install() {
    # pip's log goes to a file (this machine's pip config adds one warning per package about
    # absent local indexes); it is shown only when pip fails.
    if ! "$VENV/bin/python" -m pip install --quiet "$@" >"$VENV/pip.log" 2>&1; then
        grep -v "is ignored" "$VENV/pip.log" >&2
        log "pip install $* failed"
        exit 1
    fi
}

ensure_venv() {
    # One environment for serving, testing and benchmarking: the dependencies and every extra of
    # pyproject.toml. The key is the dependency list itself and the Python version, so editing
    # tool settings there reuses the venv, and scripts/serve after scripts/test builds nothing.
    local requirements key
    requirements=$("$PYTHON" - "$ROOT/pyproject.toml" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
deps = list(project["dependencies"])
for extra in sorted(project.get("optional-dependencies", {})):
    deps += project["optional-dependencies"][extra]
print("\n".join(deps))
PY
)
    key=$( { echo "$requirements"; "$PYTHON" --version; } | sha256sum | cut -c1-16)
    VENV="$CACHE/venv-$key"
    if [ ! -f "$VENV/.complete" ]; then
        log "creating virtual environment $VENV (torch is large: a few minutes the first time)"
        rm -rf "$VENV"
        mkdir -p "$CACHE"
        "$PYTHON" -m venv "$VENV"
        pip_install --upgrade pip
        # Install the project's dependencies, not the project itself: the code runs from this
        # checkout, so one cached environment serves every clone.
        echo "$requirements" >"$VENV/requirements.txt"
        pip_install -r "$VENV/requirements.txt"
        touch "$VENV/.complete"
    fi
    export PATH="$VENV/bin:$PATH"
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
}

ensure_frontend() {
    # Browser libraries (uPlot for curves, Swagger UI for /docs) come from the npm registry, pinned by package-lock.json,
    # and are served by the app from node_modules: no CDN, nothing vendored in git.
    if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || \
       [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
        if command -v npm >/dev/null 2>&1; then
            log "installing front-end packages (npm ci)"
            (cd "$ROOT" && npm ci --ignore-scripts --silent --no-audit --no-fund)  # no install scripts: plain files only (skips @scarf telemetry)
        else
            log "npm not found: charts will not draw until 'npm ci' has run"
        fi
    fi
}

ensure_chromium() {
    # Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here.
    # fonts-wqy-zenhei: a CJK font, without which Chinese pages screenshot as empty boxes.
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -d /usr/share/fonts/truetype/wqy ] || missing+=(fonts-wqy-zenhei)
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "installing ${missing[*]} from Debian's packages"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            log "${missing[*]} missing and cannot be installed here (not root or no apt-get)"
        fi
    fi
}

ensure_cifar10_sample() {
    # The development copy of CIFAR-10 (ImageFolder layout) from ../shared/data, extracted once
    # into the cache. Tests and benches use it when present; the app never needs it.
    local archive="$ROOT/../shared/data/cifar10-jpeg.tar.gz"
    if [ -f "$archive" ] && [ ! -f "$CACHE/cifar10-jpeg/.complete" ]; then
        log "extracting $archive into $CACHE"
        rm -rf "$CACHE/cifar10-jpeg"
        mkdir -p "$CACHE"
        tar -xzf "$archive" -C "$CACHE"
        touch "$CACHE/cifar10-jpeg/.complete"
    fi
    if [ -f "$CACHE/cifar10-jpeg/.complete" ]; then
        export LAYERLAB_DEV_CIFAR10_DIR="$CACHE/cifar10-jpeg"
    fi
}
