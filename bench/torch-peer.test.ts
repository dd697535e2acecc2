import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { runTorchStep, TORCH_STEP_SCRIPT, type TorchStepConfig } from './src/torch-peer.js';

const config: TorchStepConfig = { model: {}, batch: 1, size: 8, maxTokens: 4, lr: 1e-3, posWeight: 3, threads: 2, warmup: 0, steps: 1 };

describe('the PyTorch CPU peer of bench:step', () => {
  it('is skipped, saying why, where the interpreter does not exist', () => {
    const r = runTorchStep('/nonexistent/bin/python3', config);
    expect(r).toEqual({ skipped: expect.stringMatching(/^\/nonexistent\/bin\/python3 does not exist \(the PyTorch CPU peer runs Debian's \/usr\/bin\/python3 with python3-torch; --python PATH picks another\)$/) });
  });

  it('reports a script that fails, with its stderr, instead of a ratio', () => {
    // `node` as the "interpreter": it runs, cannot parse the Python script, and exits non-zero
    expect(() => runTorchStep(process.execPath, config)).toThrow(/step\.py failed \(exit 1\)/);
  });

  it('ships the script next to the bench', () => {
    expect(existsSync(TORCH_STEP_SCRIPT)).toBe(true);
  });
});
