/** `pnpm fusion forward`: filled in with the models. */
export async function runForward(_args: string[]): Promise<number> {
  console.error('fusion forward: not available yet');
  return 1;
}
