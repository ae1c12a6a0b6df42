#!/usr/bin/env bash
# The service on a sharded MySQL-compatible database that runs on this machine: MariaDB with its Spider engine
# (Debian package mariadb-plugin-spider) as the head, three more MariaDB servers as the shards. Starts the four in a
# temporary folder (their own ports 3321-3324, no system configuration read), runs test/compat/spider.test.ts, which
# writes docs/scaling-out-spider.md, and stops them. See docs/scaling-out.md § A check that runs here.
#   apt-get install mariadb-plugin-spider    # once; the package's spider.cnf would load Spider into the system
#                                            # server at its next restart: comment its plugin-load-add line out
#   bash scripts/spider-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f /usr/lib/mysql/plugin/ha_spider.so ] || { echo "Spider is not installed: apt-get install mariadb-plugin-spider" >&2; exit 1; }
for p in 3321 3322 3323 3324; do
  if mariadb -uroot -h127.0.0.1 -P"$p" -e 'SELECT 1' >/dev/null 2>&1; then echo "a server already answers on port $p: stop it first" >&2; exit 1; fi
done
source scripts/throwaway-servers.sh spider-check
# Three shards, not two: MariaDB's KEY partitioning of a string column over two partitions put every row in one
# (seen here with random UUIDs: its string hash is degenerate modulo 2); over three it spreads them evenly.
port=3321
for name in head shard0 shard1 shard2; do
  mariadb-install-db --no-defaults --datadir="$dir/$name" --user="$(id -un)" --auth-root-authentication-method=normal >"$dir/$name.install.log" 2>&1
  extra=()
  # The head sends an upsert (INSERT … ON DUPLICATE KEY UPDATE) to its shard as it is, as Vitess would: by default Spider
  # turns it into a read and a write, and concurrent upserts of one tally row then deadlock again and again.
  [ "$name" = head ] && extra=(--plugin-load-add=ha_spider.so --loose-spider-direct-dup-insert=1)
  mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/$name" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/$name.sock" --pid-file="$dir/$name.pid" --innodb-buffer-pool-size=128M --skip-log-bin "${extra[@]}" \
    >"$dir/$name.log" 2>&1 &
  pids+=("$!")
  port=$((port + 1))
done
for p in 3321 3322 3323 3324; do
  for _ in $(seq 1 100); do mariadb -uroot -h127.0.0.1 -P"$p" -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
done
SPIDER_HEAD_URL=mysql://root@127.0.0.1:3321 SPIDER_SHARD_URLS=mysql://root@127.0.0.1:3322,mysql://root@127.0.0.1:3323,mysql://root@127.0.0.1:3324 \
  npx jest -c jest.compat.config.js "$@"
