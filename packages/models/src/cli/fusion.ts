/**
 * `pnpm fusion <command>`: developer commands.
 *   doctor    the WebGPU adapter Fusion gets on this machine: description, features, limits
 *   forward   run a model in eval mode on inputs from a safetensors file (see forward.ts)
 */
import { runDoctor } from './doctor.js';

const HELP = `usage: pnpm fusion <command> [options]

commands:
  doctor     show the WebGPU adapter, its features and limits (and how to get one if none)
  forward    run a model on saved inputs: pnpm fusion forward --help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return runDoctor(rest);
    case 'forward': {
      const { runForward } = await import('./forward.js');
      return runForward(rest);
    }
    case undefined:
    case '--help':
    case '-h':
      console.log(HELP);
      return command ? 0 : 1;
    default:
      console.error(`fusion: unknown command ${command}\n\n${HELP}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`fusion: ${e.message}`);
    process.exit(1);
  },
);
