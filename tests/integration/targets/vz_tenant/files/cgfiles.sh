# shellcheck shell=bash
# Run with bash. cgfiles.sh read FILE...   prints "FILE :: content" per file (lines joined with "|"),
#                cgfiles.sh put FILE VALUE...  writes each VALUE to its FILE, in the order given.
set -eu
case "$1" in
  read) shift; for f in "$@"; do printf '%s :: %s\n' "$f" "$(tr '\n' '|' < "$f" 2>/dev/null || echo MISSING)"; done ;;
  put) shift; while [ "$#" -ge 2 ]; do printf '%s\n' "$2" > "$1"; shift 2; done ;;
esac
