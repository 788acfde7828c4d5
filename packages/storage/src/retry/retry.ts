import { sleep } from "./sleep.js";

/**
 * How long to keep trying. Waits grow from `baseMs`, doubling up to `maxMs`,
 * each spread by jitter; the attempts stop at `attempts` in all, or when the
 * next one would start after `budgetMs` from the first, whichever comes first.
 */
export interface RetryPolicy {
  /** At most this many attempts in all (default: no limit but the budget). */
  readonly attempts?: number;
  /** Give up when the next attempt would start after this many ms from the first (default: no limit but the attempts). */
  readonly budgetMs?: number;
  /** The first wait. */
  readonly baseMs: number;
  /** The longest wait of the doubling backoff. */
  readonly maxMs: number;
  /** Longest Retry-After honored as the server asked (default: as long as asked). */
  readonly maxRetryAfterMs?: number;
  /** Each wait is the backoff times a factor drawn from [lo, hi] (default [0.75, 1.25]). */
  readonly jitter?: readonly [number, number];
}

export interface RetryNote {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** What makes a failure worth another try, and how a caller hears of each retry. */
export interface RetryOptions {
  /** Failures that go away by themselves (5xx, throttling, resets); anything else is thrown at once. */
  readonly transient: (e: unknown) => boolean;
  /** The wait a server asked for (Retry-After), in ms; it replaces the backoff. */
  readonly retryAfterMs?: (e: unknown) => number | undefined;
  readonly onRetry?: (note: RetryNote) => void;
  /** An abort stops the retries (the last error is thrown) and cuts a wait short. */
  readonly signal?: AbortSignal;
}

/** The wait after the `attempt`-th failure (from 1). */
export function backoffMs(attempt: number, p: RetryPolicy, e?: unknown, retryAfterMs?: RetryOptions["retryAfterMs"]): number {
  const asked = e === undefined ? undefined : retryAfterMs?.(e);
  if (asked !== undefined) return Math.min(asked, p.maxRetryAfterMs ?? asked);
  const [lo, hi] = p.jitter ?? [0.75, 1.25];
  return Math.min(p.baseMs * 2 ** (attempt - 1), p.maxMs) * (lo + Math.random() * (hi - lo));
}

/** Runs `f`, again after a backoff while it fails transiently; the last error is thrown. */
export async function withRetry<T>(f: (attempt: number) => Promise<T>, policy: RetryPolicy, opts: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await f(attempt);
    } catch (e) {
      if (!opts.transient(e) || opts.signal?.aborted) throw e;
      if (policy.attempts !== undefined && attempt >= policy.attempts) throw e;
      const wait = backoffMs(attempt, policy, e, opts.retryAfterMs);
      if (policy.budgetMs !== undefined && Date.now() - started + wait > policy.budgetMs) throw e;
      opts.onRetry?.({ attempt, delayMs: wait, error: e });
      await sleep(wait, opts.signal);
    }
  }
}
