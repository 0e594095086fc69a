# Helpers for the load scripts: the namespace and nginx of tests/ns_nginx.sh.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../ns_nginx.sh"

# json FILE FILTER: one value from a JSON file.
json() { jq -r "$2" "$1"; }
