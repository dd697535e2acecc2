#!/usr/bin/env bash
# The GPU command (bench/gpu.ts: device, GEMM checks, PyTorch reference, tuning, seed-preset steps
# per fusion head in f32 and mixed precision, kernel benchmarks, ratio table, JSON). It first runs
# bench/f16-check.ts (the f16 GEMMs against float64; on a GPU with tensor cores, the subgroup-matrix
# kernel's first check) in its own process, so a kernel that loses the device costs only that
# process, and hands its report to bench/gpu.ts (--f16-check), which records it and forces the tiled
# f16 GEMM where a kernel failed. On the GPU machine both run with FUSION_EXPERIMENTAL=1 (shader-f16
# and subgroup matrices on NVIDIA) unless it is set. Three ways to call it, from anywhere in the checkout:
#
#   bench/gpu.sh --prepare           here, before a GPU run: ../shared/gpu/prepare.sh (or
#                                    $FUSION_GPU_PREPARE) fills .gpu/ with Node, the Vulkan loader,
#                                    enter.sh and the bundles .gpu/app/gpu.mjs and f16-check.mjs
#   bench/gpu.sh [OPTIONS]           on the GPU machine (no Node, no network): sources .gpu/enter.sh
#                                    when there is no node on PATH, runs .gpu/app/f16-check.mjs,
#                                    then .gpu/app/gpu.mjs
#   bench/gpu.sh --dry-run [OPTIONS] anywhere with the install (CI, lavapipe): bundles both the same
#                                    way into bench/dist/gpu/ and runs them at small sizes
#
# OPTIONS are bench/gpu.ts's: --out DIR (default bench/results), --python PATH, --budget SECONDS,
# --no-peer. The GPU call (the device tool; results come back from $OUT):
#   run(command='bench/gpu.sh --out "$OUT"', carry=[".gpu"], timeout_s=600)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bundle() { # entry outfile: esbuild with prepare.sh's flags (WGSL inlined, webgpu left external), from
  # the packages' sources as every other entry point reads them (a clean clone has no dist/)
  node scripts/embed-shaders.mjs
  node_modules/.bin/esbuild "$1" --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --conditions=source \
    --loader:.wgsl=text --log-level=warning --outfile="$2" \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
}

run() { # dir args: the f16 check in its own process (its failure is recorded, not fatal), then the GPU command
  local dir=$1 report status=0
  shift
  case " $* " in *" --help "* | *" -h "*) exec node "$dir/gpu.mjs" "$@" ;; esac
  report=$(mktemp -d)/f16-check.json
  node "$dir/f16-check.mjs" --json "$report" || echo "bench/gpu.sh: bench/f16-check.ts exited with status $? (bench/gpu.ts records why)" >&2
  node "$dir/gpu.mjs" --f16-check "$report" "$@" || status=$?
  rm -rf "$(dirname "$report")"
  exit "$status"
}

case "${1:-}" in
  --prepare)
    prepare=${FUSION_GPU_PREPARE:-$root/../shared/gpu/prepare.sh}
    if [ ! -x "$prepare" ]; then
      echo "bench/gpu.sh --prepare: $prepare not found (set FUSION_GPU_PREPARE to the GPU machine's prepare.sh)" >&2
      exit 2
    fi
    # prepare.sh bundles without the source condition, so it reads dist/: build it first
    pnpm --silent build
    "$prepare" bench/gpu.ts bench/f16-check.ts
    echo "then, on the GPU machine: run(command='bench/gpu.sh --out \"\$OUT\"', carry=[\".gpu\"], timeout_s=600)"
    exit 0
    ;;
  --dry-run)
    bundle bench/gpu.ts bench/dist/gpu/gpu.mjs
    bundle bench/f16-check.ts bench/dist/gpu/f16-check.mjs
    run bench/dist/gpu "$@"
    ;;
esac

for app in gpu f16-check; do
  if [ ! -f ".gpu/app/$app.mjs" ]; then
    echo "bench/gpu.sh: .gpu/app/$app.mjs not found: run bench/gpu.sh --prepare first (on the machine with the install), or --dry-run" >&2
    exit 2
  fi
done
if ! command -v node >/dev/null 2>&1; then
  # shellcheck disable=SC1091
  source .gpu/enter.sh
fi
export FUSION_EXPERIMENTAL=${FUSION_EXPERIMENTAL:-1}
run .gpu/app "$@"
