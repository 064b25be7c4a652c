# The configurations the data-path benchmarks share (sourced by throughput.sh, ab.sh and stop-ab.sh).

# upstream_conf FILE PORT PIDFILE LOGFILE: nginx answering ~100 bytes to every request, keep-alive unbounded.
upstream_conf() {
  cat > "$1" <<CONF
worker_processes 1; pid $3; error_log $4; daemon on;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$2 backlog=4096; keepalive_requests 10000000;
  location / { return 200 "hello from the upstream, a body of about one hundred bytes for every request here\n"; } } }
CONF
}

# gateway_conf FILE PORT UPSTREAM_PORT SOCKET [EXTRA]: one listener on PORT (admin on PORT + 1) routing everything to
# the upstream; EXTRA: more lines inside gateway { }.
gateway_conf() {
  cat > "$1" <<CONF
gateway {
  listeners.public { address = "127.0.0.1:$2" }
  admin.address = "127.0.0.1:$(( $2 + 1 ))"
  upstreams.app { endpoints = ["127.0.0.1:$3"] }
  routes.app { listener = public, path-prefix = "/", upstream = app }
  hot-restart.socket = "$4"
  ${5:-}
}
CONF
}
