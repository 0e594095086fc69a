# Shared by the load and experiment scripts: run the calling script inside a
# private user, network and PID namespace (root inside, only a loopback), then
# start an nginx of its own on that loopback. Source it first thing:
#     . "$(dirname "$0")/../ns_nginx.sh"
# Nothing here reaches the host's network, and nginx is stopped by its PID
# (lib.sh's cleanup). Exits 77 (skip) if namespaces, nginx or jq are missing.
if [ -z "${FL_IN_NAMESPACE:-}" ]; then
    FL_NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
    [ -x "$FL_NGINX_BIN" ] || { echo "skip: nginx is not installed (scripts/deps.sh)"; exit 77; }
    command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
    unshare -Urn true 2>/dev/null || { echo "skip: unprivileged user namespaces are not available"; exit 77; }
    export FL_IN_NAMESPACE=1 FL_NGINX_BIN
    # A PID namespace too: an attack that picks processes by name (process-
    # pause --name nginx) must see this script's nginx only, never another
    # test's or the host's.
    exec unshare -Urn --pid --fork --kill-child --mount-proc bash "$0" "$@"
fi

. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
ip link set lo up
PATH=$PATH:/usr/sbin

FL_NGINX_PORT=8080
FL_NGINX_URL="http://127.0.0.1:$FL_NGINX_PORT/index.html"

# Starts nginx as one process (no master, no daemon): the PID started here
# (FL_NGINX_PID) is the process that serves, so a test can freeze exactly it.
start_nginx() {
    local dir=$FL_TMP/nginx
    mkdir -p "$dir/www"
    printf 'hello, faultline\n' >"$dir/www/index.html"
    cat >"$dir/nginx.conf" <<CONF
user root root;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$FL_NGINX_PORT;
        root $dir/www;
    }
}
CONF
    fl_spawn "$FL_NGINX_BIN" -c "$dir/nginx.conf" -p "$dir"
    FL_NGINX_PID=$!
    if ! wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$FL_NGINX_PORT" 2>/dev/null; then
        cat "$dir/error.log" >&2 || true
        fail "nginx did not start"
        exit 1
    fi
    # The pid file must name the process started here.
    [ "$(cat "$dir/nginx.pid")" = "$FL_NGINX_PID" ] || { fail "nginx pid file disagrees"; exit 1; }
}
