import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { KubeApiHandler } from "./api.js";
import { JobController } from "./controller.js";
import { type Denial, dropStreams, FaultInjector } from "./faults.js";
import { ObjectStore } from "./store.js";
import { apiVersionOf, clone, type Fault, type K8sJobStep, type K8sObj, type K8sTestNode, type K8sTestServerOptions, type RecordedK8sRequest } from "./types.js";

export { parseSelector } from "./types.js";
export type { Denial } from "./faults.js";
export type { Fault, FieldCause, K8sJobStep, K8sObj, K8sTestNode, K8sTestServerOptions, RecordedK8sRequest } from "./types.js";

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
 * - `?watch=1` streams of JSON events from a resourceVersion (every change
 *   since, DELETED included, from its history), an ERROR event with code 410
 *   once that version is "compacted"; labelSelector and fieldSelector;
 * - pod logs with `container`, `timestamps`, `follow`, `previous`,
 *   `sinceTime`, rotated at a size as the kubelet rotates them;
 * - core/v1 Events (FailedCreate on a job whose pods admission refuses,
 *   FailedScheduling on a pod no node has room for);
 * - what a real cluster does later, not at once: the garbage collector
 *   deletes a deleted job's pods a while after it, and a deleted pod
 *   terminates (deletionTimestamp set) before it is gone;
 * - RBAC refusals (`forbid`): a 403 worded as the API words it.
 *
 * A small controller makes pods for every job it is given (as the Job
 * controller and the Kubeflow operators do), each admitted by the
 * namespace's policies (Pod Security level, LimitRange, ResourceQuota: a
 * refusal leaves a FailedCreate Event and is tried again), places them on
 * nodes with room (else Unschedulable, with the scheduler's message), and
 * moves them through the steps of a script: unschedulable, image pull
 * back-off, running, printing lines, restarting, OOMKilled, succeeded,
 * failed (a failed Job pod is replaced while its backoffLimit allows). Faults
 * can be injected (a status with Retry-After, a dropped connection), and
 * every request is recorded.
 *
 * List items of built-in kinds come without `kind`/`apiVersion`, as the real
 * API sends them; custom resources carry theirs.
 */
export class K8sTestServer {
  readonly token: string;
  url = "";
  stepMs: number;
  script: (job: K8sObj) => readonly K8sJobStep[];
  validate: K8sTestServerOptions["validate"];
  gcDelayMs: number;
  podTerminationMs: number;
  createRetryMs: number;
  logMaxBytes: number;
  /** What the test's user may not do (see forbid). */
  readonly denials: Denial[] = [];
  private readonly store: ObjectStore;
  private readonly controller: JobController;
  private readonly injector = new FaultInjector();
  private readonly api: KubeApiHandler;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((req, res) => void this.api.handle(req, res));

  constructor(opts: K8sTestServerOptions = {}) {
    this.token = opts.token ?? "test-token";
    this.stepMs = opts.stepMs ?? 40;
    this.validate = opts.validate;
    this.script = opts.script ?? (() => [{ run: true }, { log: ["hello from the test cluster"] }, { succeed: true }]);
    this.gcDelayMs = opts.gcDelayMs ?? 100;
    this.podTerminationMs = opts.podTerminationMs ?? 100;
    this.createRetryMs = opts.createRetryMs ?? this.stepMs * 4;
    this.logMaxBytes = opts.logMaxBytes ?? 10 * 2 ** 20;
    this.store = new ObjectStore((kind, ns, name) => this.controller.deleted(kind, ns, name), this);
    this.controller = new JobController(this.store, this);
    const kubeflow = opts.kubeflow ?? ["TFJob", "PyTorchJob", "MPIJob"];
    const self = this;
    this.api = new KubeApiHandler(this.store, this.controller, this.injector, {
      token: this.token,
      get validate() {
        return self.validate;
      },
      kubeflow,
      denials: this.denials,
      user: opts.user ?? "ada",
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    for (const ns of opts.namespaces ?? ["default"]) this.store.put(this.store.kind("Namespace"), { apiVersion: "v1", kind: "Namespace", metadata: { name: ns }, status: { phase: "Active" } });
    for (const n of opts.nodes ?? [{ name: "node-1", cpu: "16", memory: "64Gi" }]) this.addNode(n);
  }

  /** Every request it was sent, in order. */
  get requests(): RecordedK8sRequest[] {
    return this.api.requests;
  }

  /** The faults injected (with their hits). */
  get faults(): Fault[] {
    return this.injector.faults;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const timers of [this.controller.timers, this.store.timers]) {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    }
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
    return this.store
      .all()
      .filter((s) => s.kind.kind === kind && (namespace === undefined || s.obj.metadata.namespace === namespace))
      .map((s) => clone(s.obj));
  }

  get(kind: string, namespace: string | undefined, name: string): K8sObj | undefined {
    const s = this.store.lookup(this.store.kind(kind), namespace, name);
    return s ? clone(s.obj) : undefined;
  }

  /** Deletes an object as someone else would (`kubectl delete`): a pod terminates first, dependents go later. */
  delete(kind: string, namespace: string | undefined, name: string, opts: { propagationPolicy?: "Background" | "Foreground" | "Orphan"; gracePeriodSeconds?: number } = {}): K8sObj | undefined {
    const gone = this.store.remove(this.store.kind(kind), namespace, name, opts.propagationPolicy ?? "Background", opts.gracePeriodSeconds);
    return gone ? clone(gone) : undefined;
  }

  /** The Events recorded in a namespace (or all), oldest first. */
  events(namespace?: string): K8sObj[] {
    return this.objects("Event", namespace).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  /** Denies the test's user a verb on a resource (RBAC): those requests get the API's 403. */
  forbid(d: Denial): void {
    this.denials.push(d);
  }

  /** Lifts every denial. */
  permitAll(): void {
    this.denials.length = 0;
  }

  /** Stops the garbage collector: a deleted job's pods stay (running) until releaseGarbageCollection(). */
  holdGarbageCollection(): void {
    this.store.holdGarbageCollection();
  }

  releaseGarbageCollection(): void {
    this.store.releaseGarbageCollection();
  }

  /** Rotates a container's log now (its first container by default): the API serves only lines printed after. */
  rotateLog(namespace: string, pod: string, container?: string): void {
    const p = this.get("Pod", namespace, pod);
    const c = container ?? (p ? this.controller.mainContainer(p) : "");
    const runs = this.controller.logs.get(`${namespace}/${pod}/${c}`) ?? [];
    const cur = runs[runs.length - 1];
    if (cur) this.controller.rotate(cur);
  }

  /** Adds (or replaces) an object as if someone else had created it: a PVC, a Secret. */
  add(o: K8sObj): K8sObj {
    const kind = this.store.kind(o.kind ?? "");
    return clone(this.store.put(kind, { ...clone(o), apiVersion: apiVersionOf(kind), kind: kind.kind }));
  }

  addNode(n: K8sTestNode): void {
    this.store.put(this.store.kind("Node"), {
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
    return this.injector.inject(f);
  }

  /** Forgets every resourceVersion up to now: open watches get an ERROR 410 event and end; watching from an older version gets it at once. */
  expireWatches(): void {
    this.store.compact();
  }

  /** Closes every open log stream without ending it properly (a lost connection). */
  dropLogStreams(): number {
    const n = dropStreams(this.api.logStreams);
    this.api.logStreams.clear();
    return n;
  }

  /** Closes every open watch without ending it properly. */
  dropWatches(): number {
    const n = dropStreams([...this.store.watchers].map((w) => w.res));
    this.store.watchers.clear();
    return n;
  }

  /** Open log and watch streams (tests wait for a follower to be connected). */
  get openStreams(): { logs: number; watches: number } {
    return { logs: this.api.logStreams.size, watches: this.store.watchers.size };
  }

  /** Lets a job whose script holds go on. */
  resume(job: string): void {
    const r = this.controller.held.get(job);
    this.controller.held.delete(job);
    r?.();
  }

  isHeld(job: string): boolean {
    return this.controller.held.has(job);
  }

  /** The pods of a job (by its name), sorted by name. */
  podsOf(job: string, namespace?: string): K8sObj[] {
    return this.controller.podsOf(job, namespace);
  }

  /** Lines a container printed, as `kubectl logs` shows them (all its runs, each since its last rotation). */
  printed(namespace: string, pod: string, container: string): string[] {
    return (this.controller.logs.get(`${namespace}/${pod}/${container}`) ?? []).flatMap((i) => i.lines.map((l) => l.text));
  }

  /** Appends lines to the current run of a pod's container (its first one by default). */
  appendLog(namespace: string, pod: string, lines: readonly string[], container?: string): void {
    this.controller.appendLog(namespace, pod, lines, container);
  }
}

export async function startK8sTestServer(opts: K8sTestServerOptions = {}): Promise<K8sTestServer> {
  return new K8sTestServer(opts).listen();
}
