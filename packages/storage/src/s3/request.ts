import { type RetryPolicy, withRetry } from "../retry/index.js";
import { isTransient, transferPolicy } from "../retry/transfer.js";
import type { S3Connection } from "./connection.js";
import { explainS3Error } from "./errors.js";

export interface RequestContext {
  /** The s3:// URI the request is about, for messages. */
  readonly uri: string;
  /** The flag or binding it came from. */
  readonly what?: string;
  readonly policy?: RetryPolicy;
  readonly onRetry?: () => void;
}

/**
 * One S3 request: a slot among the connection's requests in flight, retried
 * on transient failures, explained as a user error when it finally fails.
 */
export async function send<T>(conn: S3Connection, at: RequestContext, f: () => Promise<T>): Promise<T> {
  try {
    return await withRetry(() => conn.requests.run(f), at.policy ?? transferPolicy(), { transient: isTransient, onRetry: () => at.onRetry?.() });
  } catch (e) {
    throw explainS3Error(e, { endpoint: conn.endpoint, uri: at.uri, credentialSource: conn.credentialSource, ...(at.what ? { what: at.what } : {}), ...(conn.proxy ? { proxy: conn.proxy } : {}) });
  }
}
