import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms` (none when ≤ 0); false when `signal` aborted first. Leaves no listener behind. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(Math.max(0, ms), undefined, { signal });
    return true;
  } catch (err) {
    if (signal.aborted) return false;
    throw err;
  }
}
