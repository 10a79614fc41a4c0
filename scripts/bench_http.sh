#!/usr/bin/env bash
# Benchmarks the volume server's HTTP data path side by side with nginx:
# builds Release, starts a master, a volume server and nginx on loopback,
# runs warehouse-http-bench, prints its table, and stops everything.
# docs/benchmarks.md ("Data path over HTTP") records results.
#
#   scripts/bench_http.sh              full run: 5 s rows, a 4 GiB stream
#   scripts/bench_http.sh --quick      smoke run: 1 s rows, a 256 MiB stream
#   scripts/bench_http.sh --fake-master
#       the volume server reports to warehouse-http-bench fake-master, which
#       records uploads without a metadata commit, instead of to
#       warehouse-master (whose BeginUpload then also signs the PUT urls)
#   scripts/bench_http.sh --sdk
#       end to end through the SDK as well (warehouse-bench sdk, 1 KiB and
#       1 MiB at 1 and 16 threads) against the same cluster, after direct
#       rows of the same sizes and concurrency and no stream, and a table of
#       the three side by side with the SDK's targets
#   scripts/bench_http.sh -- ARGS      extra arguments for warehouse-http-bench run
#
# Environment: WAREHOUSE_BENCH_BUILD (build dir, default build-release),
# WAREHOUSE_BENCH_DIR (where both servers keep their data; default $TMPDIR
# or /tmp: put it on the disk you want to measure).
#
# nginx stores each object as its own file (WebDAV PUT: a temporary file,
# then a rename) and never calls fsync; the volume server appends needles
# and acknowledges a PUT only after a (group) fdatasync and the master's
# record of the upload.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

quick=0
fake=0
sdk=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --fake-master) fake=1 ;;
    --sdk) sdk=1 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--quick] [--fake-master | --sdk] [-- warehouse-http-bench run args]" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  seconds=1
  stream=256M
  row_bytes=256M
  run_limit=240
else
  seconds=5
  stream=4G
  row_bytes=2G
  run_limit=1200
fi
http_rows=()
if [ "$sdk" = 1 ]; then
  if [ "$fake" = 1 ]; then
    echo "--sdk goes through the real master; leave out --fake-master" >&2
    exit 2
  fi
  stream=0
  http_rows=(--sizes 1K 1M --small-connections 1 16 --large-connections 1 16)
fi

warehouse_install_deps nginx

build="${WAREHOUSE_BENCH_BUILD:-build-release}"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DWAREHOUSE_BUILD_TESTS=OFF >/dev/null
fi
if ! grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt"; then
  echo "$build is not a Release build; set WAREHOUSE_BENCH_BUILD to another directory" >&2
  exit 2
fi
cmake --build "$build" -j 2 --target warehouse-master warehouse-volume \
  warehouse-http-bench warehouse-bench
master_bin="$build/master/warehouse-master"
volume_bin="$build/volume/warehouse-volume"
bench_bin="$build/tools/warehouse-http-bench"
sdk_bench_bin="$build/tools/warehouse-bench"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

work="$(mktemp -d "${WAREHOUSE_BENCH_DIR:-${TMPDIR:-/tmp}}/warehouse-http-bench.XXXXXX")"
pids=()
cleanup() {
  local status=$? pid log
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*.log "$work"/nginx/error.log; do
      [ -s "$log" ] || continue
      echo "--- tail of $log" >&2
      tail -20 "$log" >&2
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Prints the first line of file $1 matching $2, waiting up to $3 seconds.
wait_for_line() {
  local file="$1" pattern="$2" limit="$3" line
  for _ in $(seq $((limit * 10))); do
    line="$(grep -m1 -- "$pattern" "$file" 2>/dev/null || true)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    sleep 0.1
  done
  echo "no '$pattern' in $file after ${limit}s:" >&2
  tail -20 "$file" >&2
  return 1
}

# Both servers keep their data on the same disk. The full run writes up
# to ~6 row-bytes per server plus the streamed object; shrink the stream
# when the disk cannot hold it.
avail_kib="$(df -Pk "$work" | awk 'NR==2 {print $4}')"
if [ "$quick" = 0 ]; then
  need_kib=$(( (12 * 2 + 4 + 2) * 1024 * 1024 ))
  if [ "$avail_kib" -lt "$need_kib" ]; then
    spare_gib=$(( avail_kib / 1024 / 1024 - 26 ))
    if [ "$spare_gib" -lt 1 ]; then
      echo "not enough free space in $work for a full run; try --quick" >&2
      exit 1
    fi
    stream="${spare_gib}G"
    echo "only $((avail_kib / 1024 / 1024)) GiB free: streaming $stream instead of 4G"
  fi
fi

echo "== machine"
echo "nproc: $(nproc); $(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
df -T "$work" | sed 's/^/  /'
"$nginx_bin" -v 2>&1 | sed 's/^/  /'
echo "warehouse: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

key="k1:$(openssl rand -hex 32)"
export WAREHOUSE_CLUSTER_KEY="$key"

master_args=()
if [ "$fake" = 1 ]; then
  # The stand-in (tools/http_bench_fake_master.h): registers the server,
  # has it create volumes 1-4, records every upload at once.
  "$bench_bin" fake-master --listen 127.0.0.1:0 --volumes 1 2 3 4 \
    >"$work/master.log" 2>&1 &
  master_pid=$!
  pids+=($master_pid)
  master="$(wait_for_line "$work/master.log" "serving on" 20 | awk '{print $NF}')"
else
  mkdir -p "$work/master"
  "$master_bin" --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --db "$work/master/meta.db" --schema --heartbeat-interval 1s \
    --log-level warn >"$work/master.log" 2>&1 &
  master_pid=$!
  pids+=($master_pid)
  master="$(wait_for_line "$work/master.log" "serving gRPC on" 30 |
    sed 's/.*serving gRPC on \([^,]*\),.*/\1/')"
  "$master_bin" key create --role admin --description http-bench \
    --db "$work/master/meta.db" >"$work/key.txt"
  WAREHOUSE_ACCESS_KEY="$(awk '/^access_key_id:/ {print $2}' "$work/key.txt")"
  WAREHOUSE_SECRET_KEY="$(awk '/^secret_access_key:/ {print $2}' "$work/key.txt")"
  export WAREHOUSE_ACCESS_KEY WAREHOUSE_SECRET_KEY
  master_args=(--master "$master")
fi

"$volume_bin" --master "$master" --dir "$work/warehouse" --port 0 \
  --admin-listen 127.0.0.1:0 --volume-size 8G --sync group \
  --heartbeat-interval 1 --log-level warn >"$work/volume.log" 2>&1 &
volume_pid=$!
pids+=($volume_pid)
warehouse="$(wait_for_line "$work/volume.log" "serving HTTP on" 30 |
  sed 's/.*serving HTTP on \([^,]*\),.*/\1/')"

# nginx as a foreground child with a config of its own.
mkdir -p "$work/nginx/data" "$work/nginx/tmp"
user_line=""
if [ "$(id -u)" -eq 0 ]; then
  user_line="user nobody nogroup;"
fi
start_nginx() {
  local port="$1"
  cat >"$work/nginx/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  client_body_buffer_size 256k;
  client_max_body_size 0;
  client_body_temp_path $work/nginx/tmp/body 1 2;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/nginx/data;
    location /o/ {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
EOF
  if [ -n "$user_line" ]; then
    chmod 755 "$work"
    chown -R nobody:nogroup "$work/nginx"
  fi
  "$nginx_bin" -p "$work/nginx" -e "$work/nginx/error.log" \
    -c "$work/nginx/nginx.conf" >"$work/nginx.log" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$nginx_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  return 1
}
nginx_port=""
for _ in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 40000 ))
  if start_nginx "$port"; then nginx_port="$port"; break; fi
done
if [ -z "$nginx_port" ]; then
  echo "nginx did not start:" >&2
  cat "$work/nginx/error.log" "$work/nginx.log" >&2 || true
  exit 1
fi
pids+=($nginx_pid)

echo "== warehouse-volume at $warehouse (pid $volume_pid), nginx at 127.0.0.1:$nginx_port (pid $nginx_pid), data in $work"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== command: $bench_bin run --seconds $seconds --row-bytes $row_bytes --stream-size $stream ${master_args[*]} ${http_rows[*]} ${extra[*]}"
status=0
timeout "$run_limit" "$bench_bin" run \
  --warehouse "$warehouse" --warehouse-pid "$volume_pid" \
  --nginx "127.0.0.1:$nginx_port" --nginx-pid "$nginx_pid" \
  --seconds "$seconds" --row-bytes "$row_bytes" --stream-size "$stream" \
  --probe-dir "$work" "${master_args[@]}" "${http_rows[@]}" \
  "${extra[@]}" | tee "$work/http.txt" || status=$?
if [ "$sdk" = 1 ] && [ "$status" = 0 ]; then
  echo
  echo "== command: $sdk_bench_bin sdk --master $master --sizes 1K 1M --threads 1 16 --seconds $seconds"
  timeout "$run_limit" "$sdk_bench_bin" sdk --master "$master" \
    --sizes 1K 1M --threads 1 16 --seconds "$seconds" |
    tee "$work/sdk.txt" || status=$?
fi
if [ "$sdk" = 1 ] && [ "$status" = 0 ]; then
  # The direct rows' table ("| PUT | 1.0 KiB | 16 | <warehouse ops/s> |
  # ... | <nginx ops/s> | ...") and the SDK's ("put  1 KiB  16  <ops>
  # <ops/s> ...", the cached gets as "get") side by side.
  echo
  echo "End to end through the SDK, the direct data path and nginx, ops/s:"
  echo
  awk -F'|' '
    FNR == NR {
      if ($2 ~ /^ *(PUT|GET) *$/) {
        op = tolower($2); gsub(/ /, "", op)
        unit = ($3 ~ /KiB/) ? "KiB" : "MiB"
        conns = $4 + 0
        direct[op, unit, conns] = $5 + 0
        nginx[op, unit, conns] = $10 + 0
      }
      next
    }
    {
      split($0, f, " ")
      if (f[1] != "put" && f[1] != "get") next
      unit = f[3]; threads = f[4] + 0; rate = f[6]; gsub(/,/, "", rate)
      key = f[1] SUBSEP unit SUBSEP threads
      if (!(key in nginx) || nginx[key] == 0) next
      ratio = rate / nginx[key]
      target = ""
      if (unit == "KiB") {
        goal = (f[1] == "put") ? 1.0 : 1.2
        target = sprintf(">= %.1fx nginx: %s", goal, ratio >= goal ? "met" : "MISSED")
      }
      printf "| %s | 1 %s | %2d | %8.0f | %8.0f | %8.0f | %5.2fx | %s |\n",
        f[1], unit, threads, rate, direct[key], nginx[key], ratio, target
    }
    BEGIN {
      print "| op  | size  | threads |      SDK |   direct |    nginx | SDK/nginx | target |"
      print "|-----|-------|---------|----------|----------|----------|-----------|--------|"
    }' "$work/http.txt" "$work/sdk.txt"
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$fake" = 1 ]; then
  kill -TERM "$master_pid" 2>/dev/null || true
  wait "$master_pid" 2>/dev/null || true
  tail -1 "$work/master.log"
fi
exit "$status"
