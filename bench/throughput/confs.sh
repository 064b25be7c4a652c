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

# haproxy_conf FILE PORT UPSTREAM_PORT [FRONTEND_LINE] [BACKEND_LINE]: HAProxy in HTTP mode in front of the upstream,
# keep-alive both ways; at most 9,000 connections (the descriptor limit here is 20,000; HAProxy reserves two each).
haproxy_conf() {
  cat > "$1" <<CONF
global
  maxconn 9000
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 30s
  timeout http-keep-alive 300s
frontend f
  bind 127.0.0.1:$2
  ${4:-}
  default_backend b
backend b
  ${5:-}
  server s1 127.0.0.1:$3
CONF
}

# nginx_proxy_conf FILE PORT UPSTREAM_PORT PIDFILE LOGFILE PROCESS [LISTEN]: nginx as the proxy (upstream keep-alive
# 64); PROCESS: its process directives (`daemon on;`, or `daemon off; master_process off;`); LISTEN: one more listen.
nginx_proxy_conf() {
  cat > "$1" <<CONF
worker_processes 1; pid $4; error_log $5; $6
events { worker_connections 20000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  upstream app { server 127.0.0.1:$3; keepalive 64; }
  server { listen 127.0.0.1:$2 backlog=4096;${7:+ $7}
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
}
