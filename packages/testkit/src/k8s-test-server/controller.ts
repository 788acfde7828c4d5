import { randomUUID } from "node:crypto";
import { podRefusal } from "./pod-policies.js";
import { recordEvent } from "./recorder.js";
import { place } from "./scheduler.js";
import type { ObjectStore } from "./store.js";
import { clone, type ContainerInstance, JOB_KINDS, type K8sJobStep, type K8sObj, type Kind, nanoClock, REPLICA_KEY } from "./types.js";

/** What the controller reads from the server each time (tests change them). */
export interface ControllerSettings {
  readonly stepMs: number;
  readonly script: (job: K8sObj) => readonly K8sJobStep[];
  readonly createRetryMs: number;
  readonly logMaxBytes: number;
}

/** One pod a job wants: its role (Kubeflow replica type, lower case; "" for a Job) and index. */
interface Slot {
  readonly type: string;
  readonly index: number;
  readonly template: K8sObj;
}

/** A job the controller drives. */
interface JobRun {
  readonly kind: Kind;
  readonly job: K8sObj;
  readonly slots: readonly Slot[];
  /** Pods by name → the slot they fill. */
  readonly slotOf: Map<string, Slot>;
  /** Past a `run` step: pods that get a node later start at once. */
  running: boolean;
  /** Succeeded or failed: nothing is made for it any more. */
  ended: boolean;
  failures: number;
  /** Replica (or `*`) → the scheduler's message, while a step keeps those pods from any node. */
  readonly blocked: Map<string, string>;
}

const ts = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const phase = (p: K8sObj) => String((p.status as { phase?: string } | undefined)?.phase);

/** `worker-0`, `master-0`: a pod's role and index, from the backend's labels, Kubeflow's, or the Job's. */
export function replicaOf(p: K8sObj): string {
  const l = p.metadata.labels ?? {};
  const role = l["aves2.io/role"] ?? l["training.kubeflow.org/replica-type"] ?? "worker";
  const index = l["training.kubeflow.org/replica-index"] ?? p.metadata.annotations?.["batch.kubernetes.io/job-completion-index"] ?? "0";
  return `${role}-${index}`;
}

/**
 * A small controller standing in for the Job controller, the Kubeflow
 * operators, the scheduler and the kubelet. It makes the pods of every job
 * it is given (each admitted by the namespace's policies, a refusal being a
 * FailedCreate Event and a retry later), places them on nodes with room, and
 * moves them through the steps of the job's script (running, printing
 * lines, restarting, OOMKilled, succeeded, failed: a failed Job pod is
 * replaced while the Job's backoffLimit allows), keeping each container's
 * log (rotated at its size limit, as the kubelet does).
 */
export class JobController {
  /** Jobs whose script is held (a `hold` step), with what resumes them. */
  readonly held = new Map<string, () => void>();
  /** Jobs deleted: their scripts stop. */
  readonly stopped = new Set<string>();
  /** `<ns>/<pod>/<container>` → its runs (a restart starts a new one). */
  readonly logs = new Map<string, ContainerInstance[]>();
  readonly timers = new Set<NodeJS.Timeout>();
  readonly now = nanoClock();
  private readonly jobs = new Map<string, JobRun>();
  private ticking = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly settings: ControllerSettings,
  ) {}

  /** The pods of a job (by its name), sorted by name. */
  podsOf(job: string, namespace?: string): K8sObj[] {
    return this.store
      .all()
      .filter((s) => s.kind.kind === "Pod" && (namespace === undefined || s.obj.metadata.namespace === namespace))
      .map((s) => clone(s.obj))
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.name === job) || p.metadata.labels?.["training.kubeflow.org/job-name"] === job)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** A job (or pod) is gone: its script stops; a pod's containers' logs end, and a job that goes on makes another in its place. */
  deleted(kind: Kind, ns: string | undefined, name: string): void {
    if (JOB_KINDS.has(kind.kind)) {
      this.stopped.add(`${ns}/${name}`);
      this.jobs.delete(`${ns}/${name}`);
    }
    if (kind.kind !== "Pod") return;
    for (const [k, runs] of this.logs) if (k.startsWith(`${ns}/${name}/`)) for (const r of runs) this.endInstance(r);
    for (const run of this.jobs.values()) {
      if (!run.slotOf.has(name)) continue;
      run.slotOf.delete(name);
      if (!run.ended) this.later(this.settings.stepMs).then(() => this.createMissing(run));
    }
    this.reschedule();
  }

  later(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** The pods a job wants: one per replica of each role. */
  private slots(job: K8sObj): Slot[] {
    const spec = (job.spec ?? {}) as Record<string, unknown>;
    if (job.kind === "Job") return Array.from({ length: Number(spec.parallelism ?? 1) }, (_, index) => ({ type: "", index, template: spec.template as K8sObj }));
    const specs = (spec[REPLICA_KEY[job.kind!]!] ?? {}) as Record<string, { replicas?: number; template: K8sObj }>;
    return Object.entries(specs).flatMap(([type, r]) => Array.from({ length: r.replicas ?? 1 }, (_, index) => ({ type, index, template: r.template })));
  }

  private podFor(run: JobRun, slot: Slot): K8sObj {
    const { job, kind } = run;
    const labels: Record<string, string> = { ...(slot.template.metadata?.labels ?? {}) };
    const annotations: Record<string, string> = { ...(slot.template.metadata?.annotations ?? {}) };
    let name: string;
    if (job.kind === "Job") {
      const indexed = (job.spec as { completionMode?: string }).completionMode === "Indexed";
      Object.assign(labels, { "batch.kubernetes.io/job-name": job.metadata.name, "job-name": job.metadata.name, "batch.kubernetes.io/controller-uid": job.metadata.uid! });
      if (indexed) {
        labels["batch.kubernetes.io/job-completion-index"] = String(slot.index);
        annotations["batch.kubernetes.io/job-completion-index"] = String(slot.index);
      }
      name = `${job.metadata.name}-${indexed ? `${slot.index}-` : ""}${randomUUID().slice(0, 5)}`;
    } else {
      Object.assign(labels, { "training.kubeflow.org/job-name": job.metadata.name, "training.kubeflow.org/replica-type": slot.type.toLowerCase(), "training.kubeflow.org/replica-index": String(slot.index), "training.kubeflow.org/operator-name": `${kind.plural.replace(/s$/, "")}-controller` });
      name = `${job.metadata.name}-${slot.type.toLowerCase()}-${slot.index}`;
    }
    const spec = slot.template.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] };
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: job.metadata.namespace!, labels, annotations, ownerReferences: [{ apiVersion: job.apiVersion!, kind: job.kind!, name: job.metadata.name, uid: job.metadata.uid!, controller: true }] },
      spec: clone(spec),
      status: {
        phase: "Pending",
        conditions: [],
        initContainerStatuses: (spec.initContainers ?? []).map((c) => ({ name: c.name, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } })),
        containerStatuses: (spec.containers ?? []).map((c) => ({ name: c.name, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } })),
      },
    };
  }

  /** The pods of a job still in play: not failed, not being deleted. */
  private active(run: JobRun, replica?: string): K8sObj[] {
    return this.podsOf(run.job.metadata.name, run.job.metadata.namespace).filter(
      (p) => run.slotOf.has(p.metadata.name) && phase(p) !== "Failed" && !p.metadata.deletionTimestamp && (!replica || replicaOf(p) === replica || p.metadata.name === replica),
    );
  }

  /** Creates the pods a job lacks (admission may refuse them: a FailedCreate Event, tried again later). True when none is missing. */
  private createMissing(run: JobRun): boolean {
    if (run.ended || this.stopped.has(`${run.job.metadata.namespace}/${run.job.metadata.name}`)) return true;
    const filled = new Set(this.active(run).map((p) => run.slotOf.get(p.metadata.name)));
    let missing = false;
    for (const slot of run.slots.filter((s) => !filled.has(s))) {
      const pod = this.podFor(run, slot);
      // a Kubeflow pod's name is its slot's: the one being deleted must be gone first
      if (this.store.lookup(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name)) {
        missing = true;
        continue;
      }
      const refusal = podRefusal(this.store, pod);
      if (refusal) {
        const job = this.store.lookup(run.kind, run.job.metadata.namespace, run.job.metadata.name)?.obj ?? run.job;
        recordEvent(this.store, job, { type: "Warning", reason: "FailedCreate", message: `Error creating: ${refusal}`, component: run.kind.kind === "Job" ? "job-controller" : `${run.kind.plural.replace(/s$/, "")}-controller` });
        missing = true;
        continue;
      }
      const made = this.store.put(this.store.kind("Pod"), pod);
      run.slotOf.set(made.metadata.name, slot);
      this.schedule(run, made);
    }
    if (missing) this.tick();
    return !missing;
  }

  /** Binds a pod to a node with room, or says why it cannot (Unschedulable, a FailedScheduling Event). */
  private schedule(run: JobRun, pod: K8sObj): void {
    if ((pod.spec as { nodeName?: string }).nodeName || pod.metadata.deletionTimestamp) return;
    const blocked = run.blocked.get(replicaOf(pod)) ?? run.blocked.get("*");
    const r = blocked ? { message: blocked } : place(this.store, pod);
    if ("node" in r) {
      this.store.update(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name, (o) => {
        (o.spec as Record<string, unknown>).nodeName = r.node;
        (o.status as Record<string, unknown>).conditions = [{ type: "PodScheduled", status: "True", lastTransitionTime: ts() }];
      });
      if (run.running) this.start(pod);
      return;
    }
    const was = ((pod.status as { conditions?: { type: string; message?: string }[] }).conditions ?? []).find((c) => c.type === "PodScheduled");
    if (was?.message === r.message) return;
    this.store.update(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name, (o) => {
      (o.status as Record<string, unknown>).conditions = [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: r.message, lastTransitionTime: ts() }];
    });
    if (!blocked) recordEvent(this.store, pod, { type: "Warning", reason: "FailedScheduling", message: r.message, component: "default-scheduler" });
    this.tick();
  }

  /** Places the pods that wait for a node (room may have been freed). */
  private reschedule(): void {
    for (const run of this.jobs.values()) if (!run.ended) for (const p of this.active(run)) this.schedule(run, p);
  }

  /** While pods are missing or wait for a node: tried again every createRetryMs. */
  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    void this.later(this.settings.createRetryMs).then(() => {
      this.ticking = false;
      for (const run of [...this.jobs.values()]) this.createMissing(run);
      this.reschedule();
    });
  }

  mainContainer(pod: K8sObj): string {
    return (pod.spec as { containers: { name: string }[] }).containers[0]!.name;
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
    runs.push({ lines: [], bytes: 0, ended: false, followers: new Set() });
  }

  endInstance(r: ContainerInstance): void {
    if (r.ended) return;
    r.ended = true;
    for (const f of r.followers) f(null);
    r.followers.clear();
  }

  /** Appends lines to the current run of a pod's container (its first one by default); past logMaxBytes the log is rotated. */
  appendLog(namespace: string, pod: string, lines: readonly string[], container?: string): void {
    const p = this.store.lookup(this.store.kind("Pod"), namespace, pod)?.obj;
    if (!p) throw new Error(`no pod ${namespace}/${pod}`);
    const c = container ?? this.mainContainer(p);
    const runs = this.instances(namespace, pod, c);
    if (runs.length === 0) this.startInstance(namespace, pod, c);
    const cur = runs[runs.length - 1]!;
    for (const text of lines) {
      const l = { ts: this.now(), text };
      const size = l.ts.length + text.length + 2;
      if (cur.lines.length && cur.bytes + size > this.settings.logMaxBytes) this.rotate(cur);
      cur.lines.push(l);
      cur.bytes += size;
      for (const f of cur.followers) f(l);
    }
  }

  /** The kubelet's log rotation: what was written so far is no longer served (streams that follow go on). */
  rotate(r: ContainerInstance): void {
    r.lines = [];
    r.bytes = 0;
  }

  private setPod(pod: K8sObj, f: (status: Record<string, unknown>, spec: K8sObj["spec"]) => void): void {
    this.store.update(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name, (o) => f(o.status as Record<string, unknown>, o.spec));
  }

  private setJob(kind: Kind, job: K8sObj, f: (status: Record<string, unknown>) => void): void {
    this.store.update(kind, job.metadata.namespace, job.metadata.name, (o) => {
      o.status ??= {};
      f(o.status as Record<string, unknown>);
    });
  }

  /** The kubelet starts a bound pod: init containers done, every container running. */
  private start(pod: K8sObj): void {
    const cur = this.store.lookup(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name)?.obj;
    if (!cur || phase(cur) !== "Pending" || cur.metadata.deletionTimestamp) return;
    for (const c of (cur.spec as { containers: { name: string }[] }).containers) this.startInstance(cur.metadata.namespace!, cur.metadata.name, c.name);
    this.setPod(cur, (s) => {
      s.phase = "Running";
      s.startTime = ts();
      s.conditions = [{ type: "PodScheduled", status: "True" }, { type: "Initialized", status: "True" }, { type: "Ready", status: "True" }];
      for (const c of (s.initContainerStatuses as Record<string, unknown>[]) ?? []) c.state = { terminated: { exitCode: 0, reason: "Completed", finishedAt: ts() } };
      for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { running: { startedAt: ts() } };
    });
  }

  /** A pod ends: its logs end, its containers terminate with these codes (the main one `main`, the others 0). */
  private end(pod: K8sObj, podPhase: "Succeeded" | "Failed", main: { exitCode: number; reason: string }): void {
    for (const runs of [...this.logs].filter(([k]) => k.startsWith(`${pod.metadata.namespace}/${pod.metadata.name}/`)).map(([, v]) => v)) for (const r of runs) this.endInstance(r);
    const first = this.mainContainer(pod);
    this.setPod(pod, (s) => {
      s.phase = podPhase;
      for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { terminated: c.name === first ? { ...main, finishedAt: ts() } : { exitCode: 0, reason: "Completed", finishedAt: ts() } };
    });
  }

  async control(kind: Kind, job: K8sObj): Promise<void> {
    const id = `${job.metadata.namespace}/${job.metadata.name}`;
    this.stopped.delete(id);
    const run: JobRun = { kind, job, slots: this.slots(job), slotOf: new Map(), running: false, ended: false, failures: 0, blocked: new Map() };
    this.jobs.set(id, run);
    const steps = this.settings.script(job);
    await this.later(this.settings.stepMs);
    if (this.stopped.has(id)) return;
    const cond = (type: string, reason: string, message: string) => ({ type, status: "True", reason, message, lastUpdateTime: ts(), lastTransitionTime: ts() });
    const jobConditions = (s: Record<string, unknown>, c: Record<string, unknown>) => {
      const list = ((s.conditions as Record<string, unknown>[] | undefined) ?? []).filter((x) => x.type !== "Running" || kind.kind === "Job");
      if (kind.kind !== "Job" && c.type !== "Running") list.push({ ...cond("Running", `${kind.kind}Running`, ""), status: "False" });
      s.conditions = [...list.filter((x) => x.type !== c.type), c];
    };
    if (kind.kind !== "Job") this.setJob(kind, job, (s) => jobConditions(s, cond("Created", `${kind.kind}Created`, `${kind.kind} ${job.metadata.name} is created.`)));
    // the script goes on once every pod exists (admission may refuse some for a while, or for good)
    while (!this.createMissing(run)) {
      await this.later(this.settings.createRetryMs);
      if (this.stopped.has(id)) return;
    }
    for (const step of steps) {
      await this.later(this.settings.stepMs);
      if (this.stopped.has(id)) return;
      if ("hold" in step) {
        await new Promise<void>((resolve) => this.held.set(job.metadata.name, resolve));
        if (this.stopped.has(id)) return;
      } else if ("wait" in step) await this.later(step.wait);
      else if ("unschedulable" in step) {
        run.blocked.set(step.replica ?? "*", step.unschedulable);
        for (const p of this.active(run, step.replica).filter((x) => phase(x) === "Pending")) {
          const unbound = this.store.update(this.store.kind("Pod"), p.metadata.namespace, p.metadata.name, (o) => {
            delete (o.spec as Record<string, unknown>).nodeName;
          });
          if (unbound) this.schedule(run, unbound);
        }
      } else if ("schedule" in step) {
        run.blocked.delete(step.replica ?? "*");
        if (!step.replica) run.blocked.clear();
        for (const p of this.active(run, step.replica)) this.schedule(run, p);
      } else if ("waiting" in step) {
        run.blocked.clear();
        for (const p of this.active(run, step.replica))
          this.setPod(p, (s, spec) => {
            (spec as Record<string, unknown>).nodeName ??= this.store.all().find((n) => n.kind.kind === "Node")?.obj.metadata.name;
            s.conditions = [{ type: "PodScheduled", status: "True" }];
            for (const c of s.containerStatuses as Record<string, unknown>[]) c.state = { waiting: { reason: step.waiting, ...(step.message ? { message: step.message } : {}) } };
          });
      } else if ("run" in step) {
        run.running = true;
        for (const p of this.active(run).filter((x) => (x.spec as { nodeName?: string }).nodeName)) this.start(p);
        this.setJob(kind, job, (s) => {
          s.startTime = ts();
          if (kind.kind === "Job") s.active = this.active(run).length;
          else jobConditions(s, cond("Running", `${kind.kind}Running`, `${kind.kind} ${job.metadata.name} is running.`));
        });
      } else if ("log" in step) {
        const pods = this.active(run, step.replica);
        for (const p of step.replica ? pods : pods.slice(0, 1)) this.appendLog(p.metadata.namespace!, p.metadata.name, step.log);
      } else if ("restart" in step) {
        for (const p of this.active(run, step.restart)) {
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
        run.ended = true;
        const pods = this.active(run);
        for (const p of pods) this.end(p, "Succeeded", { exitCode: 0, reason: "Completed" });
        this.setJob(kind, job, (s) => {
          s.completionTime = ts();
          if (kind.kind === "Job") {
            s.active = 0;
            s.succeeded = pods.length;
            jobConditions(s, cond("Complete", "", ""));
          } else jobConditions(s, cond("Succeeded", `${kind.kind}Succeeded`, `${kind.kind} ${job.metadata.name} is successfully completed.`));
        });
        this.reschedule();
        return;
      } else if ("fail" in step) {
        const f = step.fail;
        const failing = this.active(run, f.replica);
        for (const p of f.replica ? failing : failing.slice(0, 1)) this.end(p, "Failed", { exitCode: f.exitCode ?? (f.oom ? 137 : 1), reason: f.oom ? "OOMKilled" : "Error" });
        run.failures += f.replica ? failing.length : Math.min(1, failing.length);
        const limit = Number((job.spec as { backoffLimit?: number }).backoffLimit ?? 6);
        if (kind.kind === "Job" && (f.reason ?? "BackoffLimitExceeded") === "BackoffLimitExceeded" && run.failures <= limit) {
          // the Job controller replaces a failed pod while the backoffLimit allows: the script goes on with the new one
          this.setJob(kind, job, (s) => {
            s.failed = run.failures;
          });
          this.createMissing(run);
          continue;
        }
        run.ended = true;
        this.setJob(kind, job, (s) => {
          if (kind.kind === "Job") {
            s.active = 0;
            s.failed = run.failures;
            jobConditions(s, cond("Failed", f.reason ?? "BackoffLimitExceeded", f.message ?? "Job has reached the specified backoff limit"));
          } else jobConditions(s, cond("Failed", f.reason ?? `${kind.kind}Failed`, f.message ?? `${kind.kind} ${job.metadata.name} has failed because 1 Worker replica(s) failed.`));
        });
        this.reschedule();
        return;
      }
    }
  }
}
