import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

/**
 * A TEST SERVER standing in for a Kubernetes API server (no cluster can run
 * here). It speaks the REST paths and the watch protocol the Kubernetes
 * backend uses, over plain HTTP on 127.0.0.1:
 *
 * - API discovery (`/api/v1`, `/apis`, `/apis/<group>/<version>`), with the
 *   Kubeflow kinds served only where their CRD is "installed";
 * - create/get/list/delete of Jobs, TFJobs, PyTorchJobs, MPIJobs, Pods,
 *   Services, Secrets, ConfigMaps, PVCs, Namespaces and Nodes, with
 *   labelSelector, resourceVersion, 409 AlreadyExists, 404 NotFound, a 422
 *   Invalid `Status` with field causes, and deletion that follows
 *   ownerReferences as the garbage collector does (`propagationPolicy`;
 *   batch/v1 Jobs orphan their pods by default, as the real API does);
 * - `?watch=1` streams of JSON events from a resourceVersion, an ERROR event
 *   with code 410 once that version is "compacted";
 * - pod logs with `container`, `timestamps`, `follow`, `previous`, `sinceTime`.
 *
 * A small controller makes pods for every job it is given (as the Job
 * controller and the Kubeflow operators do) and moves them through the steps
 * of a script: unschedulable, image pull back-off, running, printing lines,
 * restarting, OOMKilled, succeeded, failed. Faults can be injected (a status
 * with Retry-After, a dropped connection), and every request is recorded.
 *
 * List items of built-in kinds come without `kind`/`apiVersion`, as the real
 * API sends them; custom resources carry theirs.
 */

export interface K8sObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface RecordedK8sRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly body?: unknown;
}

/** A field problem, as the API's 422 `details.causes` carry them. */
export interface FieldCause {
  readonly field?: string;
  readonly message: string;
}

/** A fault answered instead of (or after) the real handling of matching requests. */
export interface Fault {
  readonly method?: string;
  /** A substring of the path, or a pattern. */
  readonly path?: string | RegExp;
  /** Only watch requests (true) or only others (false). */
  readonly watch?: boolean;
  /** How many matching requests it answers (default 1). */
  times?: number;
  /** The status to answer (a Kubernetes `Status` body), e.g. 429, 500, 410, 422. */
  readonly status?: number;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
  readonly message?: string;
  readonly causes?: readonly FieldCause[];
  /** `before`: close the connection without an answer; `after`: handle the request, then close it unanswered. */
  readonly drop?: "before" | "after";
  /** Requests it has answered. */
  hits?: number;
}

/** One step of a job's life; the controller takes them one after another, `stepMs` apart. */
export type K8sJobStep =
  | { readonly unschedulable: string }
  | { readonly waiting: string; readonly message?: string; readonly replica?: string }
  | { readonly run: true }
  | { readonly log: readonly string[]; readonly replica?: string }
  | { readonly restart: string; readonly exitCode?: number; readonly reason?: string }
  | { readonly succeed: true }
  | { readonly fail: { readonly reason?: string; readonly message?: string; readonly replica?: string; readonly exitCode?: number; readonly oom?: boolean } }
  | { readonly wait: number }
  /** Stops here until `resume(job)`. */
  | { readonly hold: true };

export interface K8sTestNode {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  readonly gpu?: string;
  readonly ready?: boolean;
}

export interface K8sTestServerOptions {
  /** The bearer token it accepts (default `test-token`); any other gets 401. */
  readonly token?: string;
  readonly namespaces?: readonly string[];
  /** Kubeflow kinds whose CRD is installed (default all three). */
  readonly kubeflow?: readonly ("TFJob" | "PyTorchJob" | "MPIJob")[];
  readonly nodes?: readonly K8sTestNode[];
  /** Checks a created object as admission would; its causes make a 422. The backend's own validator, in tests. */
  readonly validate?: (o: K8sObj) => readonly FieldCause[] | Promise<readonly FieldCause[]>;
  /** The steps of each new job (default: run, print a line, succeed). */
  readonly script?: (job: K8sObj) => readonly K8sJobStep[];
  /** Milliseconds between two steps (default 40). */
  readonly stepMs?: number;
}

interface Kind {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly custom: boolean;
}

const KINDS: readonly Kind[] = [
  { kind: "Pod", group: "", version: "v1", plural: "pods", namespaced: true, custom: false },
  { kind: "Service", group: "", version: "v1", plural: "services", namespaced: true, custom: false },
  { kind: "Secret", group: "", version: "v1", plural: "secrets", namespaced: true, custom: false },
  { kind: "ConfigMap", group: "", version: "v1", plural: "configmaps", namespaced: true, custom: false },
  { kind: "PersistentVolumeClaim", group: "", version: "v1", plural: "persistentvolumeclaims", namespaced: true, custom: false },
  { kind: "Namespace", group: "", version: "v1", plural: "namespaces", namespaced: false, custom: false },
  { kind: "Node", group: "", version: "v1", plural: "nodes", namespaced: false, custom: false },
  { kind: "Job", group: "batch", version: "v1", plural: "jobs", namespaced: true, custom: false },
  { kind: "TFJob", group: "kubeflow.org", version: "v1", plural: "tfjobs", namespaced: true, custom: true },
  { kind: "PyTorchJob", group: "kubeflow.org", version: "v1", plural: "pytorchjobs", namespaced: true, custom: true },
  { kind: "MPIJob", group: "kubeflow.org", version: "v2beta1", plural: "mpijobs", namespaced: true, custom: true },
];

const apiVersionOf = (k: Kind) => (k.group ? `${k.group}/${k.version}` : k.version);
const REPLICA_KEY: Readonly<Record<string, string>> = { TFJob: "tfReplicaSpecs", PyTorchJob: "pytorchReplicaSpecs", MPIJob: "mpiReplicaSpecs" };
const JOB_KINDS = new Set(["Job", "TFJob", "PyTorchJob", "MPIJob"]);

/** RFC 3339 with nanoseconds, strictly increasing, as kubelet stamps log lines. */
function nanoClock(): () => string {
  let last = 0n;
  return () => {
    let ns = BigInt(Date.now()) * 1_000_000n;
    if (ns <= last) ns = last + 1n;
    last = ns;
    const ms = Number(ns / 1_000_000n);
    const iso = new Date(ms).toISOString().slice(0, 19);
    return `${iso}.${String(ns % 1_000_000_000n).padStart(9, "0")}Z`;
  };
}

interface LogLine {
  readonly ts: string;
  readonly text: string;
}

/** One run of one container: its lines, and the follow streams reading it. */
interface ContainerInstance {
  lines: LogLine[];
  ended: boolean;
  followers: Set<(l: LogLine | null) => void>;
}

interface Watcher {
  readonly kind: Kind;
  readonly namespace?: string;
  readonly selector: (labels: Record<string, string> | undefined) => boolean;
  readonly res: ServerResponse;
}

interface Stored {
  readonly kind: Kind;
  obj: K8sObj;
}

/** `a=b,c!=d,e`, the equality-based selectors, as the API filters lists and watches. */
export function parseSelector(s: string | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  const terms = (s ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(t);
      if (ne) return (l: Record<string, string>) => l[ne[1]!.trim()] !== ne[2]!.trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(t);
      if (eq) return (l: Record<string, string>) => l[eq[1]!.trim()] === eq[2]!.trim();
      if (t.startsWith("!")) return (l: Record<string, string>) => !(t.slice(1) in l);
      return (l: Record<string, string>) => t in l;
    });
  return (labels) => terms.every((f) => f(labels ?? {}));
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class K8sTestServer {
  readonly requests: RecordedK8sRequest[] = [];
  readonly faults: Fault[] = [];
  /** Jobs whose script is held (a `hold` step), with what resumes them. */
  private readonly held = new Map<string, () => void>();
  private readonly store = new Map<string, Stored>();
  private readonly logs = new Map<string, ContainerInstance[]>();
  private readonly watchers = new Set<Watcher>();
  private readonly logStreams = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopped = new Set<string>();
  private rv = 100;
  /** Watches from a resourceVersion below this answer 410 Gone. */
  private compacted = 0;
  private readonly now = nanoClock();
  private readonly server = createServer((req, res) => void this.handle(req, res));
  readonly token: string;
  url = "";
  stepMs: number;
  script: (job: K8sObj) => readonly K8sJobStep[];
  validate: K8sTestServerOptions["validate"];

  constructor(private readonly opts: K8sTestServerOptions = {}) {
    this.token = opts.token ?? "test-token";
    this.stepMs = opts.stepMs ?? 40;
    this.validate = opts.validate;
    this.script = opts.script ?? (() => [{ run: true }, { log: ["hello from the test cluster"] }, { succeed: true }]);
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    for (const ns of opts.namespaces ?? ["default"]) this.put(this.kind("Namespace"), { apiVersion: "v1", kind: "Namespace", metadata: { name: ns }, status: { phase: "Active" } });
    for (const n of opts.nodes ?? [{ name: "node-1", cpu: "16", memory: "64Gi" }]) this.addNode(n);
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig for this server (token auth, plain HTTP), written to `dir/kubeconfig`. */
  writeKubeconfig(dir: string, opts: { namespace?: string; context?: string; token?: string } = {}): string {
    const ctx = opts.context ?? "test-cluster";
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        `current-context: ${ctx}`,
        "clusters:",
        `  - name: ${ctx}`,
        "    cluster:",
        `      server: ${this.url}`,
        // the client refuses http:// unless TLS checks are off explicitly
        "      insecure-skip-tls-verify: true",
        "contexts:",
        `  - name: ${ctx}`,
        "    context:",
        `      cluster: ${ctx}`,
        `      user: ${ctx}-user`,
        ...(opts.namespace ? [`      namespace: ${opts.namespace}`] : []),
        "users:",
        `  - name: ${ctx}-user`,
        "    user:",
        `      token: ${opts.token ?? this.token}`,
        "",
      ].join("\n"),
    );
    return file;
  }

  // ---- inspection and control, for tests ----

  /** Objects of a kind (with kind/apiVersion), optionally in one namespace. */
  objects(kind: string, namespace?: string): K8sObj[] {
    return [...this.store.values()].filter((s) => s.kind.kind === kind && (namespace === undefined || s.obj.metadata.namespace === namespace)).map((s) => clone(s.obj));
  }

  get(kind: string, namespace: string | undefined, name: string): K8sObj | undefined {
    const s = this.store.get(this.key(this.kind(kind), namespace, name));
    return s ? clone(s.obj) : undefined;
  }

  /** Adds (or replaces) an object as if someone else had created it: a PVC, a Secret. */
  add(o: K8sObj): K8sObj {
    const kind = this.kind(o.kind ?? "");
    return clone(this.put(kind, { ...clone(o), apiVersion: apiVersionOf(kind), kind: kind.kind }));
  }

  addNode(n: K8sTestNode): void {
    this.put(this.kind("Node"), {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name } },
      spec: {},
      status: {
        allocatable: { cpu: n.cpu, memory: n.memory, ...(n.gpu ? { "nvidia.com/gpu": n.gpu } : {}), pods: "110" },
        capacity: { cpu: n.cpu, memory: n.memory, ...(n.gpu ? { "nvidia.com/gpu": n.gpu } : {}), pods: "110" },
        conditions: [{ type: "Ready", status: n.ready === false ? "False" : "True" }],
      },
    });
  }

  /** Answers matching requests with a fault (a status, Retry-After, a dropped connection). */
  inject(f: Fault): Fault {
    f.times ??= 1;
    f.hits = 0;
    this.faults.push(f);
    return f;
  }

  /** Forgets every resourceVersion up to now: open watches get an ERROR 410 event and end; watching from an older version gets it at once. */
  expireWatches(): void {
    this.compacted = this.rv + 1;
    this.rv++;
    for (const w of [...this.watchers]) {
      w.res.end(`${JSON.stringify({ type: "ERROR", object: this.status(410, "Expired", "too old resource version") })}\n`);
      this.watchers.delete(w);
    }
  }

  /** Closes every open log stream without ending it properly (a lost connection). */
  dropLogStreams(): number {
    const n = this.logStreams.size;
    for (const r of this.logStreams) r.socket?.destroy();
    this.logStreams.clear();
    return n;
  }

  /** Closes every open watch without ending it properly. */
  dropWatches(): number {
    const n = this.watchers.size;
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
    return n;
  }

  /** Open log and watch streams (tests wait for a follower to be connected). */
  get openStreams(): { logs: number; watches: number } {
    return { logs: this.logStreams.size, watches: this.watchers.size };
  }

  /** Lets a job whose script holds go on. */
  resume(job: string): void {
    const r = this.held.get(job);
    this.held.delete(job);
    r?.();
  }

  isHeld(job: string): boolean {
    return this.held.has(job);
  }

  /** The pods of a job (by its name), sorted by name. */
  podsOf(job: string, namespace?: string): K8sObj[] {
    return this.objects("Pod", namespace)
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.name === job) || p.metadata.labels?.["training.kubeflow.org/job-name"] === job)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** Lines a container printed, as `kubectl logs` shows them (all its runs). */
  printed(namespace: string, pod: string, container: string): string[] {
    return (this.logs.get(`${namespace}/${pod}/${container}`) ?? []).flatMap((i) => i.lines.map((l) => l.text));
  }

  // ---- the store ----

  private kind(name: string): Kind {
    const k = KINDS.find((x) => x.kind === name);
    if (!k) throw new Error(`the Kubernetes test server has no kind ${name}`);
    return k;
  }

  private served(k: Kind): boolean {
    return !k.custom || (this.opts.kubeflow ?? ["TFJob", "PyTorchJob", "MPIJob"]).includes(k.kind as "TFJob");
  }

  private key(k: Kind, ns: string | undefined, name: string): string {
    return `${k.plural}/${k.namespaced ? ns ?? "" : ""}/${name}`;
  }

  private put(kind: Kind, o: K8sObj, type?: "ADDED" | "MODIFIED"): K8sObj {
    const key = this.key(kind, o.metadata.namespace, o.metadata.name);
    const existing = this.store.get(key);
    const obj: K8sObj = {
      ...o,
      metadata: {
        ...o.metadata,
        uid: o.metadata.uid ?? existing?.obj.metadata.uid ?? randomUUID(),
        creationTimestamp: o.metadata.creationTimestamp ?? existing?.obj.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        resourceVersion: String(++this.rv),
      },
    };
    this.store.set(key, { kind, obj });
    this.notify(type ?? (existing ? "MODIFIED" : "ADDED"), kind, obj);
    return obj;
  }

  /** Changes an object's status (or anything) in place, as a controller does. */
  private update(kind: Kind, ns: string | undefined, name: string, f: (o: K8sObj) => void): K8sObj | undefined {
    const s = this.store.get(this.key(kind, ns, name));
    if (!s) return undefined;
    const o = clone(s.obj);
    f(o);
    return this.put(kind, o, "MODIFIED");
  }

  private remove(kind: Kind, ns: string | undefined, name: string, propagation: string): K8sObj | undefined {
    const key = this.key(kind, ns, name);
    const s = this.store.get(key);
    if (!s) return undefined;
    this.store.delete(key);
    const gone = { ...s.obj, metadata: { ...s.obj.metadata, resourceVersion: String(++this.rv) } };
    this.notify("DELETED", kind, gone);
    if (JOB_KINDS.has(kind.kind)) this.stopped.add(`${ns}/${name}`);
    if (kind.kind === "Pod") for (const [k, runs] of this.logs) if (k.startsWith(`${ns}/${name}/`)) for (const r of runs) this.endInstance(r);
    // the garbage collector: dependents go with their owner, unless orphaned
    for (const d of [...this.store.values()]) {
      const refs = d.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === s.obj.metadata.uid)) continue;
      if (propagation === "Orphan") this.update(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, (o) => {
          o.metadata.ownerReferences = refs.filter((r) => r.uid !== s.obj.metadata.uid);
        });
      else this.remove(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, propagation);
    }
    return gone;
  }

  private notify(type: string, kind: Kind, obj: K8sObj): void {
    for (const w of this.watchers) {
      if (w.kind !== kind || (w.namespace && w.namespace !== obj.metadata.namespace) || !w.selector(obj.metadata.labels)) continue;
      w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
    }
  }

  private status(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
  }

  // ---- HTTP ----

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private fail(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>, headers?: Record<string, string>): void {
    this.send(res, code, this.status(code, reason, message, details), headers);
  }

  private fault(method: string, path: string, watch: boolean): Fault | undefined {
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.fail(res, 401, "Unauthorized", "Unauthorized");
    const f = this.fault(method, u.pathname, watch);
    if (f?.drop === "before") {
      req.socket.destroy();
      return;
    }
    if (f?.status) {
      const details = f.causes ? { causes: f.causes.map((c) => ({ reason: "FieldValueInvalid", ...c })) } : undefined;
      const reason = { 404: "NotFound", 409: "AlreadyExists", 410: "Expired", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable" }[f.status] ?? "Failure";
      return this.fail(res, f.status, reason, f.message ?? `injected ${f.status}`, details, f.retryAfter !== undefined ? { "Retry-After": String(f.retryAfter) } : {});
    }
    if (f?.drop === "after") {
      // handled, but the answer is lost on the way back
      const fake = { writeHead: () => fake, end: () => req.socket.destroy(), write: () => true, on: () => fake, socket: req.socket, setHeader: () => undefined } as unknown as ServerResponse;
      await this.route(method, u, query, body, fake, watch);
      req.socket.destroy();
      return;
    }
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
    if (kind.namespaced && ns && !this.store.has(this.key(this.kind("Namespace"), undefined, ns)) && method !== "GET") {
      return this.fail(res, 404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" });
    }
    if (method === "GET" && kind.kind === "Pod" && name && sub === "log") return this.podLog(res, ns ?? "", name, query);
    if (method === "GET" && !name) return watch ? this.watch(res, kind, ns, query) : this.list(res, kind, ns, query);
    if (method === "GET" && name) {
      const s = this.store.get(this.key(kind, ns, name));
      if (!s) return this.fail(res, 404, "NotFound", `${kind.plural} "${name}" not found`, { name, kind: kind.plural });
      return this.send(res, 200, s.obj);
    }
    if (method === "POST" && !name) return this.create(res, kind, ns, body as K8sObj);
    if (method === "DELETE" && name) {
      const policy = (body as { propagationPolicy?: string } | undefined)?.propagationPolicy ?? query.propagationPolicy ?? (kind.kind === "Job" ? "Orphan" : "Background");
      const gone = this.remove(kind, ns, name, policy);
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

  private matching(kind: Kind, ns: string | undefined, selector: string | undefined): K8sObj[] {
    const sel = parseSelector(selector);
    return [...this.store.values()].filter((s) => s.kind === kind && (!ns || s.obj.metadata.namespace === ns) && sel(s.obj.metadata.labels)).map((s) => s.obj);
  }

  private list(res: ServerResponse, kind: Kind, ns: string | undefined, query: Record<string, string>): void {
    const items = this.matching(kind, ns, query.labelSelector).map((o) => {
      if (kind.custom) return o;
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest;
    });
    this.send(res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(this.rv) }, items });
  }

  private watch(res: ServerResponse, kind: Kind, ns: string | undefined, query: Record<string, string>): void {
    const from = Number(query.resourceVersion ?? "0");
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    if (query.resourceVersion && from > 0 && from < this.compacted) {
      res.end(`${JSON.stringify({ type: "ERROR", object: this.status(410, "Expired", `too old resource version: ${from} (${this.compacted})`) })}\n`);
      return;
    }
    // no event history is kept: a watch from an old version first gets the objects changed since, as ADDED/MODIFIED
    const sel = parseSelector(query.labelSelector);
    for (const o of this.matching(kind, ns, query.labelSelector)) if (Number(o.metadata.resourceVersion) > from) res.write(`${JSON.stringify({ type: "MODIFIED", object: o })}\n`);
    const w: Watcher = { kind, ...(ns ? { namespace: ns } : {}), selector: sel, res };
    this.watchers.add(w);
    const t = setTimeout(() => res.end(), Number(query.timeoutSeconds ?? 300) * 1000);
    this.timers.add(t);
    res.on("close", () => {
      clearTimeout(t);
      this.timers.delete(t);
      this.watchers.delete(w);
    });
  }

  private async create(res: ServerResponse, kind: Kind, ns: string | undefined, o: K8sObj): Promise<void> {
    if (!o || typeof o !== "object" || !o.metadata?.name) return this.fail(res, 422, "Invalid", `${kind.kind} is invalid: metadata.name: Required value`, { kind: kind.plural, causes: [{ reason: "FieldValueRequired", field: "metadata.name", message: "Required value" }] });
    if (o.kind !== kind.kind || o.apiVersion !== apiVersionOf(kind)) return this.fail(res, 400, "BadRequest", `the object is a ${o.apiVersion}/${o.kind}, posted to ${kind.plural}`);
    if (o.metadata.namespace && ns && o.metadata.namespace !== ns) return this.fail(res, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    const causes = this.validate ? await this.validate(o) : [];
    if (causes.length) {
      const group = kind.group ? `.${kind.group}` : "";
      return this.fail(res, 422, "Invalid", `${kind.kind}${group} "${o.metadata.name}" is invalid: ${causes.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`).join(", ")}`, {
        name: o.metadata.name,
        group: kind.group,
        kind: kind.kind,
        causes: causes.map((c) => ({ reason: "FieldValueInvalid", ...c })),
      });
    }
    if (this.store.has(this.key(kind, ns, o.metadata.name))) {
      return this.fail(res, 409, "AlreadyExists", `${kind.plural}${kind.group ? `.${kind.group}` : ""} "${o.metadata.name}" already exists`, { name: o.metadata.name, group: kind.group, kind: kind.plural });
    }
    const made = this.put(kind, { ...clone(o), metadata: { ...clone(o.metadata), ...(kind.namespaced ? { namespace: ns ?? "default" } : {}) }, ...(JOB_KINDS.has(kind.kind) ? { status: {} } : {}) });
    this.send(res, 201, made);
    if (JOB_KINDS.has(kind.kind)) this.control(kind, made);
  }

  // ---- the controller ----

  private later(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** The pod templates of a job: role (lower case), replica count, template. */
  private replicas(job: K8sObj): { type: string; count: number; template: K8sObj }[] {
    const spec = (job.spec ?? {}) as Record<string, unknown>;
    if (job.kind === "Job") return [{ type: "", count: Number(spec.parallelism ?? 1), template: spec.template as K8sObj }];
    const specs = (spec[REPLICA_KEY[job.kind!]!] ?? {}) as Record<string, { replicas?: number; template: K8sObj }>;
    return Object.entries(specs).map(([type, r]) => ({ type, count: r.replicas ?? 1, template: r.template }));
  }

  private makePods(kind: Kind, job: K8sObj): void {
    const ns = job.metadata.namespace!;
    const indexed = job.kind === "Job" && (job.spec as { completionMode?: string }).completionMode === "Indexed";
    for (const { type, count, template } of this.replicas(job)) {
      for (let i = 0; i < count; i++) {
        const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
        const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
        let name: string;
        if (job.kind === "Job") {
          Object.assign(labels, { "batch.kubernetes.io/job-name": job.metadata.name, "job-name": job.metadata.name, "batch.kubernetes.io/controller-uid": job.metadata.uid! });
          if (indexed) {
            labels["batch.kubernetes.io/job-completion-index"] = String(i);
            annotations["batch.kubernetes.io/job-completion-index"] = String(i);
          }
          name = `${job.metadata.name}-${indexed ? `${i}-` : ""}${randomUUID().slice(0, 5)}`;
        } else {
          Object.assign(labels, { "training.kubeflow.org/job-name": job.metadata.name, "training.kubeflow.org/replica-type": type.toLowerCase(), "training.kubeflow.org/replica-index": String(i), "training.kubeflow.org/operator-name": `${kind.plural.replace(/s$/, "")}-controller` });
          name = `${job.metadata.name}-${type.toLowerCase()}-${i}`;
        }
        const spec = template.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] };
        this.put(this.kind("Pod"), {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: ns, labels, annotations, ownerReferences: [{ apiVersion: job.apiVersion!, kind: job.kind!, name: job.metadata.name, uid: job.metadata.uid!, controller: true }] },
          spec: clone(spec),
          status: {
            phase: "Pending",
            conditions: [{ type: "PodScheduled", status: "True" }],
            initContainerStatuses: (spec.initContainers ?? []).map((c) => ({ name: c.name, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } })),
            containerStatuses: (spec.containers ?? []).map((c) => ({ name: c.name, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } })),
          },
        });
      }
    }
  }

  /** The pods a step is about: `worker-0`, `master-0` (role-index), or all. */
  private podsFor(job: K8sObj, replica?: string): K8sObj[] {
    const pods = this.podsOf(job.metadata.name, job.metadata.namespace);
    if (!replica) return pods;
    return pods.filter((p) => {
      const l = p.metadata.labels ?? {};
      const role = l["aves2.io/role"] ?? l["training.kubeflow.org/replica-type"] ?? "worker";
      const index = l["training.kubeflow.org/replica-index"] ?? p.metadata.annotations?.["batch.kubernetes.io/job-completion-index"] ?? "0";
      return `${role}-${index}` === replica || p.metadata.name === replica;
    });
  }

  private mainContainer(pod: K8sObj): string {
    return ((pod.spec as { containers: { name: string }[] }).containers[0]!).name;
  }

  private instances(ns: string, pod: string, container: string): ContainerInstance[] {
    const key = `${ns}/${pod}/${container}`;
    let runs = this.logs.get(key);
    if (!runs) {
      runs = [];
      this.logs.set(key, runs);
    }
    return runs;
  }

  private startInstance(ns: string, pod: string, container: string): void {
    const runs = this.instances(ns, pod, container);
    for (const r of runs) this.endInstance(r);
    runs.push({ lines: [], ended: false, followers: new Set() });
  }

  private endInstance(r: ContainerInstance): void {
    if (r.ended) return;
    r.ended = true;
    for (const f of r.followers) f(null);
    r.followers.clear();
  }

  /** Appends lines to the current run of a pod's container (its first one by default). */
  appendLog(namespace: string, pod: string, lines: readonly string[], container?: string): void {
    const p = this.get("Pod", namespace, pod);
    if (!p) throw new Error(`no pod ${namespace}/${pod}`);
    const c = container ?? this.mainContainer(p);
    const runs = this.instances(namespace, pod, c);
    if (runs.length === 0) this.startInstance(namespace, pod, c);
    const cur = runs[runs.length - 1]!;
    for (const text of lines) {
      const l = { ts: this.now(), text };
      cur.lines.push(l);
      for (const f of cur.followers) f(l);
    }
  }

  private setPod(pod: K8sObj, f: (status: Record<string, unknown>, spec: K8sObj["spec"]) => void): void {
    this.update(this.kind("Pod"), pod.metadata.namespace, pod.metadata.name, (o) => f(o.status as Record<string, unknown>, o.spec));
  }

  private setJob(kind: Kind, job: K8sObj, f: (status: Record<string, unknown>) => void): void {
    this.update(kind, job.metadata.namespace, job.metadata.name, (o) => {
      o.status ??= {};
      f(o.status as Record<string, unknown>);
    });
  }

  private async control(kind: Kind, job: K8sObj): Promise<void> {
    const id = `${job.metadata.namespace}/${job.metadata.name}`;
    this.stopped.delete(id);
    const steps = this.script(job);
    await this.later(this.stepMs);
    if (this.stopped.has(id)) return;
    this.makePods(kind, job);
    const ts = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const cond = (type: string, reason: string, message: string) => ({ type, status: "True", reason, message, lastUpdateTime: ts(), lastTransitionTime: ts() });
    const jobConditions = (s: Record<string, unknown>, c: Record<string, unknown>) => {
      const list = ((s.conditions as Record<string, unknown>[] | undefined) ?? []).filter((x) => x.type !== "Running" || kind.kind === "Job");
      if (kind.kind !== "Job" && c.type !== "Running") list.push({ ...cond("Running", `${kind.kind}Running`, ""), status: "False" });
      s.conditions = [...list.filter((x) => x.type !== c.type), c];
    };
    if (kind.kind !== "Job") this.setJob(kind, job, (s) => jobConditions(s, cond("Created", `${kind.kind}Created`, `${kind.kind} ${job.metadata.name} is created.`)));
    for (const step of steps) {
      await this.later(this.stepMs);
      if (this.stopped.has(id)) return;
      if ("hold" in step) {
        await new Promise<void>((resolve) => this.held.set(job.metadata.name, resolve));
        if (this.stopped.has(id)) return;
      } else if ("wait" in step) await this.later(step.wait);
      else if ("unschedulable" in step) {
        for (const p of this.podsFor(job))
          this.setPod(p, (s) => {
            s.conditions = [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: step.unschedulable, lastTransitionTime: ts() }];
          });
      } else if ("waiting" in step) {
        for (const p of this.podsFor(job, step.replica))
          this.setPod(p, (s) => {
            s.conditions = [{ type: "PodScheduled", status: "True" }];
            for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { waiting: { reason: step.waiting, ...(step.message ? { message: step.message } : {}) } };
          });
      } else if ("run" in step) {
        for (const p of this.podsFor(job)) {
          for (const c of (p.spec as { containers: { name: string }[] }).containers) this.startInstance(p.metadata.namespace!, p.metadata.name, c.name);
          this.setPod(p, (s) => {
            s.phase = "Running";
            s.startTime = ts();
            s.conditions = [{ type: "PodScheduled", status: "True" }, { type: "Initialized", status: "True" }, { type: "Ready", status: "True" }];
            for (const c of (s.initContainerStatuses as Record<string, unknown>[]) ?? []) c.state = { terminated: { exitCode: 0, reason: "Completed", finishedAt: ts() } };
            for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { running: { startedAt: ts() } };
          });
        }
        this.setJob(kind, job, (s) => {
          s.startTime = ts();
          if (kind.kind === "Job") s.active = this.podsFor(job).length;
          else jobConditions(s, cond("Running", `${kind.kind}Running`, `${kind.kind} ${job.metadata.name} is running.`));
        });
      } else if ("log" in step) {
        const pods = this.podsFor(job, step.replica);
        for (const p of step.replica ? pods : pods.slice(0, 1)) this.appendLog(p.metadata.namespace!, p.metadata.name, step.log);
      } else if ("restart" in step) {
        for (const p of this.podsFor(job, step.restart)) {
          const c = this.mainContainer(p);
          this.startInstance(p.metadata.namespace!, p.metadata.name, c);
          this.setPod(p, (s) => {
            const cs = (s.containerStatuses as Record<string, unknown>[]).find((x) => x.name === c)!;
            cs.lastState = { terminated: { exitCode: step.exitCode ?? 1, reason: step.reason ?? "Error", finishedAt: ts() } };
            cs.restartCount = Number(cs.restartCount ?? 0) + 1;
            cs.state = { running: { startedAt: ts() } };
          });
        }
      } else if ("succeed" in step) {
        for (const p of this.podsFor(job)) {
          for (const runs of [...this.logs].filter(([k]) => k.startsWith(`${p.metadata.namespace}/${p.metadata.name}/`)).map(([, v]) => v)) for (const r of runs) this.endInstance(r);
          this.setPod(p, (s) => {
            s.phase = "Succeeded";
            for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { terminated: { exitCode: 0, reason: "Completed", finishedAt: ts() } };
          });
        }
        this.setJob(kind, job, (s) => {
          s.completionTime = ts();
          if (kind.kind === "Job") {
            s.active = 0;
            s.succeeded = this.podsFor(job).length;
            jobConditions(s, cond("Complete", "", ""));
          } else jobConditions(s, cond("Succeeded", `${kind.kind}Succeeded`, `${kind.kind} ${job.metadata.name} is successfully completed.`));
        });
        return;
      } else if ("fail" in step) {
        const f = step.fail;
        const failing = this.podsFor(job, f.replica ?? undefined);
        for (const p of f.replica ? failing : failing.slice(0, 1)) {
          for (const runs of [...this.logs].filter(([k]) => k.startsWith(`${p.metadata.namespace}/${p.metadata.name}/`)).map(([, v]) => v)) for (const r of runs) this.endInstance(r);
          const main = this.mainContainer(p);
          this.setPod(p, (s) => {
            s.phase = "Failed";
            for (const c of s.containerStatuses as Record<string, unknown>[]) {
              if (c.name === main) c.state = { terminated: { exitCode: f.exitCode ?? (f.oom ? 137 : 1), reason: f.oom ? "OOMKilled" : "Error", finishedAt: ts() } };
              else c.state = { terminated: { exitCode: 0, reason: "Completed", finishedAt: ts() } };
            }
          });
        }
        this.setJob(kind, job, (s) => {
          if (kind.kind === "Job") {
            s.active = 0;
            s.failed = 1;
            jobConditions(s, cond("Failed", f.reason ?? "BackoffLimitExceeded", f.message ?? "Job has reached the specified backoff limit"));
          } else jobConditions(s, cond("Failed", f.reason ?? `${kind.kind}Failed`, f.message ?? `${kind.kind} ${job.metadata.name} has failed because 1 Worker replica(s) failed.`));
        });
        return;
      }
    }
  }

  // ---- logs ----

  private podLog(res: ServerResponse, ns: string, name: string, query: Record<string, string>) {
    const pod = this.store.get(this.key(this.kind("Pod"), ns, name))?.obj;
    if (!pod) return this.fail(res, 404, "NotFound", `pods "${name}" not found`, { name, kind: "pods" });
    const container = query.container ?? this.mainContainer(pod);
    const cs = ((pod.status as { containerStatuses?: { name: string; state?: Record<string, unknown> }[] }).containerStatuses ?? []).find((c) => c.name === container);
    if (!cs) return this.fail(res, 400, "BadRequest", `container ${container} is not valid for pod ${name}`);
    const runs = this.logs.get(`${ns}/${name}/${container}`) ?? [];
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

export async function startK8sTestServer(opts: K8sTestServerOptions = {}): Promise<K8sTestServer> {
  return new K8sTestServer(opts).listen();
}
