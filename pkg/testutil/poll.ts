// Polling with a deadline instead of sleeping (dskit test.Poll).

export interface WaitOptions {
  /** Give up after this many milliseconds (default 10000). */
  timeoutMs?: number;
  /** Poll every this many milliseconds (default 20). */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/**
 * Polls `fn` until it returns a value other than undefined, and returns that value. A thrown error
 * counts as "not yet"; the last one is attached as the cause of the timeout error.
 */
export async function pollFor<T>(fn: () => T | undefined | Promise<T | undefined>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${opts.what ?? 'condition'}`, { cause: lastErr });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `cond` until it returns true. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  await pollFor(async () => ((await cond()) ? true : undefined), opts);
}
