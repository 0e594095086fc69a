#!/bin/bash
# Every generated SSM document is valid YAML and JSON with schemaVersion 2.2;
# every allowedPattern rejects hostile values and agrees with faultline's own
# validation (attack --dry-run) on a table of values.
set -u
command -v python3 >/dev/null || exit 77
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing"; exit 77; }
exec python3 "$FL_TESTS/check_documents.py" "$FAULTLINE"
