# Shared by the ssm scripts: a private temp dir, the fake SSM endpoint on
# 127.0.0.1 (listener.py) and an AWS environment that reads nothing of this
# machine's (fixed example keys, region eu-west-1, no profile, no files).
# Source first:  . "$FL_TESTS/ssm_lib.sh" NAME   (NAME names the temp dir)
set -u
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import json' || exit 77
T=$(mktemp -d "/tmp/fl-ssm-$1.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Exits 77 (skip) without botocore's SSM model, which validate_requests.py needs.
need_botocore() {
    ls /usr/lib/python3/dist-packages/botocore/data/ssm/*/service-2.json >/dev/null 2>&1 ||
        { echo "python3-botocore missing"; exit 77; }
}

# start_listener NAME POLLS [MODE]: a listener logging to $T/NAME.log; sets
# PORT. FL_SSM_FAULTS, FL_SSM_ALARM, FL_SSM_NO_INSTANCES are read from the
# caller's environment (listener.py says what they do).
start_listener() {
    $PY "$FL_TESTS/listener.py" "$T/$1.port" "$T/$1.log" "$2" ${3:-} & PIDS+=($!)
    for _ in $(seq 100); do [ -s "$T/$1.port" ] && break; sleep 0.05; done
    PORT=$(cat "$T/$1.port")
    touch "$T/$1.log"
}

export HOME=$T AWS_CONFIG_FILE=$T/none AWS_SHARED_CREDENTIALS_FILE=$T/none
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_REGION=eu-west-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SSM FL_SSM_FAULTS FL_SSM_ALARM \
    FL_SSM_NO_INSTANCES
