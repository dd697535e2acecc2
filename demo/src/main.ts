/**
 * The demo page: acquires WebGPU once (`init()` from @fusion/tensor takes `navigator.gpu` in a
 * page), shows the adapter it got or, without WebGPU, what to enable, and hosts three tabs mounted
 * on first view: Predict (a shipped or loaded head on an image and an instruction), Train (the
 * tiny preset trained in the page with the loop `pnpm train` runs) and Kernel benchmarks (the
 * quick grid of `pnpm bench kernels` beside TensorFlow.js's WebGPU backend). The hash selects the
 * tab (#predict, #train, #bench). `window.fusionDemo` exposes the tabs' state to tests.
 */
import { init, WEBGPU_BROWSERS, type DeviceInfo } from '@fusion/tensor';
import { h, errorMessage } from './dom.js';
import { mountPredictTab, type PredictTab } from './predict-tab.js';
import { mountTrainTab, type TrainTab } from './train-tab.js';
import { mountBenchTab, type BenchTab } from './bench-tab.js';

declare global {
  interface Window {
    fusionDemo: { adapter?: DeviceInfo; error?: string; predict?: PredictTab; train?: TrainTab; bench?: BenchTab };
  }
}

const TABS = ['predict', 'train', 'bench'] as const;
type TabName = (typeof TABS)[number];

window.fusionDemo = {};
const status = document.getElementById('status')!;
const adapterBox = document.getElementById('adapter')!;

function showError(message: string): void {
  status.hidden = false;
  status.textContent = message;
}
window.addEventListener('error', (e) => showError(e.message));
window.addEventListener('unhandledrejection', (e) => showError(errorMessage(e.reason)));

/** The adapter line: vendor, architecture, description, and the features Fusion uses. */
function describeAdapter(info: DeviceInfo): HTMLElement {
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ') || 'unnamed adapter';
  const used = ['subgroups', 'timestamp-query', 'shader-f16'];
  return h('div', { class: 'adapter-ok' },
    h('span', { class: 'dot' }), h('strong', {}, 'WebGPU adapter: '), h('span', { 'data-testid': 'adapter-name' }, name),
    info.isSoftware ? h('span', { class: 'tag warn', title: 'A CPU implementation of WebGPU: everything works, slowly' }, 'software (CPU)') : h('span', { class: 'tag' }, 'GPU'),
    ...used.map((f) => h('span', { class: info.features.includes(f) ? 'tag' : 'tag off', title: info.features.includes(f) ? 'enabled' : 'not offered by this adapter' }, f)),
  );
}

function noWebGpu(message: string): void {
  adapterBox.replaceChildren(h('div', { class: 'no-webgpu', 'data-testid': 'no-webgpu' },
    h('h2', {}, 'This browser gives the page no WebGPU'),
    h('p', {}, 'Fusion runs every kernel on WebGPU: without it, nothing on this page can run. WebGPU is in:'),
    h('ul', {}, ...WEBGPU_BROWSERS.map((line) => h('li', {}, line))),
    h('details', {}, h('summary', {}, 'What the browser said'), h('p', { class: 'small' }, message)),
  ));
  document.getElementById('tabs')!.hidden = true;
  document.querySelector('main')!.hidden = true;
}

async function start(): Promise<void> {
  let info: DeviceInfo;
  try {
    info = (await init()).gpu.info;
  } catch (e) {
    window.fusionDemo.error = errorMessage(e);
    noWebGpu(errorMessage(e));
    return;
  }
  window.fusionDemo.adapter = info;
  adapterBox.replaceChildren(describeAdapter(info));

  const mounted = new Map<TabName, unknown>();
  const mount = (tab: TabName, root: HTMLElement) => {
    if (tab === 'predict') window.fusionDemo.predict = mountPredictTab(root);
    if (tab === 'train') {
      window.fusionDemo.train = mountTrainTab(root, {
        software: info.isSoftware,
        usePredictor: (p, label) => {
          show('predict');
          window.fusionDemo.predict!.usePredictor(p, label);
        },
      });
    }
    if (tab === 'bench') window.fusionDemo.bench = mountBenchTab(root, info);
  };
  const show = (tab: TabName) => {
    for (const t of TABS) {
      document.getElementById(`tab-${t}`)!.hidden = t !== tab;
      document.querySelector(`[data-tab="${t}"]`)!.setAttribute('aria-selected', String(t === tab));
    }
    if (!mounted.has(tab)) {
      mounted.set(tab, true);
      mount(tab, document.getElementById(`tab-${tab}`)!);
    }
    if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  };
  for (const t of TABS) document.querySelector(`[data-tab="${t}"]`)!.addEventListener('click', () => show(t));
  const fromHash = () => show((TABS as readonly string[]).includes(location.hash.slice(1)) ? (location.hash.slice(1) as TabName) : 'predict');
  window.addEventListener('hashchange', fromHash);
  fromHash();
}

void start();
