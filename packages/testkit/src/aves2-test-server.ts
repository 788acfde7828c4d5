import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A TEST SERVER standing in for an AVES2 deployment (a Django/REST service
 * that needs Kubernetes behind it, which cannot run here). It implements the
 * REST endpoints the AVES2 client uses, under `/aves2/api/`, with the same
 * token header, status codes and error bodies (Django REST framework's
 * `{"detail": ...}`), records every request for tests to assert on, moves
 * jobs through their statuses on a script, and serves their logs as text.
 */

export interface RecordedRequest {
  readonly method: string;
  /** Below the API root, e.g. `aves_job/`, `aves_job/1/logs/`, `client_check`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly contentType?: string;
  /** The JSON body, parsed (undefined when there is none). */
  readonly body?: unknown;
}

/** One step of a job's life, taken each time the job is fetched (a status poll). */
export interface JobStep {
  readonly status: string;
  /** Lines the job "prints" by this step. */
  readonly log?: readonly string[];
  readonly msg?: string;
}

export interface TestJob {
  id: number;
  job_name: string;
  name: string;
  namespace: string;
  username: string;
  status: string;
  msg: string;
  create_time: string;
  update_time: string;
  /** What was posted to create it. */
  payload: unknown;
  log: string[];
  script: JobStep[];
}

export interface Aves2TestServerOptions {
  /** The token it accepts (default `test-token`). */
  readonly token?: string;
  /** A token that may read but not change anything: 403 for POST, DELETE, start, cancel. */
  readonly readOnlyToken?: string;
  /** What `client_check` answers (default true); `"missing"` answers 404 as older servers do. */
  readonly acceptClient?: boolean | "missing";
  /** The steps every new job (and every restarted one) goes through. Empty = stays NEW. */
  readonly script?: readonly JobStep[];
  /** The logs endpoint returns at most this many last lines (the real one: 2000). */
  readonly logTail?: number;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

export interface Aves2TestServer {
  /** The host as aves2.cfg holds it: `http://127.0.0.1:<port>/aves2/`. */
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  readonly jobs: Map<number, TestJob>;
  /** Requests that reached an endpoint and changed something (POST, DELETE, start, cancel). */
  mutations(): RecordedRequest[];
  setStatus(id: number, status: string, msg?: string): void;
  appendLog(id: number, ...lines: string[]): void;
  /** A job created by someone else (not through this tool). */
  addJob(fields: Partial<TestJob>): TestJob;
  /** The next request whose `METHOD path` matches gets this reply instead. */
  failNext(match: RegExp, reply: Reply): void;
  close(): Promise<void>;
}

const ROOT = "/aves2/api/";

export async function startAves2TestServer(opts: Aves2TestServerOptions = {}): Promise<Aves2TestServer> {
  const token = opts.token ?? "test-token";
  const requests: RecordedRequest[] = [];
  const jobs = new Map<number, TestJob>();
  const failures: { match: RegExp; reply: Reply }[] = [];
  let nextId = 1;
  const now = () => new Date().toISOString();

  const newJob = (fields: Partial<TestJob>): TestJob => {
    const id = fields.id ?? nextId++;
    nextId = Math.max(nextId, id + 1);
    const job: TestJob = {
      id,
      job_name: "",
      name: "",
      namespace: "default",
      username: "tester",
      status: "NEW",
      msg: "",
      create_time: now(),
      update_time: now(),
      payload: undefined,
      log: [],
      script: [...(opts.script ?? [])],
      ...fields,
    };
    if (!job.job_name) job.job_name = job.name;
    if (!job.name) job.name = job.job_name;
    jobs.set(id, job);
    return job;
  };
  const view = (j: TestJob) => ({
    id: j.id,
    job_name: j.job_name,
    name: j.name,
    namespace: j.namespace,
    username: j.username,
    status: j.status,
    msg: j.msg,
    create_time: j.create_time,
    update_time: j.update_time,
  });

  const send = (res: ServerResponse, status: number, body: unknown, contentType = "application/json") => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "Content-Type": contentType, ...(text ? { "Content-Length": Buffer.byteLength(text) } : {}) });
    res.end(status === 204 ? undefined : text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const path = url.pathname.startsWith(ROOT) ? url.pathname.slice(ROOT.length) : url.pathname;
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    const failure = failures.findIndex((f) => f.match.test(`${method} ${path}`));
    if (failure >= 0) {
      const { reply } = failures.splice(failure, 1)[0]!;
      return send(res, reply.status, reply.body, reply.contentType ?? "application/json");
    }
    if (!url.pathname.startsWith(ROOT)) return send(res, 404, "<h1>Not Found</h1>", "text/html");

    const auth = req.headers.authorization ?? "";
    const given = /^Token (.+)$/.exec(auth)?.[1];
    if (!given) return send(res, 401, { detail: "Authentication credentials were not provided." });
    if (given !== token && given !== opts.readOnlyToken) return send(res, 401, { detail: "Invalid token." });
    const readOnly = given === opts.readOnlyToken;
    const forbid = () => send(res, 403, { detail: "You do not have permission to perform this action." });

    if (path === "client_check" && method === "GET") {
      if (opts.acceptClient === "missing") return send(res, 404, { detail: "Not found." });
      return send(res, 200, { success: opts.acceptClient ?? true });
    }
    if (path === "aves_job/" && method === "GET") return send(res, 200, [...jobs.values()].map(view));
    if (path === "aves_job/" && method === "POST") {
      if (readOnly) return forbid();
      const p = body as Record<string, unknown> | undefined;
      if (!p || typeof p !== "object") return send(res, 400, { non_field_errors: ["Invalid data. Expected a dictionary."] });
      const missing = ["name", "image", "resource_spec", "code_spec"].filter((k) => p[k] === undefined || p[k] === "");
      if (missing.length) return send(res, 400, Object.fromEntries(missing.map((k) => [k, ["This field is required."]])));
      const job = newJob({ job_name: String(p.name), namespace: String(p.namespace ?? "default"), payload: p });
      return send(res, 201, view(job));
    }
    const m = /^aves_job\/(\d+)\/?(start_job|cancel_job|logs)?\/?$/.exec(path);
    if (!m) return send(res, 404, { detail: "Not found." });
    const job = jobs.get(Number(m[1]));
    if (!job) return send(res, 404, { detail: "Not found." });
    const action = m[2];
    if (!action && method === "GET") {
      const step = job.script.shift();
      if (step) {
        job.status = step.status;
        job.log.push(...(step.log ?? []));
        if (step.msg !== undefined) job.msg = step.msg;
        job.update_time = now();
      }
      return send(res, 200, view(job));
    }
    if (!action && method === "DELETE") {
      if (readOnly) return forbid();
      jobs.delete(job.id);
      return send(res, 204, "");
    }
    if (action === "logs" && method === "GET") {
      const lines = opts.logTail ? job.log.slice(-opts.logTail) : job.log;
      return send(res, 200, lines.map((l) => `${l}\r\n`).join(""), "text/plain");
    }
    if (action === "cancel_job" && method === "GET") {
      if (readOnly) return forbid();
      job.status = "CANCELED";
      job.script = [];
      return send(res, 200, "");
    }
    if (action === "start_job" && method === "GET") {
      if (readOnly) return forbid();
      if (!["NEW", "FINISHED", "FAILURE", "CANCELED"].includes(job.status)) return send(res, 500, { detail: `job is ${job.status}` });
      job.status = "STARTING";
      job.msg = "";
      job.log = [];
      job.script = [...(opts.script ?? [])];
      return send(res, 200, "");
    }
    return send(res, 405, { detail: `Method "${method}" not allowed.` });
  };

  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (raw += d));
    req.on("end", () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/aves2/`,
    token,
    requests,
    jobs,
    mutations: () =>
      requests.filter((r) => r.method === "POST" || r.method === "DELETE" || /\/(start_job|cancel_job)\/$/.test(r.path)),
    setStatus(id, status, msg) {
      const j = jobs.get(id);
      if (!j) throw new Error(`no job ${id}`);
      j.status = status;
      if (msg !== undefined) j.msg = msg;
    },
    appendLog(id, ...lines) {
      const j = jobs.get(id);
      if (!j) throw new Error(`no job ${id}`);
      j.log.push(...lines);
    },
    addJob: (fields) => newJob(fields),
    failNext(match, reply) {
      failures.push({ match, reply });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
