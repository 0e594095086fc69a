# kill -9 at random points, 20 trials over the resource attacks, each
# followed by `faultline recover`: no hog process, no fill or io file, no
# stopped process. Then the same for detached faults whose supervisor is
# killed, and the guardian's own rollback without any recover.
. "$FL_TESTS/lib.sh"

name=zzvictim$$
cp "$(command -v sleep)" "$FL_TMP/$name"
mkdir -p "$FL_TMP/fill"

# Processes of ours still alive: fl-* workers carry our journal dir in their
# environment (they are forks of faultline, which inherited it).
leftover_procs() {
    local p
    for p in /proc/[0-9]*; do
        grep -qz "^FAULTLINE_STATE_DIR=$FAULTLINE_STATE_DIR\$" "$p/environ" 2>/dev/null || continue
        case "$(cat "$p/comm" 2>/dev/null)" in
        fl-*) grep -q ') Z' "$p/stat" 2>/dev/null || echo "${p#/proc/}:$(cat "$p/comm")" ;;
        esac
    done
}

attack_args() { # kind -> args
    case $1 in
    cpu) echo "cpu --workers 2 --load 60%" ;;
    memory) echo "memory --size 64M" ;;
    disk-fill) echo "disk-fill --path $FL_TMP/fill --size 8M" ;;
    io-stress) echo "io-stress --path $FL_TMP/fill --workers 2 --size 4M --block 64K" ;;
    process-pause) echo "process-pause --pid $victim" ;;
    esac
}

clean_after() { # label
    local label=$1 procs files state
    procs=$(leftover_procs)
    files=$(ls "$FL_TMP/fill")
    state=$(awk '{ print $3 }' "/proc/$victim/stat")
    if [ -z "$procs" ] && [ -z "$files" ] && [ "$state" != T ] && [ "$(journal_count)" -eq 0 ]; then
        pass "$label: clean"
    else
        fail "$label: procs=[$procs] files=[$files] victim=$state journal=$(journal_count)"
    fi
}

first_record() { find "$FAULTLINE_STATE_DIR/faults" -name '*.json' 2>/dev/null | head -1; }
owner_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["owner"]["pid"])' "$1" 2>/dev/null; }

fl_spawn "$FL_TMP/$name" 600
victim=${FL_PIDS[-1]}
kinds=(cpu memory disk-fill io-stress process-pause)
trial=0
for round in 1 2 3 4; do
    for kind in "${kinds[@]}"; do
        trial=$((trial + 1))
        # shellcheck disable=SC2046
        "$FAULTLINE" attack $(attack_args "$kind") --duration 30s >/dev/null 2>&1 &
        cli=$!
        wait_for 10 sh -c "test -n \"\$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json' 2>/dev/null)\"" || true
        sleep "0.$((RANDOM % 400))"
        rec=$(first_record)
        # Alternate the victim of kill -9: the CLI, or the supervisor it started.
        if [ $((trial % 2)) -eq 0 ] && [ -n "$rec" ] && sup=$(owner_of "$rec") && [ -n "$sup" ]; then
            who="supervisor"
            kill -9 "$sup" 2>/dev/null || true
        else
            who="cli"
            kill -9 "$cli" 2>/dev/null || true
        fi
        wait "$cli" 2>/dev/null || true
        "$FAULTLINE" recover >/dev/null
        wait_for 3 sh -c "true" # give killed workers a moment to be reaped
        clean_after "trial $trial: $kind, kill -9 $who, then recover"
    done
done

# Detached: kill -9 the supervisor and the guardian, then recover.
for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2046
    "$FAULTLINE" attack $(attack_args "$kind") --duration 60s --detach --json >"$FL_TMP/d.json"
    rec=$(first_record)
    sup=$(owner_of "$rec")
    guard=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["guardian"]["pid"])' "$rec")
    kill -9 "$guard" "$sup"
    out=$("$FAULTLINE" status 2>&1)
    check "detached $kind: the next command says it rolled back the orphan" grep -q "rolled back fault" <<<"$out"
    clean_after "detached $kind, supervisor and guardian killed"
done

# Detached: kill -9 the supervisor only; the guardian rolls back by itself.
for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2046
    "$FAULTLINE" attack $(attack_args "$kind") --duration 60s --detach >/dev/null
    sup=$(owner_of "$(first_record)")
    kill -9 "$sup"
    check "detached $kind: guardian rolls back within 2s without recover" \
        wait_for 2 sh -c "test \$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json' | wc -l) -eq 0"
    clean_after "detached $kind, supervisor killed, guardian rolled back"
done
finish
