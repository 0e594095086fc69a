#!/usr/bin/env bash
# Fuzzes the experiment parser for a bounded time:  tests/experiment/run-fuzz.sh 30
exec "$(dirname "$0")/../fuzz.sh" "${1:-30}" experiment
