// Tests wait for facts, not for time. A fixed pause is too short on a loaded machine (the test
// fails for nothing) and too long on an idle one; polling a fact with a deadline is neither.
// test/unit/waits-for-facts.test.ts keeps pauses out of the end-to-end tests.

/** How often a fact is looked at again: soon enough to cost a test little, seldom enough to cost the CPU little. */
const POLL_MS = 50;

const tick = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/**
 * Resolves once `fact` holds; rejects naming `what` if it still does not after `timeoutMs`.
 * The deadline is only there to turn a hang into a failure: it is never what the test waits for.
 */
export async function waitFor(fact: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fact())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick();
  }
}
