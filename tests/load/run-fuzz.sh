#!/usr/bin/env bash
# Fuzzes HTTP response parsing for a bounded time:  tests/load/run-fuzz.sh 30
exec "$(dirname "$0")/../fuzz.sh" "${1:-30}" http_response
