/**
 * @fusion/tensor as a library: build the packages, pack them as npm would publish them, install
 * the tarballs into a project outside the workspace, type-check a consumer against the shipped
 * declarations and run it on the GPU adapter.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

const CONSUMER = `import { init, tensor, matmul, tidy, memory, destroyDevice, type Tensor } from '@fusion/tensor';

await init();
const a: Tensor = tensor([[1, 2], [3, 4]]);
const b = tensor([[5, 6], [7, 8]]);
a.requiresGrad = true;
const y = tidy(() => matmul(a, b).relu().sum());
y.backward();
console.log(JSON.stringify({ y: await y.item(), grad: Array.from(await a.grad!.toArray()), live: memory().liveTensors }));
destroyDevice();
`;

describe('@fusion/tensor from a project outside the workspace', () => {
  it('installs from packed tarballs, type-checks against dist and runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-consumer-'));
    try {
      run('pnpm', ['run', 'build'], root);
      for (const pkg of ['kernels', 'tensor']) run('pnpm', ['pack', '--pack-destination', dir], join(root, 'packages', pkg));
      const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => `./${f}`);
      expect(tarballs.length).toBe(2);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], dir);
      writeFileSync(join(dir, 'main.ts'), CONSUMER);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['@webgpu/types'], skipLibCheck: false, lib: ['ES2023', 'DOM'] },
        files: ['main.ts'],
      }));
      run(join(root, 'node_modules/.bin/tsc'), ['-p', '.'], dir);
      const out = JSON.parse(run('node', ['out/main.js'], dir).trim().split('\n').pop()!);
      // y = sum(relu(A B)) = 19 + 22 + 43 + 50; dL/dA = ones(2,2) B^T
      expect(out.y).toBe(134);
      expect(out.grad).toEqual([11, 15, 11, 15]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
