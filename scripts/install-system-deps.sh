#!/usr/bin/env bash
# Debian packages akte needs at run time (OCR, PDF tools, fonts) and for its tests (Chromium,
# PostgreSQL when none runs). Installs only what is missing; needs root (or sudo) for apt-get.
set -euo pipefail

want=(tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core)
# the citizen's receipt PDF (WeasyPrint): Pango lays out and HarfBuzz shapes the text;
# Noto covers Arabic, Farsi, Urdu (Naskh) and Tigrinya (Ethiopic)
want+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core)
# the German word list the search splits compounds with (search/compounds.py)
want+=(wngerman)
# the sRGB profile for the archive's PDF/A OutputIntent (ingest/pdfa.py)
want+=(icc-profiles-free)
# the portal's read-aloud audio for browsers without a voice (akte/web/speech.py): German,
# English, Arabic, Farsi, Urdu (espeak-ng has no Tigrinya voice)
want+=(espeak-ng)
# qpdf's command line: assembles the archive PDF page by page with flat memory
# (ingest/archive.py; without it pdfium assembles, holding the file in memory), and the
# baseline of the export bench (bench/export.py)
want+=(qpdf)
if [[ "${1:-}" == "--test" ]]; then
  want+=(chromium fonts-sil-abyssinica)
  # the LDAP server the directory-login tests start (tests/infra/ldap.py)
  want+=(slapd ldap-utils)
  # npm fetches axe-core for the accessibility checks; a Node.js install that bundles npm
  # (e.g. from nodesource) conflicts with Debian's npm package, so only add it when absent.
  command -v npm >/dev/null 2>&1 || want+=(npm)
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    want+=(postgresql)
  fi
fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
