/**
 * Retries with exponential backoff and jitter, for the failures that go away
 * by themselves: 5xx, throttling, connection resets and refusals (a server
 * restarting), timeouts, a checksum mismatch (bytes damaged in transit).
 * Anything else (403, 404, a bad request) fails at once.
 */

export interface RetryPolicy {
  /** Give up when the next attempt would start after this many ms from the first. */
  readonly budgetMs: number;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** At most this many attempts in all (default: unbounded within the budget). */
  readonly maxAttempts?: number;
}

/** Preflight checks: fail fast (a wrong endpoint should not take a minute to say so). */
export const FAST: RetryPolicy = { budgetMs: 2_500, firstDelayMs: 200, maxDelayMs: 1_000, maxAttempts: 4 };

/** Transfers: ride out a server restart or a burst of throttling. */
export function transferPolicy(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const s = Number(env.AVES2_S3_RETRY_SECONDS);
  return { budgetMs: (Number.isFinite(s) && s > 0 ? s : 120) * 1000, firstDelayMs: 250, maxDelayMs: 8_000 };
}

/** Data that arrived damaged; worth another try. */
export class IntegrityError extends Error {
  override readonly name = "IntegrityError";
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "InternalError",
  "ServiceUnavailable",
  "IntegrityError",
]);

export function isTransient(e: unknown): boolean {
  if (!e || typeof e !== "object") return false;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown };
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (err.code && TRANSIENT_CODES.has(err.code)) return true;
  if (err.name && TRANSIENT_NAMES.has(err.name)) return true;
  if (err.$retryable) return true;
  if (typeof err.message === "string" && /socket hang up|aborted|premature close|other side closed|ECONNRESET|ECONNREFUSED/i.test(err.message)) return true;
  return err.cause !== undefined && err.cause !== e && isTransient(err.cause);
}

export interface RetryNote {
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

export async function withRetry<T>(f: (attempt: number) => Promise<T>, policy: RetryPolicy, onRetry?: (n: RetryNote) => void): Promise<T> {
  const started = Date.now();
  let delay = policy.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await f(attempt);
    } catch (e) {
      if (!isTransient(e)) throw e;
      if (policy.maxAttempts !== undefined && attempt >= policy.maxAttempts) throw e;
      const wait = Math.min(delay, policy.maxDelayMs ?? 8_000) * (0.75 + Math.random() * 0.5);
      if (Date.now() - started + wait > policy.budgetMs) throw e;
      onRetry?.({ attempt, delayMs: wait, error: e });
      await new Promise((r) => setTimeout(r, wait));
      delay *= 2;
    }
  }
}
