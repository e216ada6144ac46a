# What the bench/run_*.sh scripts share; sourced, not run.
#
#   bench_init                       root, out (bench/out, created), build, python
#   bench_build TARGET...            configures the Release tree once, then builds TARGETs
#   start_simulator BIN SCALE LOG    `BIN simulate` of the GitHub spec at SCALE on a free
#                                    port, logging to LOG; sets url and sim_pid once it
#                                    answers /_simulator/health; stopped on exit
#   stop_simulator
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# JOBS (default 2).

bench_init() {
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  out="$root/bench/out"
  build="${BUILD_DIR:-$root/build-bench}"
  python="${PYTHON:-$root/.venv/bin/python}"
  mkdir -p "$out"
}

bench_build() {
  if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAKEFLOW_BUILD_BENCH=ON
  fi
  ninja -C "$build" -j "${JOBS:-2}" "$@" >/dev/null
}

start_simulator() {
  local binary=$1 scale=$2 log=$3 port
  port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  "$binary" simulate --spec-dir "$root/testdata/simulator/github" --port "$port" \
    --scale "$scale" >"$log" 2>&1 &
  sim_pid=$!
  trap stop_simulator EXIT
  for _ in $(seq 1 100); do
    if curl -sf "$url/_simulator/health" >/dev/null; then return 0; fi
    if ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "the simulator exited; see $log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "the simulator did not answer in 10 s; see $log" >&2
  exit 1
}

stop_simulator() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
}
