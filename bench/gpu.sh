#!/usr/bin/env bash
# The GPU command (bench/gpu.ts: device, PyTorch reference, tuning, seed-preset steps per fusion
# head, kernel benchmarks, ratio table, JSON). Three ways to call it, from anywhere in the checkout:
#
#   bench/gpu.sh --prepare           here, before a GPU run: ../shared/gpu/prepare.sh (or
#                                    $FUSION_GPU_PREPARE) fills .gpu/ with Node, the Vulkan loader,
#                                    enter.sh and the bundle .gpu/app/gpu.mjs of bench/gpu.ts
#   bench/gpu.sh [OPTIONS]           on the GPU machine (no Node, no network): sources .gpu/enter.sh
#                                    when there is no node on PATH, runs .gpu/app/gpu.mjs with
#                                    FUSION_EXPERIMENTAL=1 (shader-f16 on NVIDIA) unless set
#   bench/gpu.sh --dry-run [OPTIONS] anywhere with the install (CI, lavapipe): bundles bench/gpu.ts
#                                    the same way into bench/dist/gpu/ and runs it at small sizes
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

case "${1:-}" in
  --prepare)
    prepare=${FUSION_GPU_PREPARE:-$root/../shared/gpu/prepare.sh}
    if [ ! -x "$prepare" ]; then
      echo "bench/gpu.sh --prepare: $prepare not found (set FUSION_GPU_PREPARE to the GPU machine's prepare.sh)" >&2
      exit 2
    fi
    # prepare.sh bundles without the source condition, so it reads dist/: build it first
    pnpm --silent build
    "$prepare" bench/gpu.ts
    echo "then, on the GPU machine: run(command='bench/gpu.sh --out \"\$OUT\"', carry=[\".gpu\"], timeout_s=600)"
    exit 0
    ;;
  --dry-run)
    bundle bench/gpu.ts bench/dist/gpu/gpu.mjs
    exec node bench/dist/gpu/gpu.mjs "$@"
    ;;
esac

if [ ! -f .gpu/app/gpu.mjs ]; then
  echo "bench/gpu.sh: .gpu/app/gpu.mjs not found: run bench/gpu.sh --prepare first (on the machine with the install), or --dry-run" >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  # shellcheck disable=SC1091
  source .gpu/enter.sh
fi
export FUSION_EXPERIMENTAL=${FUSION_EXPERIMENTAL:-1}
exec node .gpu/app/gpu.mjs "$@"
