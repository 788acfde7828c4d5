import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault } from "./types.js";

const REASONS: Readonly<Record<number, string>> = { 403: "Forbidden", 404: "NotFound", 409: "AlreadyExists", 410: "Expired", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable" };

/**
 * Faults answered instead of (or after) the real handling of matching
 * requests: a status (with Retry-After, field causes), a connection dropped
 * before the answer or after the request was handled.
 */
export class FaultInjector {
  readonly faults: Fault[] = [];

  inject(f: Fault): Fault {
    f.times ??= 1;
    f.hits = 0;
    this.faults.push(f);
    return f;
  }

  /** The fault that answers this request, if any (counted as a hit). */
  match(method: string, path: string, watch: boolean): Fault | undefined {
    const f = this.faults.find(
      (x) =>
        (x.hits ?? 0) < (x.times ?? 1) &&
        (!x.method || x.method === method) &&
        (x.watch === undefined || x.watch === watch) &&
        (!x.path || (typeof x.path === "string" ? path.includes(x.path) : x.path.test(path))),
    );
    if (f) f.hits = (f.hits ?? 0) + 1;
    return f;
  }
}

type Fail = (res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>, headers?: Record<string, string>) => void;

/**
 * Answers a request as its fault says; `handle` is the real handling (for a
 * drop after it). Returns false when the fault leaves the request to be
 * handled as usual.
 */
export async function answerFault(f: Fault | undefined, req: IncomingMessage, res: ServerResponse, fail: Fail, handle: (res: ServerResponse) => Promise<void>): Promise<boolean> {
  if (f?.drop === "before") {
    req.socket.destroy();
    return true;
  }
  if (f?.status) {
    const details = f.causes ? { causes: f.causes.map((c) => ({ reason: "FieldValueInvalid", ...c })) } : undefined;
    fail(res, f.status, REASONS[f.status] ?? "Failure", f.message ?? `injected ${f.status}`, details, f.retryAfter !== undefined ? { "Retry-After": String(f.retryAfter) } : {});
    return true;
  }
  if (f?.drop === "after") {
    // handled, but the answer is lost on the way back
    const fake = { writeHead: () => fake, end: () => req.socket.destroy(), write: () => true, on: () => fake, socket: req.socket, setHeader: () => undefined } as unknown as ServerResponse;
    await handle(fake);
    req.socket.destroy();
    return true;
  }
  return false;
}

/** Closes streams without ending them properly (lost connections); returns how many. */
export function dropStreams(responses: Iterable<ServerResponse>): number {
  let n = 0;
  for (const r of responses) {
    r.socket?.destroy();
    n++;
  }
  return n;
}

/** A verb on a resource the test's user is not allowed (RBAC), e.g. `{ verb: "watch", resource: "pods" }`, `{ verb: "get", resource: "pods/log" }`. */
export interface Denial {
  readonly verb: "get" | "list" | "watch" | "create" | "delete";
  /** The plural, with a subresource where there is one: `pods`, `pods/log`, `jobs`, `events`. */
  readonly resource: string;
  /** Only in this namespace (default: every one). */
  readonly namespace?: string;
}

/** What a request asks, in RBAC's terms. */
export interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** The 403 the API answers a request RBAC denies, worded as the API words it; undefined when allowed. */
export function denied(denials: readonly Denial[], a: Access, user: string): { message: string; details: Record<string, unknown> } | undefined {
  if (!denials.some((d) => d.verb === a.verb && d.resource === a.resource && (!d.namespace || d.namespace === a.namespace))) return undefined;
  const plural = a.resource.split("/")[0]!;
  const subject = `${a.group ? `${plural}.${a.group}` : plural}${a.name ? ` "${a.name}"` : ""}`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return {
    message: `${subject} is forbidden: User "${user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" ${scope}`,
    details: { ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: plural },
  };
}
