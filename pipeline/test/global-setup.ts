import { stackStatus } from '../dev/stack/stack.ts';

/** Fails fast, naming what is down, when the real stack the tests need is not up. */
export default async function checkStack(): Promise<void> {
  const down = (await stackStatus()).filter((s) => !s.healthy);
  if (down.length > 0) {
    throw new Error(
      `the local stack is not healthy (run: npx stocksync stack up):\n` +
        down.map((s) => `  ${s.component}: ${s.problem} (log ${s.log})`).join('\n'),
    );
  }
}
