# disk-fill on a 64M tmpfs in a private mount namespace reaches the target
# +- 2%, and the file is gone after rollback.
. "$FL_TESTS/lib.sh"
unshare -Urm true 2>/dev/null || skip "no user+mount namespaces"

unshare -Urm bash -euo pipefail -c '
    . "$FL_TESTS/lib.sh"
    mnt=$(mktemp -d)
    mount -t tmpfs -o size=64M tmpfs "$mnt"
    use() { df -P "$mnt" | awk "NR==2 { sub(\"%\", \"\", \$5); print \$5 }"; }
    "$FAULTLINE" attack disk-fill --path "$mnt" --percent 80% --duration 30s --detach
    pct=$(python3 -c "import os,sys; s=os.statvfs(sys.argv[1]); u=(s.f_blocks-s.f_bfree); print(round(100*u/(u+s.f_bavail),2))" "$mnt")
    echo "usage during the fault: $pct%"
    check "usage within 80% +- 2%" within "$pct" 78 82
    check "the fill file exists" test -n "$(ls "$mnt"/faultline-fill-*.tmp)"
    "$FAULTLINE" stop --all
    check "fill file removed" test -z "$(ls "$mnt")"
    check "usage back to ~0" test "$(use)" -le 1
    "$FAULTLINE" attack disk-fill --path "$mnt" --size 16M --duration 1s
    check "by size, file removed at expiry" test -z "$(ls "$mnt")"
    rc=$(rc_of "$FAULTLINE" attack disk-fill --path "$mnt" --percent 99% --duration 1s)
    check "99% refused by the default 2% reserve (exit 2)" test "$rc" -eq 2
    umount "$mnt"
    finish
'
