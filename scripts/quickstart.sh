#!/usr/bin/env bash
# Installs dependencies, builds, and starts a local Warehouse: a master and
# a volume server on loopback, with their data under ./warehouse-data.
#
#   scripts/quickstart.sh          install, build, start (or restart)
#   scripts/quickstart.sh stop     stop the servers it started
#
# The servers keep running after the script returns; their logs and pid
# files are in ./warehouse-data.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/warehouse-data
MASTER=127.0.0.1:9333
MASTER_HTTP=127.0.0.1:9334
VOLUME_PORT=8080
CONFIG_DIR=${XDG_CONFIG_HOME:-$HOME/.config}/warehouse

# Stops process $2 and waits (bounded) for it to exit: a clean stop syncs
# every index. Says so with the words in $1.
stop_pid() {
  if kill "$2" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$2" 2>/dev/null || break
      sleep 0.1
    done
    echo "stopped $1 (pid $2)"
  fi
}

stop_servers() {
  local name proc cmdline
  for name in volume master; do
    if [ -f "$DATA/$name.pid" ]; then
      stop_pid "$name" "$(cat "$DATA/$name.pid")"
      rm -f "$DATA/$name.pid"
    fi
  done
  # Servers of this data directory whose pid files are gone (the directory
  # was removed while they ran) still hold the ports: find them by their
  # command line, which names the directory.
  for proc in /proc/[0-9]*; do
    cmdline=$(tr '\0' ' ' < "$proc/cmdline" 2>/dev/null) || continue
    case "$cmdline" in
      *build/master/warehouse-master*"$DATA/"* | *build/volume/warehouse-volume*"$DATA/"*)
        stop_pid "a server of $DATA left without its pid file" "${proc#/proc/}"
        ;;
    esac
  done
}

# Waits (bounded) for a line containing $2 in log $1.
wait_for_line() {
  for _ in $(seq 1 200); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "quickstart: no \"$2\" in $1 after 20 s; its last lines:" >&2
  tail -n 20 "$1" >&2
  return 1
}

if [ "${1:-}" = "stop" ]; then
  stop_servers
  exit 0
fi

source scripts/deps.sh
warehouse_install_deps
# The servers and the CLI only; scripts/test.sh builds the rest in the same
# directory.
warehouse_build build -- warehouse-master warehouse-volume warehouse

stop_servers
mkdir -p "$DATA/master" "$DATA/volume"
chmod 700 "$DATA"

# The cluster key: shared by the master (signs urls) and volume servers
# (verify them). Made once, readable by its owner only.
if [ ! -f "$DATA/cluster.key" ]; then
  (umask 077 && printf 'k1:%s\n' \
    "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$DATA/cluster.key")
fi

: > "$DATA/master.log"
nohup build/master/warehouse-master --schema \
  --db "$DATA/master/meta.db" --listen "$MASTER" --http-listen "$MASTER_HTTP" \
  --cluster-key-file "$DATA/cluster.key" >> "$DATA/master.log" 2>&1 &
echo $! > "$DATA/master.pid"
wait_for_line "$DATA/master.log" "warehouse-master serving"

: > "$DATA/volume.log"
nohup build/volume/warehouse-volume --master "$MASTER" --dir "$DATA/volume" \
  --port "$VOLUME_PORT" --cluster-key-file "$DATA/cluster.key" \
  >> "$DATA/volume.log" 2>&1 &
echo $! > "$DATA/volume.pid"
wait_for_line "$DATA/volume.log" "warehouse-volume .* serving"

# An admin access key for the CLI, in the credentials file. Made on the
# first start, and again when the file this script wrote names a key this
# database does not hold (say, after ./warehouse-data was removed); a file
# the user wrote is never replaced.
CREDENTIALS="$CONFIG_DIR/credentials"
MADE_HERE="# Made by scripts/quickstart.sh for the local master."
known_key() {
  local id
  id=$(sed -n 's/^[[:space:]]*access_key_id[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' \
    "$CREDENTIALS")
  [ -n "$id" ] && build/master/warehouse-master --db "$DATA/master/meta.db" \
    --cluster-key-file "$DATA/cluster.key" key list |
    grep "^$id " | grep -qv "revoked="
}
if [ -f "$CREDENTIALS" ] && ! known_key; then
  if [ "$(head -n 1 "$CREDENTIALS")" = "$MADE_HERE" ]; then
    echo "The access key in $CREDENTIALS is not an active key of this" \
      "database; making a new one."
    rm -f "$CREDENTIALS"
  else
    echo "quickstart: the access key in $CREDENTIALS is not an active key of" \
      "this master; the CLI will be refused until it names one (see" \
      "'warehouse-master key create' in docs/master.md)." >&2
  fi
fi
if [ ! -f "$CREDENTIALS" ]; then
  mkdir -p "$CONFIG_DIR"
  key=$(build/master/warehouse-master --db "$DATA/master/meta.db" \
    --cluster-key-file "$DATA/cluster.key" \
    key create --role admin --description "quick start")
  (umask 077 && {
    echo "$MADE_HERE"
    echo "master = $MASTER"
    echo "$key" | sed -n 's/^access_key_id: /access_key_id = /p'
    echo "$key" | sed -n 's/^secret_access_key: /secret_access_key = /p'
  } > "$CREDENTIALS")
  echo "An admin access key is in $CREDENTIALS (the CLI reads it)."
fi

cat <<MSG

Warehouse is running:
  master         gRPC $MASTER, metrics http://$MASTER_HTTP/metrics
  dashboard      http://$MASTER_HTTP/ (log in with the access key id and
                 secret in $CONFIG_DIR/credentials)
  volume server  http://127.0.0.1:$VOLUME_PORT (usage: /usage)
  data and logs  $DATA

Try it:
  export PATH="$ROOT/build/tools:\$PATH"
  warehouse bucket create photos
  warehouse put README.md photos/docs/readme.md
  warehouse ls photos
  warehouse ls photos/docs/
  warehouse get photos/docs/readme.md /tmp/readme.md
  warehouse url photos/docs/readme.md        # a link anyone can curl for 15 minutes
  warehouse volumes

Stop the servers:  scripts/quickstart.sh stop
MSG
