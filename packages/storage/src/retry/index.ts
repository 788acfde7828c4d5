/** One retry engine and one sleep, for everything that talks to a server (object storage, the Kubernetes API, AVES2). */
export { backoffMs, type RetryNote, type RetryOptions, type RetryPolicy, withRetry } from "./retry.js";
export { sleep } from "./sleep.js";
