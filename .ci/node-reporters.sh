#!/usr/bin/env bash
# jest, Playwright's test runner and the official Qase reporters for both, for the reporter
# fidelity tests (Playwright runs there without a browser: none is downloaded).
#
#   eval "$(bash .ci/node-reporters.sh)"   # npm-installs them once, then prints:
#                                          # export QASE_FIDELITY_NODE_MODULES=DIR/node_modules
#
# Only the export line goes to stdout; progress goes to stderr. The packages live in
# $QASE_CI_NODE_DIR (default: $TMPDIR/qase-async-ci-node); without node and npm the script
# fails and the JavaScript fidelity test skips, saying why.
set -euo pipefail

DIR="${QASE_CI_NODE_DIR:-${TMPDIR:-/tmp}/qase-async-ci-node}"

log() { echo "node-reporters.sh: $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "node and npm are needed"
    exit 1
fi
PACKAGES=(jest@29 jest-qase-reporter@latest @playwright/test@latest playwright-qase-reporter@latest)
missing=0
for dir in jest jest-qase-reporter @playwright/test playwright-qase-reporter; do
    [ -d "$DIR/node_modules/$dir" ] || missing=1
done
if [ "$missing" = 1 ]; then
    mkdir -p "$DIR"
    [ -f "$DIR/package.json" ] || echo '{"name": "qase-async-fidelity", "private": true}' > "$DIR/package.json"
    log "installing ${PACKAGES[*]} into $DIR"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$DIR" --no-audit --no-fund \
        --loglevel=error "${PACKAGES[@]}" >&2
fi
echo "export QASE_FIDELITY_NODE_MODULES=$DIR/node_modules"
