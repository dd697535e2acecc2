// Device errors are collected and reported once: three invalid bind groups made outside the
// runtime's checks produce one error at the next sync (naming the first call), nothing on stderr
// (Dawn prints uncaptured errors itself, a block each), and the next sync is clean. Run in a
// child process so its stderr can be read.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');

describe('device errors', () => {
  it('are summarised once, not printed by Dawn', () => {
    const r = spawnSync(join(root, 'node_modules/.bin/tsx'), ['--conditions=source', join(import.meta.dirname, 'fixtures/error-burst.ts')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/first sync: WebGPU error: Binding size \(\d+\) of \[Buffer "too-big"\] is larger than the maximum storage buffer binding size \(\d+\)\. \(While calling \[Device\]\.CreateBindGroup\(\[BindGroupDescriptor ""bad-0""\]\)\.\) \(the first device error since the last readback; later ones are not shown\)/);
    expect(r.stdout).toMatch(/second sync: clean/);
    expect(r.stderr).not.toMatch(/Binding size|While calling/);
  }, 60_000);
});
