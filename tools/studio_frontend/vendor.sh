#!/bin/sh
# Copy the npm-installed front-end libraries into the package (glassnet/studio/static/vendor).
# Usage: cd tools/studio_frontend && npm ci && sh vendor.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target="$here/../../glassnet/studio/static/vendor/uplot"
source="$here/node_modules/uplot"
if [ ! -d "$source" ]; then
    echo "node_modules/uplot is missing: run 'npm ci' in $here first" >&2
    exit 1
fi
mkdir -p "$target"
cp "$source/dist/uPlot.iife.min.js" "$target/uPlot.iife.min.js"
cp "$source/dist/uPlot.min.css" "$target/uPlot.min.css"
cp "$source/LICENSE" "$target/LICENSE"
version=$(node -p "require('$source/package.json').version")
echo "$version" > "$target/VERSION"
echo "vendored uPlot $version into $target"
