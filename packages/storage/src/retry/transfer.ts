import type { RetryPolicy } from "./index.js";

/**
 * Object storage's retry policies, and the failures worth another try: 5xx,
 * throttling, connection resets and refusals (a server restarting), timeouts,
 * a checksum mismatch (bytes damaged in transit). Anything else (403, 404, a
 * bad request) fails at once. The engine is ../retry.
 */

/** Preflight checks: fail fast (a wrong endpoint should not take a minute to say so). */
export const FAST: RetryPolicy = { budgetMs: 2_500, baseMs: 200, maxMs: 1_000, attempts: 4 };

/** Transfers: ride out a server restart or a burst of throttling. */
export function transferPolicy(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const s = Number(env.AVES2_S3_RETRY_SECONDS);
  return { budgetMs: (Number.isFinite(s) && s > 0 ? s : 120) * 1000, baseMs: 250, maxMs: 8_000 };
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
