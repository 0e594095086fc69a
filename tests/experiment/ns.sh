# Helpers for the end-to-end experiment scripts: the namespace and nginx of
# tests/ns_nginx.sh, plus reading result documents.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../ns_nginx.sh"


# The state letter of a process (T = stopped).
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# r FILTER: a value from the last result document.
r() { jq -r "$1" "$OUT/result.json"; }
