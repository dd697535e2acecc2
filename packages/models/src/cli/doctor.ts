/** `pnpm fusion doctor`: reports the adapter Fusion acquires, its features and limits. */
import { init, destroyDevice, deviceOptionsFromEnv } from '@fusion/tensor';

export async function runDoctor(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rt = await init(deviceOptionsFromEnv());
  const info = rt.gpu.info;
  if (json) {
    console.log(JSON.stringify(info, null, 2));
  } else {
    console.log(`adapter      ${info.description || info.device} (${info.vendor}, ${info.architecture})${info.isSoftware ? ' [software]' : ''}`);
    console.log(`features     ${info.features.join(', ')}`);
    console.log(`dawn flags   ${info.dawnFlags.length ? info.dawnFlags.join(' ') : '(none)'}`);
    console.log('limits');
    for (const [k, v] of Object.entries(info.limits)) console.log(`  ${k.padEnd(36)} ${v}`);
  }
  destroyDevice();
  return 0;
}
