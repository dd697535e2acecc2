/**
 * The Kernel benchmarks tab: the quick grid of `pnpm bench kernels --quick`, run in the page by the
 * same runner and benchmark declarations (bench/), with TensorFlow.js's WebGPU backend as the peer
 * on this page's adapter, and the same table. The runner and TF.js are loaded on the first run
 * (a separate chunk). On a CPU adapter (SwiftShader) the whole grid takes minutes: the filter keeps
 * the kernels whose name contains it, as `--filter` does.
 */
import type { DeviceInfo } from '@fusion/tensor';
import { h, errorMessage } from './dom.js';

export interface BenchTab {
  /** 'idle' | 'running' | 'done' | 'error'. */
  readonly state: string;
  /** The report of the last run (bench/src/report.ts's BenchReport). */
  readonly report: unknown;
  /** Runs the quick grid of the kernels matching `filter` (all when empty). */
  run(filter?: string): Promise<void>;
}

export function mountBenchTab(root: HTMLElement, info: DeviceInfo): BenchTab {
  let state = 'idle';
  let report: unknown = null;
  const filter = h('input', { type: 'text', placeholder: 'all kernels', 'data-testid': 'bench-filter' });
  const runButton = h('button', { class: 'primary', 'data-testid': 'bench-run' }, 'Run the quick grid');
  const log = h('pre', { class: 'log', 'data-testid': 'bench-log' });
  const table = h('pre', { class: 'table', 'data-testid': 'bench-table' });
  const notes = h('div', { class: 'notes' });
  const setState = (s: string) => {
    state = s;
    root.dataset.state = s;
  };
  setState('idle');

  root.append(h('div', { class: 'bench' },
    h('p', {}, 'The quick grid of ', h('code', {}, 'pnpm bench kernels --quick'), ' run here, by the same runner and benchmark declarations, with ',
      h('strong', {}, 'TensorFlow.js 4.22\'s WebGPU backend'), ' as the peer on this page\'s adapter. Each row is the median of timed runs after warm-up, on the GPU\'s timestamp clock when the adapter has ',
      h('code', {}, 'timestamp-query'), ' (Chrome rounds it to 100 µs unless started with ', h('code', {}, '--enable-webgpu-developer-features'), '); speedup = peer ms / ours (above 1: Fusion is faster).'),
    info.isSoftware ? h('p', { class: 'hint' }, 'This adapter runs on the CPU: the whole grid takes a few minutes (about two on a loaded 2-core machine with SwiftShader); a filter such as matmul or softmax keeps fewer rows.') : null,
    h('div', { class: 'row' }, h('label', {}, 'Kernels matching ', filter), runButton),
    table, notes, log,
  ));

  const run = async (pattern = filter.value.trim()) => {
    if (state === 'running') return;
    filter.value = pattern;
    runButton.disabled = true;
    setState('running');
    log.textContent = 'Loading the benchmark runner and TensorFlow.js…\n';
    table.textContent = '';
    notes.replaceChildren();
    try {
      const [{ runKernels }, { kernelBenches }, { formatTable }] = await Promise.all([
        import('../../bench/src/runner.js'), import('../../bench/kernels/index.js'), import('../../bench/src/report.js'),
      ]);
      const result = await runKernels(kernelBenches, { quick: true, filter: pattern || undefined, log: (line) => (log.textContent += `${line}\n`) });
      report = result.report;
      const r = result.report;
      table.textContent = [
        `adapter: ${[r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(', ')}; ${r.machine.cpus} logical CPUs; ${r.date}`,
        'quick grid; median of timed runs after warm-up; speedup = peer ms / ours ms (above 1: Fusion is faster)',
        '',
        formatTable(r, result.peerNotes),
      ].join('\n');
      const ran = new Set(r.rows.map((row) => row.kernel));
      for (const b of kernelBenches) if (b.note && ran.has(b.kernel)) notes.append(h('p', { class: 'hint' }, b.note));
      for (const f of result.failures) notes.append(h('p', { class: 'error' }, `FAILED ${f.kernel} ${f.shape} (${f.side}): ${f.error}`));
      if (result.missing.length) notes.append(h('p', { class: 'hint' }, `missing: ${result.missing.map((m) => m.kernel).join(', ')}`));
      setState('done');
    } catch (e) {
      log.textContent += `\n${errorMessage(e)}\n`;
      setState('error');
    } finally {
      runButton.disabled = false;
    }
  };
  runButton.addEventListener('click', () => void run());
  return {
    get state() {
      return state;
    },
    get report() {
      return report;
    },
    run,
  };
}
