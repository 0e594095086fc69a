# --cgroup puts the workers in a cgroup, so the fault counts against its
# limits: a 100% cpu worker in a cgroup capped at 20% of a core gets ~20%.
# Creates (and removes) one child cgroup; skipped where that is not allowed.
. "$FL_TESTS/lib.sh"

cg=
for root in /sys/fs/cgroup/cpu /sys/fs/cgroup; do
    if [ -w "$root" ] && [ -e "$root/cgroup.procs" ] && mkdir "$root/faultline-test-$$" 2>/dev/null; then
        cg=$root/faultline-test-$$
        break
    fi
done
[ -n "$cg" ] || skip "cannot create a cgroup here"
cleanup_cg() { "$FAULTLINE" recover --all >/dev/null 2>&1 || true; sleep 0.2; rmdir "$cg" 2>/dev/null || true; }
trap 'cleanup_cg; fl_cleanup' EXIT
if [ -e "$cg/cpu.cfs_quota_us" ]; then
    echo 100000 >"$cg/cpu.cfs_period_us"
    echo 20000 >"$cg/cpu.cfs_quota_us"
elif [ -e "$cg/cpu.max" ]; then
    echo "20000 100000" >"$cg/cpu.max"
else
    skip "no cpu controller in $cg"
fi

"$FAULTLINE" attack cpu --load 100% --workers 1 --cgroup "$cg" --duration 20s --detach --json >"$FL_TMP/out.json"
pid=$(first_worker_pid "$FL_TMP/out.json")
check "the worker is in the cgroup" grep -q "faultline-test-$$" "/proc/$pid/cgroup"
share=$(cpu_share "$pid" 2)
echo "cpu share of a 100% worker in a cgroup capped at 20%: $share"
check "the cgroup's cap applies (0.15-0.25 of a core)" within "$share" 0.15 0.25
"$FAULTLINE" stop --all >/dev/null
check "the cgroup is empty after stop" wait_for 2 sh -c "test -z \"\$(cat '$cg/cgroup.procs')\""
finish
