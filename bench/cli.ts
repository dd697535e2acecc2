/**
 * `pnpm bench tune ...` runs the tuner (bench/tune.ts).
 * `pnpm bench kernels [--quick] [--filter NAME] [--json FILE] [--no-peer]`: times every declared
 * kernel benchmark (bench/kernels/) against TensorFlow.js's WebGPU backend on the same adapter,
 * prints the table on stdout (progress on stderr) and writes the JSON report (default
 * bench/results/<date>-<adapter>.json). Exits 1 when a case failed, 2 on bad arguments.
 */
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyDevice } from '@fusion/tensor';
import { kernelBenches } from './kernels/index.js';
import { parseArgs, usage } from './src/args.js';
import { runKernels } from './src/runner.js';
import { tuneMain } from './tune.js';
import { defaultResultPath, formatTable, writeReport } from './src/report.js';

async function main(): Promise<number> {
  if (process.argv[2] === 'tune') return tuneMain(process.argv.slice(3));
  const parsed = parseArgs(process.argv.slice(2), kernelBenches.map((b) => b.kernel));
  if ('help' in parsed) {
    console.log(parsed.help);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`${parsed.error}\n\n${usage(kernelBenches.map((b) => b.kernel))}`);
    return 2;
  }
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  log(`bench kernels: ${parsed.quick ? 'quick' : 'full'} grid${parsed.filter ? `, filter '${parsed.filter}'` : ''}; load average ${load()}`);
  const result = await runKernels(kernelBenches, { quick: parsed.quick, filter: parsed.filter, peer: parsed.peer, log });
  const { report } = result;
  const path = parsed.json ?? defaultResultPath(dirname(fileURLToPath(import.meta.url)), report);
  writeReport(path, report);

  const gib = (report.machine.memory / 2 ** 30).toFixed(0);
  console.log(`adapter: ${report.adapter.description} (${report.adapter.vendor}, ${report.adapter.architecture}); ${report.machine.cpus} CPUs, ${gib} GiB; ${report.date}`);
  console.log(`${parsed.quick ? 'quick' : 'full'} grid; median of timed runs after warm-up; speedup = peer ms / ours ms (above 1: Fusion is faster)`);
  console.log('');
  console.log(formatTable(report, result.peerNotes));
  console.log('');
  const ran = new Set(report.rows.map((r) => r.kernel));
  for (const bench of kernelBenches) if (bench.note && ran.has(bench.kernel)) console.log(bench.note);
  if (result.missing.length) {
    console.log(`missing (not exported by @fusion/tensor yet): ${result.missing.map((m) => `${m.kernel} (${m.exports.join(', ')})`).join('; ')}`);
  }
  for (const f of result.failures) console.log(`FAILED ${f.kernel} ${f.shape} (${f.side}): ${f.error}`);
  const peerWins = report.rows.filter((r) => r.speedup !== undefined && r.speedup < 1);
  if (peerWins.length) console.log(`the peer is faster on ${peerWins.length} of ${report.rows.filter((r) => r.speedup !== undefined).length} rows: ${peerWins.map((r) => `${r.kernel} ${r.shape}`).join('; ')}`);
  console.log(`wrote ${path} (${report.rows.length} rows) in ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${load()}`);
  return result.failures.length ? 1 : 0;
}

main()
  .then((code) => {
    destroyDevice();
    process.exit(code);
  })
  .catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    destroyDevice();
    process.exit(1);
  });
