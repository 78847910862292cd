#!/usr/bin/env bash
# Build the docs site of the installed collection into OUT (make docs):
#   build.sh OUT
# antsibull-docs writes the module and role pages (from their DOCUMENTATION and argument
# specs) and the guides of docs/docsite; sphinx builds them with warnings as errors.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
rm -rf "$out"
mkdir -p "$out/rst"
chmod 700 "$out" "$out/rst"  # antsibull-docs wants its directories writable by itself only
cp "$here/conf.py" "$out/"
python "$here/inventory.py" "$out"
antsibull-docs --config-file "$here/antsibull-docs.cfg" collection --cleanup everything \
    --fail-on-error --use-current --dest-dir "$out/rst" ncloud.archive
cp "$here/index.rst" "$out/rst/index.rst"
sphinx-build -M html "$out/rst" "$out/build" -c "$out" -q -W --keep-going
