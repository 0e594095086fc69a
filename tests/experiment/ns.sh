# Helpers for the end-to-end experiment scripts: re-run the calling script
# inside `unshare -Urn` (root inside, only a loopback), start an nginx of its
# own there, and read result documents. Only loopback traffic in that
# namespace; nginx is stopped by the PID started here (lib.sh cleanup).
if [ -z "${FL_EXP_IN_NAMESPACE:-}" ]; then
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "skip: nginx is not installed (scripts/deps.sh)"; exit 77; }
    command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
    unshare -Urn true 2>/dev/null || { echo "skip: unprivileged user namespaces are not available"; exit 77; }
    export FL_EXP_IN_NAMESPACE=1
    exec unshare -Urn bash "$0" "$@"
fi
FL_EXP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$FL_EXP_TESTS/../lib.sh"
ip link set lo up
PATH=$PATH:/usr/sbin

# Starts nginx as one process (no master): the process that serves is the
# one a process-pause step freezes.
start_nginx() {
    local dir=$FL_TMP/nginx
    mkdir -p "$dir/www"
    printf 'hello, experiment\n' >"$dir/www/index.html"
    cat >"$dir/nginx.conf" <<CONF
user root root;
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body; proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
    server { listen 127.0.0.1:8080; root $dir/www; }
}
CONF
    fl_spawn nginx -c "$dir/nginx.conf" -p "$dir"
    NGINX_PID=$!
    wait_for 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' 2>/dev/null || { cat "$dir/error.log" >&2; fail "nginx did not start"; exit 1; }
}

# The state letter of a process (T = stopped).
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# r FILTER: a value from the last result document.
r() { jq -r "$1" "$OUT/result.json"; }
