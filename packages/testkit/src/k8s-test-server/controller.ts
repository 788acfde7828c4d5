import { randomUUID } from "node:crypto";
import type { ObjectStore } from "./store.js";
import { clone, type ContainerInstance, JOB_KINDS, type K8sJobStep, type K8sObj, type Kind, nanoClock, REPLICA_KEY } from "./types.js";

/** What the controller reads from the server each time (tests change them). */
export interface ControllerSettings {
  readonly stepMs: number;
  readonly script: (job: K8sObj) => readonly K8sJobStep[];
}

/**
 * A small controller standing in for the Job controller, the Kubeflow
 * operators and the kubelet: it makes the pods of every job it is given and
 * moves them through the steps of the job's script (unschedulable, image
 * pull back-off, running, printing lines, restarting, OOMKilled, succeeded,
 * failed), keeping each container's log.
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

  /** A job (or pod) was deleted: its script stops, its containers' logs end. */
  deleted(kind: Kind, ns: string | undefined, name: string): void {
    if (JOB_KINDS.has(kind.kind)) this.stopped.add(`${ns}/${name}`);
    if (kind.kind === "Pod") for (const [k, runs] of this.logs) if (k.startsWith(`${ns}/${name}/`)) for (const r of runs) this.endInstance(r);
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
        this.store.put(this.store.kind("Pod"), {
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

  mainContainer(pod: K8sObj): string {
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

  endInstance(r: ContainerInstance): void {
    if (r.ended) return;
    r.ended = true;
    for (const f of r.followers) f(null);
    r.followers.clear();
  }

  /** Appends lines to the current run of a pod's container (its first one by default). */
  appendLog(namespace: string, pod: string, lines: readonly string[], container?: string): void {
    const p = this.store.lookup(this.store.kind("Pod"), namespace, pod)?.obj;
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
    this.store.update(this.store.kind("Pod"), pod.metadata.namespace, pod.metadata.name, (o) => f(o.status as Record<string, unknown>, o.spec));
  }

  private setJob(kind: Kind, job: K8sObj, f: (status: Record<string, unknown>) => void): void {
    this.store.update(kind, job.metadata.namespace, job.metadata.name, (o) => {
      o.status ??= {};
      f(o.status as Record<string, unknown>);
    });
  }

  async control(kind: Kind, job: K8sObj): Promise<void> {
    const id = `${job.metadata.namespace}/${job.metadata.name}`;
    this.stopped.delete(id);
    const steps = this.settings.script(job);
    await this.later(this.settings.stepMs);
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
      await this.later(this.settings.stepMs);
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
}
