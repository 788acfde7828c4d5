import type { ServerResponse } from "node:http";

/** What the parts of the Kubernetes test server share: the objects' shapes, the kinds it serves, selectors. */

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
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    finalizers?: string[];
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
  /** The scheduler cannot place these pods (all of the job's, or one replica's) until a `schedule` step; the message is its reason. */
  | { readonly unschedulable: string; readonly replica?: string }
  /** Lifts `unschedulable`: the pods are placed where the nodes have room (and start if the job runs). */
  | { readonly schedule: true; readonly replica?: string }
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
  /** Checks a created object as admission would; its causes make a 422. In tests, `kubernetesAdmission` (never the backend's own validator). */
  readonly validate?: (o: K8sObj) => readonly FieldCause[] | Promise<readonly FieldCause[]>;
  /** The steps of each new job (default: run, print a line, succeed). */
  readonly script?: (job: K8sObj) => readonly K8sJobStep[];
  /** Milliseconds between two steps (default 40). */
  readonly stepMs?: number;
  /**
   * Milliseconds the garbage collector takes to delete the dependents of a
   * deleted owner (default 100): as on a real cluster, a Job is gone at once
   * and its pods a while later (see holdGarbageCollection).
   */
  readonly gcDelayMs?: number;
  /** Milliseconds a deleted pod stays, terminating (deletionTimestamp set), before it is gone (default 100; 0: at once). */
  readonly podTerminationMs?: number;
  /** Milliseconds between a job controller's tries to create the pods admission refused (default 4 steps). */
  readonly createRetryMs?: number;
  /** The size at which a container's log is rotated, as the kubelet's containerLogMaxSize (default 10 MiB): the API then serves only what came after. */
  readonly logMaxBytes?: number;
  /** The user RBAC messages name (default `ada`). */
  readonly user?: string;
}

export interface Kind {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly custom: boolean;
}

export const KINDS: readonly Kind[] = [
  { kind: "Pod", group: "", version: "v1", plural: "pods", namespaced: true, custom: false },
  { kind: "Event", group: "", version: "v1", plural: "events", namespaced: true, custom: false },
  { kind: "ResourceQuota", group: "", version: "v1", plural: "resourcequotas", namespaced: true, custom: false },
  { kind: "LimitRange", group: "", version: "v1", plural: "limitranges", namespaced: true, custom: false },
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

export const apiVersionOf = (k: Kind) => (k.group ? `${k.group}/${k.version}` : k.version);
export const REPLICA_KEY: Readonly<Record<string, string>> = { TFJob: "tfReplicaSpecs", PyTorchJob: "pytorchReplicaSpecs", MPIJob: "mpiReplicaSpecs" };
export const JOB_KINDS = new Set(["Job", "TFJob", "PyTorchJob", "MPIJob"]);

/** RFC 3339 with nanoseconds, strictly increasing, as kubelet stamps log lines. */
export function nanoClock(): () => string {
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

export interface LogLine {
  readonly ts: string;
  readonly text: string;
}

/** One run of one container: its lines (since the last rotation), and the follow streams reading it. */
export interface ContainerInstance {
  lines: LogLine[];
  /** Bytes of `lines`, for rotation. */
  bytes: number;
  ended: boolean;
  followers: Set<(l: LogLine | null) => void>;
}

export interface Watcher {
  readonly kind: Kind;
  readonly namespace?: string;
  readonly selector: (labels: Record<string, string> | undefined) => boolean;
  readonly fields: (o: K8sObj) => boolean;
  readonly res: ServerResponse;
}

/** One change, kept so that a watch from an older resourceVersion gets what happened since (DELETED included). */
export interface HistoryEntry {
  readonly rv: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly kind: Kind;
  readonly obj: K8sObj;
  /** The labels before a MODIFIED (a watch whose selector they matched gets DELETED when they stop matching). */
  readonly before?: Record<string, string>;
}

export interface Stored {
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

/**
 * `a.b=c,d!=e`: field selectors, as the API filters lists and watches by them
 * (`involvedObject.uid=...` for events, `metadata.name`, `status.phase`).
 */
export function parseFieldSelector(s: string | null | undefined): (o: K8sObj) => boolean {
  const terms = (s ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^([^!=]+)(!=|==?)(.*)$/.exec(t);
      if (!m) throw new Error(`bad field selector term "${t}"`);
      const path = m[1]!.trim().split(".");
      const want = m[3]!.trim();
      const ne = m[2] === "!=";
      return (o: K8sObj) => {
        let v: unknown = o;
        for (const p of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
        const got = v === undefined || v === null ? "" : String(v);
        return ne ? got !== want : got === want;
      };
    });
  return (o) => terms.every((f) => f(o));
}

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A Kubernetes `Status` body (what every error answer carries). */
export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}
