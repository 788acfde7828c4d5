import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobController } from "./controller.js";
import { answerFault, type Denial, denied, type FaultInjector } from "./faults.js";
import { eventFor, type ObjectStore } from "./store.js";
import { apiVersionOf, clone, JOB_KINDS, KINDS, type K8sObj, type K8sTestServerOptions, type Kind, type LogLine, parseFieldSelector, parseSelector, type RecordedK8sRequest, statusBody, type Watcher } from "./types.js";

/** What the API reads from the server each time (tests change `validate`). */
export interface ApiSettings {
  readonly token: string;
  readonly validate: K8sTestServerOptions["validate"];
  /** Kubeflow kinds whose CRD is installed. */
  readonly kubeflow: readonly string[];
  /** What the test's user may not do (RBAC), and the user's name in the API's 403 messages. */
  readonly denials: readonly Denial[];
  readonly user: string;
}

/**
 * The REST side of the Kubernetes test server: discovery, create/get/list/
 * delete, `?watch=1` streams, pod logs; every request recorded, and answered
 * by an injected fault where one matches.
 */
export class KubeApiHandler {
  readonly requests: RecordedK8sRequest[] = [];
  /** Open follow streams of pod logs. */
  readonly logStreams = new Set<ServerResponse>();

  constructor(
    private readonly store: ObjectStore,
    private readonly controller: JobController,
    private readonly faults: FaultInjector,
    private readonly settings: ApiSettings,
  ) {}

  served(k: Kind): boolean {
    return !k.custom || this.settings.kubeflow.includes(k.kind);
  }

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private fail(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>, headers?: Record<string, string>): void {
    this.send(res, code, statusBody(code, reason, message, details), headers);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const method = req.method ?? "GET";
    const query = Object.fromEntries(u.searchParams);
    const watch = query.watch === "1" || query.watch === "true";
    this.requests.push({ method, path: u.pathname, query, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(body !== undefined ? { body } : {}) });
    if (req.headers.authorization !== `Bearer ${this.settings.token}`) return this.fail(res, 401, "Unauthorized", "Unauthorized");
    const f = this.faults.match(method, u.pathname, watch);
    if (await answerFault(f, req, res, (...a) => this.fail(...a), (r) => this.route(method, u, query, body, r, watch))) return;
    await this.route(method, u, query, body, res, watch);
  }

  private async route(method: string, u: URL, query: Record<string, string>, body: unknown, res: ServerResponse, watch: boolean): Promise<void> {
    const parts = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    // discovery
    if (method === "GET" && u.pathname === "/apis") return this.send(res, 200, this.groups());
    if (method === "GET" && (u.pathname === "/api/v1" || (parts[0] === "apis" && parts.length === 3))) {
      const gv = parts[0] === "api" ? "v1" : `${parts[1]}/${parts[2]}`;
      const kinds = KINDS.filter((k) => apiVersionOf(k) === gv && this.served(k));
      if (kinds.length === 0) return this.fail(res, 404, "NotFound", "the server could not find the requested resource");
      return this.send(res, 200, { kind: "APIResourceList", apiVersion: "v1", groupVersion: gv, resources: kinds.map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ["create", "delete", "get", "list", "watch"] })) });
    }
    // /api/v1/... or /apis/<group>/<version>/...
    const rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
    const gv = parts[0] === "api" ? parts[1] : `${parts[1]}/${parts[2]}`;
    let ns: string | undefined;
    let tail = rest;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      ns = rest[1];
      tail = rest.slice(2);
    }
    const kind = KINDS.find((k) => k.plural === tail[0] && apiVersionOf(k) === gv);
    if (!kind || !this.served(kind)) return this.fail(res, 404, "NotFound", "the server could not find the requested resource");
    const name = tail[1];
    const sub = tail[2];
    const verb = method === "POST" ? "create" : method === "DELETE" ? "delete" : name ? "get" : watch ? "watch" : "list";
    const refused = denied(this.settings.denials, { verb, resource: sub ? `${kind.plural}/${sub}` : kind.plural, group: kind.group, ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}) }, this.settings.user);
    if (refused) return this.fail(res, 403, "Forbidden", refused.message, refused.details);
    if (kind.namespaced && ns && !this.store.lookup(this.store.kind("Namespace"), undefined, ns) && method !== "GET") {
      return this.fail(res, 404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" });
    }
    if (method === "GET" && kind.kind === "Pod" && name && sub === "log") return this.podLog(res, ns ?? "", name, query);
    if (method === "GET" && !name) return watch ? this.watch(res, kind, ns, query) : this.list(res, kind, ns, query);
    if (method === "GET" && name) {
      const s = this.store.lookup(kind, ns, name);
      if (!s) return this.fail(res, 404, "NotFound", `${kind.plural} "${name}" not found`, { name, kind: kind.plural });
      return this.send(res, 200, s.obj);
    }
    if (method === "POST" && !name) return this.create(res, kind, ns, body as K8sObj);
    if (method === "DELETE" && name) {
      const opts = (body ?? {}) as { propagationPolicy?: string; gracePeriodSeconds?: number };
      const policy = opts.propagationPolicy ?? query.propagationPolicy ?? (kind.kind === "Job" ? "Orphan" : "Background");
      const grace = opts.gracePeriodSeconds ?? (query.gracePeriodSeconds !== undefined ? Number(query.gracePeriodSeconds) : undefined);
      const gone = this.store.remove(kind, ns, name, policy, grace);
      if (!gone) return this.fail(res, 404, "NotFound", `${kind.plural} "${name}" not found`, { name, kind: kind.plural });
      return this.send(res, 200, gone);
    }
    return this.fail(res, 405, "MethodNotAllowed", `${method} is not supported by the Kubernetes test server`);
  }

  private groups(): Record<string, unknown> {
    const groups = new Map<string, string[]>();
    for (const k of KINDS) if (k.group && this.served(k)) groups.set(k.group, [...new Set([...(groups.get(k.group) ?? []), k.version])]);
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups].map(([name, versions]) => ({ name, versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] } })),
    };
  }

  private list(res: ServerResponse, kind: Kind, ns: string | undefined, query: Record<string, string>): void {
    const items = this.store.matching(kind, ns, query.labelSelector, parseFieldSelector(query.fieldSelector)).map((o) => {
      if (kind.custom) return o;
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    this.send(res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(this.store.rv) }, items });
  }

  private watch(res: ServerResponse, kind: Kind, ns: string | undefined, query: Record<string, string>): void {
    const from = Number(query.resourceVersion ?? "0");
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    // the API server answers a watch at once, events or not
    res.flushHeaders();
    if (query.resourceVersion && from > 0 && from < this.store.compacted) {
      res.end(`${JSON.stringify({ type: "ERROR", object: statusBody(410, "Expired", `too old resource version: ${from} (${this.store.compacted})`) })}\n`);
      return;
    }
    const sel = parseSelector(query.labelSelector);
    const fields = parseFieldSelector(query.fieldSelector);
    const w: Watcher = { kind, ...(ns ? { namespace: ns } : {}), selector: sel, fields, res };
    if (from > 0) {
      // from a resourceVersion: every change since, in order, as it happened (DELETED included)
      for (const e of this.store.since(from)) {
        const line = eventFor(w, e);
        if (line) res.write(`${JSON.stringify(line)}\n`);
      }
    } else for (const o of this.store.matching(kind, ns, query.labelSelector, fields)) res.write(`${JSON.stringify({ type: "ADDED", object: o })}\n`);
    this.store.watchers.add(w);
    const t = setTimeout(() => res.end(), Number(query.timeoutSeconds ?? 300) * 1000);
    this.controller.timers.add(t);
    res.on("close", () => {
      clearTimeout(t);
      this.controller.timers.delete(t);
      this.store.watchers.delete(w);
    });
  }

  private async create(res: ServerResponse, kind: Kind, ns: string | undefined, o: K8sObj): Promise<void> {
    if (!o || typeof o !== "object" || !o.metadata?.name) return this.fail(res, 422, "Invalid", `${kind.kind} is invalid: metadata.name: Required value`, { kind: kind.plural, causes: [{ reason: "FieldValueRequired", field: "metadata.name", message: "Required value" }] });
    if (o.kind !== kind.kind || o.apiVersion !== apiVersionOf(kind)) return this.fail(res, 400, "BadRequest", `the object is a ${o.apiVersion}/${o.kind}, posted to ${kind.plural}`);
    if (o.metadata.namespace && ns && o.metadata.namespace !== ns) return this.fail(res, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    const validate = this.settings.validate;
    const causes = validate ? await validate(o) : [];
    if (causes.length) {
      const group = kind.group ? `.${kind.group}` : "";
      return this.fail(res, 422, "Invalid", `${kind.kind}${group} "${o.metadata.name}" is invalid: ${causes.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`).join(", ")}`, {
        name: o.metadata.name,
        group: kind.group,
        kind: kind.kind,
        causes: causes.map((c) => ({ reason: "FieldValueInvalid", ...c })),
      });
    }
    if (this.store.lookup(kind, ns, o.metadata.name)) {
      return this.fail(res, 409, "AlreadyExists", `${kind.plural}${kind.group ? `.${kind.group}` : ""} "${o.metadata.name}" already exists`, { name: o.metadata.name, group: kind.group, kind: kind.plural });
    }
    const made = this.store.put(kind, { ...clone(o), metadata: { ...clone(o.metadata), ...(kind.namespaced ? { namespace: ns ?? "default" } : {}) }, ...(JOB_KINDS.has(kind.kind) ? { status: {} } : {}) });
    this.send(res, 201, made);
    if (JOB_KINDS.has(kind.kind)) void this.controller.control(kind, made);
  }

  private podLog(res: ServerResponse, ns: string, name: string, query: Record<string, string>) {
    const pod = this.store.lookup(this.store.kind("Pod"), ns, name)?.obj;
    if (!pod) return this.fail(res, 404, "NotFound", `pods "${name}" not found`, { name, kind: "pods" });
    const container = query.container ?? this.controller.mainContainer(pod);
    const cs = ((pod.status as { containerStatuses?: { name: string; state?: Record<string, unknown> }[] }).containerStatuses ?? []).find((c) => c.name === container);
    if (!cs) return this.fail(res, 400, "BadRequest", `container ${container} is not valid for pod ${name}`);
    const runs = this.controller.logs.get(`${ns}/${name}/${container}`) ?? [];
    const previous = query.previous === "true" || query.previous === "1";
    const run = previous ? runs[runs.length - 2] : runs[runs.length - 1];
    if (!run) {
      if (previous) return this.fail(res, 400, "BadRequest", `previous terminated container "${container}" in pod "${name}" not found`);
      return this.fail(res, 400, "BadRequest", `container "${container}" in pod "${name}" is waiting to start: PodInitializing`);
    }
    const since = query.sinceTime ? query.sinceTime.replace(/Z$/, "") : "";
    const stamps = query.timestamps === "true" || query.timestamps === "1";
    const line = (l: LogLine) => `${stamps ? `${l.ts} ` : ""}${l.text}\n`;
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    // sinceTime has whole seconds: every line from that second on
    for (const l of run.lines) if (!since || l.ts.slice(0, 19) >= since.slice(0, 19)) res.write(line(l));
    const follow = (query.follow === "true" || query.follow === "1") && !previous;
    if (!follow || run.ended) return void res.end();
    this.logStreams.add(res);
    const f = (l: LogLine | null) => (l ? res.write(line(l)) : res.end());
    run.followers.add(f);
    res.on("close", () => {
      run.followers.delete(f);
      this.logStreams.delete(res);
    });
  }
}
