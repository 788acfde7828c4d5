import { UserError } from "../../errors.js";
import type { Aves2Payload } from "../../aves2/payload.js";

/** A job as the AVES2 server lists and shows it (the fields we use; it sends more). */
export interface Aves2Job {
  readonly id: number | string;
  readonly status: string;
  readonly job_name?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly create_time?: string;
  readonly update_time?: string;
  /** Why it failed, when the server says. */
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** The AVES2 client's own version: servers check it (`client_check`) and we speak its protocol. */
export const AVES2_CLIENT_VERSION = "1.0";

export interface Aves2ClientOptions {
  /** `http://<host>/aves2/` as in aves2.cfg; the API is under `api/` below it. */
  readonly host: string;
  readonly token: string;
  /** Values never to echo, whatever a server sends back (the token, the S3 secret). */
  readonly secrets?: readonly string[];
  readonly timeoutMs?: number;
  /** Where the host came from, for the hint when it cannot be reached. */
  readonly hostSource?: string;
  readonly tokenSource?: string;
}

type Expect = "json" | "text" | "none";

/**
 * The AVES2 REST API as the AVES2 client calls it (same paths, same
 * `Authorization: Token` header, same JSON), with Node's fetch. Every failure
 * becomes a UserError saying what went wrong and what to check.
 */
export class Aves2Client {
  private readonly base: string;

  constructor(private readonly o: Aves2ClientOptions) {
    this.base = o.host.endsWith("/") ? o.host : `${o.host}/`;
  }

  get host(): string {
    return this.base;
  }

  async clientCheck(): Promise<void> {
    // a server without the check (older AVES2) answers 404: nothing to check then
    const r = await this.call<{ success?: unknown } | null>("GET", `client_check?version=${AVES2_CLIENT_VERSION}`, { expect: "json", optional: true });
    if (r && r.success === false) {
      throw UserError.of(`the AVES2 server at ${this.base} does not accept client version ${AVES2_CLIENT_VERSION}`, { hint: "the server is newer than this tool speaks; ask its operators which client versions it takes" });
    }
  }

  async createJob(payload: Aves2Payload): Promise<Aves2Job> {
    const job = await this.call<unknown>("POST", "aves_job/", { body: payload, expect: "json" });
    return this.asJob(job, "POST aves_job/", true);
  }

  async listJobs(): Promise<Aves2Job[]> {
    const list = await this.call<unknown>("GET", "aves_job/", { expect: "json" });
    const items = Array.isArray(list) ? list : Array.isArray((list as { results?: unknown })?.results) ? (list as { results: unknown[] }).results : undefined;
    if (!items) throw this.malformed("GET aves_job/", JSON.stringify(list), "a list of jobs");
    return items.map((j) => this.asJob(j, "GET aves_job/"));
  }

  async getJob(id: string | number): Promise<Aves2Job> {
    return this.asJob(await this.call<unknown>("GET", `aves_job/${id}`, { expect: "json", job: id }), `GET aves_job/${id}`);
  }

  async startJob(id: string | number): Promise<void> {
    await this.call("GET", `aves_job/${id}/start_job/`, { expect: "none", job: id, action: "restart" });
  }

  async cancelJob(id: string | number): Promise<void> {
    await this.call("GET", `aves_job/${id}/cancel_job/`, { expect: "none", job: id, action: "cancel" });
  }

  /** False when the server had no such job (deleted already). */
  async deleteJob(id: string | number): Promise<boolean> {
    const r = await this.call<null | undefined>("DELETE", `aves_job/${id}/`, { expect: "none", job: id, action: "delete", optional: true });
    return r !== null;
  }

  async logs(id: string | number): Promise<string> {
    return this.call<string>("GET", `aves_job/${id}/logs/`, { expect: "text", job: id });
  }

  private asJob(v: unknown, what: string, created = false): Aves2Job {
    const j = v as Partial<Aves2Job> | null;
    const ok = j && typeof j === "object" && (typeof j.id === "number" || typeof j.id === "string") && (created || typeof j.status === "string");
    if (!ok) throw this.malformed(what, JSON.stringify(v), created ? "the created job with its id" : "a job with id and status");
    return { ...j, status: typeof j.status === "string" ? j.status : "NEW" } as Aves2Job;
  }

  private malformed(what: string, body: string, expected: string): UserError {
    return UserError.of(`the AVES2 server's reply to ${what} is not ${expected}: ${this.excerpt(body)}`, {
      hint: `is ${this.base} an AVES2 server?${what.startsWith("POST") ? " The job may have been created: `component runs --backend aves2` lists the server's jobs" : ""}`,
    });
  }

  private excerpt(text: string): string {
    let t = text.replace(/\s+/g, " ").trim();
    for (const s of this.o.secrets ?? []) if (s) t = t.split(s).join("***");
    return t.length > 200 ? `${t.slice(0, 200)}...` : t || "(empty)";
  }

  /** The server's reason from a DRF error body: `detail`, `err_msg`, or field → messages. */
  private detail(text: string): string {
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === "string") return this.excerpt(v);
      if (v && typeof v === "object" && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (typeof o.detail === "string") return this.excerpt(o.detail);
        const flat = (x: unknown): string => (Array.isArray(x) ? x.map(flat).join("; ") : x && typeof x === "object" ? Object.entries(x).map(([k, y]) => `${k}: ${flat(y)}`).join("; ") : String(x));
        return this.excerpt(flat(o.err_msg ?? o.errorMessage ?? o));
      }
      return this.excerpt(text);
    } catch {
      return this.excerpt(text);
    }
  }

  private async call<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    opts: { body?: unknown; expect: Expect; job?: string | number; action?: string; optional?: boolean },
  ): Promise<T> {
    const url = new URL(`api/${path}`, this.base).href;
    const what = `${method} ${path.replace(/\?.*$/, "")}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `Token ${this.o.token}`, Accept: "application/json", ...(opts.body !== undefined ? { "Content-Type": "application/json" } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        redirect: "follow",
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = (e as Error).name === "TimeoutError" ? "no answer in time" : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw UserError.of(`cannot reach the AVES2 server at ${this.base} (${why})`, {
        hint: `check the host${this.o.hostSource ? ` (from ${this.o.hostSource})` : ""}: AVES2_HOST, --aves2-host or host in ~/.aves2/aves2.cfg`,
      });
    }
    const text = await res.text().catch(() => "");
    if (res.status === 401 || res.status === 403) {
      throw UserError.of(
        res.status === 401
          ? `the AVES2 server at ${this.base} refused the API token (HTTP 401): it is wrong or expired`
          : `the AVES2 server at ${this.base} refused ${what} (HTTP 403): the API token lacks the rights for it`,
        { hint: `check api_token${this.o.tokenSource ? ` (from ${this.o.tokenSource})` : ""}; get a token at ${this.base}center/token/ (server said: ${this.detail(text)})` },
      );
    }
    if (res.status === 404) {
      if (opts.optional) return null as T;
      if (opts.job !== undefined) throw UserError.of(`AVES2 job ${opts.job} was not found on ${this.base}`, { hint: "`component runs --backend aves2` lists the jobs the token can see" });
      throw UserError.of(`${url} was not found (HTTP 404)`, { hint: `is ${this.base} the AVES2 server's address (e.g. http://<host>/aves2/)?` });
    }
    if (res.status === 400) {
      throw UserError.of(`the AVES2 server rejected ${opts.action ? `the ${opts.action} of job ${opts.job}` : what} (HTTP 400): ${this.detail(text)}`);
    }
    if (!res.ok) {
      const action = opts.action ? `the ${opts.action} of job ${opts.job}` : what;
      throw UserError.of(`the AVES2 server failed ${action} (HTTP ${res.status}): ${this.detail(text)}`);
    }
    if (opts.expect === "none") return undefined as T;
    if (opts.expect === "text") {
      // the server streams the log as text; some proxies wrap it as a JSON string
      if (/^\s*"/.test(text)) {
        try {
          return JSON.parse(text) as T;
        } catch {
          return text as T;
        }
      }
      return text as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw this.malformed(what, text, "JSON");
    }
  }
}
