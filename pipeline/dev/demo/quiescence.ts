/** Waiting for the pipeline to settle: a condition that holds for a while, not just once. */
/**
 * Resolves once `condition` has held continuously for `stableMs` (re-checked every 200 ms).
 * @throws Error with `describe()` when `timeoutMs` passes first.
 */
export async function waitStable(
  condition: () => Promise<boolean>,
  options: { stableMs: number; timeoutMs: number; describe: () => Promise<string> | string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let since: number | null = null;
  for (;;) {
    if (await condition()) {
      since ??= Date.now();
      if (Date.now() - since >= options.stableMs) return;
    } else {
      since = null;
    }
    if (Date.now() > deadline) throw new Error(`not settled after ${options.timeoutMs} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
