#!/usr/bin/env bash
# What one MariaDB primary commits per second with durable commits, without and with a binary log written and
# synced at each commit (what replicas and point-in-time recovery need): two throwaway servers side by side, the
# same statements against each, alternated, so the ratio holds on a shared machine. docs/scaling-out.md cites it.
#   bash scripts/commit-rate.sh            # QUERIES=20000 per point by default
set -euo pipefail
queries=${QUERIES:-20000}
source "$(dirname "$0")/throwaway-servers.sh" commit-rate
start() { # name, extra options...
  local name=$1
  shift
  mariadb-install-db --no-defaults --datadir="$dir/$name" --user="$(id -un)" --auth-root-authentication-method=normal >/dev/null 2>&1
  mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/$name" --skip-networking --socket="$dir/$name.sock" \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 "$@" >"$dir/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do mariadb -uroot -S "$dir/$name.sock" -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
  mariadb -uroot -S "$dir/$name.sock" -e "CREATE DATABASE rate; USE rate;
    CREATE TABLE campaign (id INT PRIMARY KEY, max_units INT NOT NULL, reserved_units INT NOT NULL);
    INSERT INTO campaign VALUES (1, 2000000000, 0);
    CREATE TABLE pledge (id CHAR(36) PRIMARY KEY, campaign_id INT NOT NULL, quantity INT NOT NULL, KEY (campaign_id))"
}
start nobinlog --skip-log-bin
mkdir -p "$dir/binlog"
start binlog --log-bin="$dir/binlog/bin" --sync-binlog=1 --binlog-format=ROW --server-id=1
mariadb -uroot -S "$dir/binlog.sock" -Ne "SELECT @@log_bin, @@sync_binlog" | grep -q "^1\s1$" || { echo "the binlog server does not log" >&2; exit 1; }
rate() { # server, concurrency, query → statements per second
  local out
  out=$(mariadb-slap -uroot -S "$dir/$1.sock" --create-schema=rate --concurrency="$2" --number-of-queries="$queries" --iterations=1 --query="$3" 2>&1)
  awk -v n="$queries" '/Average number of seconds/ { printf "%d", n / $(NF-1) }' <<<"$out"
}
update='UPDATE campaign SET reserved_units = reserved_units + 1 WHERE id = 1 AND reserved_units + 1 <= max_units'
insert='INSERT INTO pledge VALUES (UUID(), 1, 1)'
echo "| autocommit statement | connections | binlog off (/s) | binlog on, sync_binlog=1 (/s) | on / off |"
echo "|---|---|---|---|---|"
for c in 16 64; do
  for what in update insert; do
    q=${!what}
    a1=$(rate nobinlog "$c" "$q"); b1=$(rate binlog "$c" "$q"); b2=$(rate binlog "$c" "$q"); a2=$(rate nobinlog "$c" "$q")
    off=$(((a1 + a2) / 2)); on=$(((b1 + b2) / 2))
    label=$([ "$what" = update ] && echo 'conditional UPDATE of one hot row' || echo 'single-row INSERT (pledge-like)')
    echo "| $label | $c | $off | $on | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }') |"
  done
done
