#!/usr/bin/env bash
# Fill the seed form, convert the result to PDF with LibreOffice and render each page to PNG.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/perfxl-office}
rm -rf "$out" && mkdir -p "$out"
seed=$(ls samples/2020*自评表.xlsx | head -n 1)
perfxl fill "$seed" -o "$out" --no-report || true  # exit 1: the seed has errors, by design
filled=$(ls "$out"/*_自评结果.xlsx)
soffice "-env:UserInstallation=file://$out/profile" --headless --norestore --convert-to pdf --outdir "$out" "$filled" >/dev/null
pdftoppm -png -r 80 "$out"/*.pdf "$out/page"
ls "$out"/page*.png
