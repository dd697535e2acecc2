/**
 * Arguments of `pnpm bench kernels [--quick] [--filter NAME] [--json FILE] [--no-peer]`.
 */

export interface CliOptions {
  quick: boolean;
  filter?: string;
  json?: string;
  peer: boolean;
}

export function usage(kernels: readonly string[]): string {
  return `usage: pnpm bench kernels [--quick] [--filter NAME] [--json FILE] [--no-peer]
       pnpm bench tune [--preset tiny|seed] [--cache FILE] ... (pnpm bench tune --help)

  --quick        the CI-sized grid (seconds, not minutes)
  --filter NAME  only kernels whose name contains NAME (case-insensitive), e.g. conv2d, backward
  --json FILE    where to write the JSON report (default bench/results/<date>-<adapter>.json)
  --no-peer      skip TensorFlow.js

kernels: ${kernels.join(', ')}`;
}

/** The options, or the usage text to print (`help`), or what is wrong (`error`). */
export function parseArgs(argv: readonly string[], kernels: readonly string[]): CliOptions | { help: string } | { error: string } {
  const [suite, ...rest] = argv;
  if (suite === undefined || suite === '--help' || suite === '-h') return { help: usage(kernels) };
  if (suite !== 'kernels') return { error: `unknown suite '${suite}' (suites: kernels, tune)` };
  const options: CliOptions = { quick: false, peer: true };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-peer') options.peer = false;
    else if (arg === '--help' || arg === '-h') return { help: usage(kernels) };
    else if (arg === '--filter' || arg === '--json') {
      const value = rest[++i];
      if (value === undefined || value.startsWith('--')) return { error: `${arg} needs a value` };
      if (arg === '--filter') options.filter = value;
      else options.json = value;
    } else return { error: `unknown option '${arg}'` };
  }
  return options;
}
