import http from "node:http";
import https from "node:https";
import { UserError } from "../../errors.js";
import { type RetryOptions, type RetryPolicy, withRetry } from "@aves2/storage";
import { forbidden } from "./permissions.js";

/** Adds the cluster's TLS material and credentials (kubeconfig, exec plugins, tokens) to a request. */
export type ApplyAuth = (opts: https.RequestOptions) => Promise<void>;

/** The request an answer was to: a 403 names the verb and resource from it. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: RequestOptions["query"];
}

/** A Kubernetes `Status` answer, or a failed connection (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: Record<string, unknown>,
    /** Seconds, from a Retry-After header. */
    readonly retryAfter?: number,
    readonly code?: string,
    readonly request?: ApiRequest,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** 422's field causes: `spec.replicas: Invalid value...`. */
  causes(): string[] {
    const details = this.body?.details as { causes?: { field?: string; message?: string }[] } | undefined;
    return (details?.causes ?? []).map((c) => `${c.field ? `${c.field}: ` : ""}${c.message ?? ""}`);
  }
}

/** The API server's retries: a few quick ones, Retry-After honored up to a minute. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 8_000, maxRetryAfterMs: 60_000, jitter: [0.5, 1] };

const TRANSIENT_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ECONNABORTED", "UND_ERR_SOCKET", "ERR_STREAM_PREMATURE_CLOSE"]);

/** 429 and 5xx are the server asking us to come back; a dropped connection is worth another try too. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  return e.status === 429 || e.status >= 500 || (e.status === 0 && TRANSIENT_CODES.has(e.code ?? ""));
}

/** How the API client retries: transient API errors, after the Retry-After a server sent. */
function retrying(onRetry: () => void, signal?: AbortSignal): RetryOptions {
  return {
    transient: isTransient,
    retryAfterMs: (e) => (e instanceof ApiError && e.retryAfter !== undefined ? e.retryAfter * 1000 : undefined),
    onRetry,
    ...(signal ? { signal } : {}),
  };
}

function retryAfterSeconds(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\d+$/.test(s.trim())) return Number(s.trim());
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/**
 * The Kubernetes REST API over node:http(s), with the connection settings and
 * credentials of a kubeconfig (through @kubernetes/client-node). Bodies are
 * sent exactly as validated; 429/5xx/resets are retried with backoff,
 * honoring Retry-After.
 */
export class KubeApi {
  /** Requests tried again (for tests and messages). */
  retries = 0;

  constructor(
    readonly server: string,
    private readonly applyAuth: ApplyAuth,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  url(path: string, query: RequestOptions["query"] = {}): URL {
    const u = new URL(this.server.replace(/\/+$/, "") + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** One response, not retried: resolves for any status with the raw message. */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const u = this.url(path, opts.query);
    const reqOpts: https.RequestOptions = { method, headers: { Accept: "application/json" } };
    await this.applyAuth(reqOpts);
    const body = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
    if (body) reqOpts.headers = { ...reqOpts.headers, "Content-Type": opts.contentType ?? "application/json", "Content-Length": String(body.length) };
    const mod = u.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { ...reqOpts, ...(opts.signal ? { signal: opts.signal } : {}) }, resolve);
      req.on("error", (e: NodeJS.ErrnoException) => reject(new ApiError(0, "ConnectionFailed", `cannot reach the Kubernetes API at ${this.server}: ${e.message}`, undefined, undefined, e.code ?? e.name)));
      req.end(body);
    });
  }

  private async once<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const res = await this.open(method, path, opts);
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", (e: NodeJS.ErrnoException) => reject(new ApiError(0, "ConnectionFailed", `the connection to ${this.server} broke: ${e.message}`, undefined, undefined, e.code ?? "ECONNRESET")));
      res.on("aborted", () => reject(new ApiError(0, "ConnectionFailed", `the connection to ${this.server} broke`, undefined, undefined, "ECONNRESET")));
    });
    const status = res.statusCode ?? 0;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) return json as T;
    const st = (json ?? {}) as { reason?: string; message?: string };
    throw new ApiError(status, st.reason ?? String(status), st.message ?? (text.slice(0, 200) || `HTTP ${status}`), json as Record<string, unknown>, retryAfterSeconds(res.headers["retry-after"]), undefined, { method, path, ...(opts.query ? { query: opts.query } : {}) });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return withRetry(() => this.once<T>(method, path, opts), this.policy, retrying(() => this.retries++, opts.signal));
  }

  /** GET that answers undefined for 404. */
  async get<T>(path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.request<T>("GET", path, opts);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** A streaming GET (watch, logs) whose status is OK; transient failures to open it are retried. */
  async stream(path: string, query: RequestOptions["query"], signal?: AbortSignal): Promise<http.IncomingMessage> {
    return withRetry(
      async () => {
        const res = await this.open("GET", path, { query, ...(signal ? { signal } : {}) });
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return res;
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        let st: { reason?: string; message?: string } = {};
        try {
          st = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          // not a Status
        }
        throw new ApiError(status, st.reason ?? String(status), st.message ?? `HTTP ${status}`, st as Record<string, unknown>, retryAfterSeconds(res.headers["retry-after"]), undefined, { method: "GET", path, ...(query ? { query } : {}) });
      },
      this.policy,
      retrying(() => this.retries++, signal),
    );
  }
}

/** An API failure as a user reads it (no stack): what failed, and what the server said. */
export function apiUserError(e: unknown, what: string): unknown {
  if (!(e instanceof ApiError)) return e;
  const causes = e.causes();
  if (e.status === 0) return UserError.of(e.message, { path: what, hint: "is the cluster running, and is the kubeconfig's server right?" });
  if (e.status === 401) return UserError.of(`the cluster did not accept the credentials (401): ${e.message}`, { path: what, hint: "refresh them (log in again), or check the kubeconfig's user" });
  if (e.status === 403) return forbidden(e, what);
  if (causes.length) return new UserError(causes.map((c) => ({ path: what, message: c })));
  return UserError.of(`${e.message} (${e.status} ${e.reason})`, { path: what });
}
