# Sourced by the scripts that start MariaDB servers of their own (spider-check.sh, commit-rate.sh): a temporary
# folder for them (`dir`, named after $1), and on exit every server whose pid is in `pids` stopped and the folder removed.
dir=$(mktemp -d "/tmp/$1.XXXXXX")
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; done
  rm -rf "$dir"
}
trap stop EXIT
