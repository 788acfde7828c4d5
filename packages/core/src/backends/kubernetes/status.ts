import type { RunRecord, RunState } from "../../records/record.js";
import { apiUserError, type KubeApi } from "./api-client.js";
import { LABEL } from "./names.js";
import { type K8sObject, type ObjectRef, resourcePath } from "./objects.js";
import type { KubernetesPlan } from "./plan.js";
import { attemptOf, podSelector } from "./attempts.js";
import { details } from "./run-record.js";
import type { PodGroup } from "./render-context.js";

/** What the cluster says about a run, in the words of a run record. */
export interface LiveState {
  readonly state: RunState;
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly exitCode?: number | null;
}

type Obj = Record<string, unknown>;
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string }; terminated?: { exitCode: number; reason?: string; message?: string; finishedAt?: string } };
  lastState?: ContainerStatus["state"];
}

const status = (o: K8sObject | undefined): Obj => ((o?.status as Obj | undefined) ?? {});
const conditions = (o: K8sObject | undefined): Condition[] => ((status(o).conditions as Condition[] | undefined) ?? []);
const isTrue = (o: K8sObject | undefined, type: string) => conditions(o).find((c) => c.type === type && c.status === "True");

/** `worker-0`, `ps-1`, `master-0`: the pod's role and its index within it, from our labels, Kubeflow's, or the Job's. */
export function replicaOf(pod: K8sObject): string {
  const labels = pod.metadata.labels ?? {};
  const role = labels[LABEL.role] ?? labels["training.kubeflow.org/replica-type"]?.toLowerCase() ?? "worker";
  const index = labels["training.kubeflow.org/replica-index"] ?? pod.metadata.annotations?.["batch.kubernetes.io/job-completion-index"] ?? labels["batch.kubernetes.io/job-completion-index"] ?? "0";
  return `${role}-${index}`;
}

/** The replica that runs rank 0 and writes the outputs: its exit code is the run's. */
export function mainReplica(pods: readonly PodGroup[]): PodGroup {
  return pods.find((g) => g.role === "master" || g.role === "launcher") ?? pods.find((g) => g.role === "worker") ?? pods[0]!;
}

function containerStatuses(pod: K8sObject, init = false): ContainerStatus[] {
  return (status(pod)[init ? "initContainerStatuses" : "containerStatuses"] as ContainerStatus[] | undefined) ?? [];
}

const WAITING_PROBLEMS = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff", "RunContainerError"]);

/** Why a pod is stuck, if it is: not schedulable, or a container that cannot start. */
function podProblem(pod: K8sObject): string | undefined {
  const replica = replicaOf(pod);
  const sched = ((status(pod).conditions as Condition[] | undefined) ?? []).find((c) => c.type === "PodScheduled" && c.status === "False");
  if (sched?.reason === "Unschedulable") return `${replica}: Unschedulable${sched.message ? `: ${sched.message}` : ""}`;
  for (const cs of [...containerStatuses(pod, true), ...containerStatuses(pod)]) {
    const w = cs.state?.waiting;
    if (w?.reason && WAITING_PROBLEMS.has(w.reason)) return `${replica} (${cs.name}): ${w.reason}${w.message ? `: ${w.message}` : ""}`;
  }
  return undefined;
}

/** The failure of a pod, from its containers: OOMKilled, an exit code, a failed staging step. */
function podFailure(pod: K8sObject, container: string): { text: string; exitCode?: number } | undefined {
  const replica = replicaOf(pod);
  for (const cs of containerStatuses(pod, true)) {
    const t = cs.state?.terminated ?? cs.lastState?.terminated;
    if (t && t.exitCode !== 0) return { text: `${replica}: staging step ${cs.name} ${t.reason === "OOMKilled" ? "was OOMKilled" : `exited with code ${t.exitCode}`}` };
  }
  const main = containerStatuses(pod).find((c) => c.name === container);
  const t = main?.state?.terminated ?? main?.lastState?.terminated;
  if (t && t.exitCode !== 0) {
    if (t.reason === "OOMKilled") return { text: `${replica}: OOMKilled (exit ${t.exitCode}): it needs more memory than it asked for (raise --resource ${replica.split("-")[0] === "ps" ? "ps" : "worker"}.mem)`, exitCode: t.exitCode };
    return { text: `${replica}: exited with code ${t.exitCode}${t.reason && t.reason !== "Error" ? ` (${t.reason})` : ""}${t.message ? `: ${t.message.trim().split("\n").pop()}` : ""}`, exitCode: t.exitCode };
  }
  for (const cs of containerStatuses(pod)) {
    const u = cs.state?.terminated;
    if (cs.name !== container && u && u.exitCode !== 0) return { text: `${replica}: ${cs.name === "stage-out" ? "saving the outputs" : cs.name} failed (exit ${u.exitCode})` };
  }
  if (status(pod).phase === "Failed") {
    const reason = status(pod).reason as string | undefined;
    const message = status(pod).message as string | undefined;
    return { text: `${replica}: ${reason ?? "failed"}${message ? `: ${message}` : ""}` };
  }
  return undefined;
}

const createdAt = (p: K8sObject) => Date.parse(p.metadata.creationTimestamp ?? "") || 0;
const failed = (p: K8sObject) => (status(p).phase === "Failed" ? 1 : 0);

/**
 * Pods of one replica, newest first. Creation times have whole seconds: of
 * two pods made in the same second, a failed one is the one replaced.
 */
export function newestFirst(a: K8sObject, b: K8sObject): number {
  return createdAt(b) - createdAt(a) || failed(a) - failed(b) || b.metadata.name.localeCompare(a.metadata.name);
}

/** The exit code of a replica's newest pod that has one (a replaced pod's is history). */
function exitCodeOf(pods: readonly K8sObject[], replica: string, container: string): number | null | undefined {
  const candidates = pods.filter((p) => replicaOf(p) === replica).sort(newestFirst);
  for (const pod of candidates) {
    const t = containerStatuses(pod).find((c) => c.name === container)?.state?.terminated;
    if (t) return t.exitCode;
  }
  return undefined;
}

function terminalCondition(o: K8sObject): { ok: boolean; c: Condition } | undefined {
  const done = isTrue(o, o.kind === "Job" ? "Complete" : "Succeeded");
  if (done) return { ok: true, c: done };
  const failed = isTrue(o, "Failed");
  if (failed) return { ok: false, c: failed };
  return undefined;
}

/**
 * Job / Kubeflow conditions and pod states → the run's state and the reason a
 * user needs. Pure: the caller fetches the objects.
 */
export function mapState(
  run: { readonly primary: ObjectRef; readonly daemons: readonly ObjectRef[]; readonly pods: readonly PodGroup[] },
  primary: K8sObject | undefined,
  others: readonly K8sObject[],
  pods: readonly K8sObject[],
): LiveState {
  if (!primary) return { state: "failed", reason: `${run.primary.kind} ${run.primary.name} is gone from the cluster (deleted, or expired after it ended); its outcome is unknown` };
  const st = status(primary);
  const startedAt = (st.startTime as string | undefined) ?? undefined;
  const main = mainReplica(run.pods);
  const containerOf = (replica: string) => run.pods.find((g) => replica.startsWith(`${g.role}-`))?.container ?? main.container;
  const exitCode = exitCodeOf(pods, `${main.role}-0`, main.container);
  const failures = () =>
    pods
      .map((p) => podFailure(p, containerOf(replicaOf(p))))
      .filter((f): f is { text: string; exitCode?: number } => f !== undefined)
      .map((f) => f.text);
  const base = { ...(startedAt ? { startedAt } : {}), ...(exitCode !== undefined ? { exitCode } : {}) };

  const end = terminalCondition(primary);
  if (end) {
    const endedAt = (st.completionTime as string | undefined) ?? end.c.lastTransitionTime;
    if (end.ok) return { state: "succeeded", ...base, ...(endedAt ? { endedAt } : {}) };
    const why = [`${end.c.reason ?? "Failed"}${end.c.message ? `: ${end.c.message}` : ""}`, ...new Set(failures())].join("; ");
    return { state: "failed", reason: why, ...base, ...(endedAt ? { endedAt } : {}) };
  }
  // a failed Job of another role (e.g. the parameter servers) fails the run
  for (const o of others) {
    const e = terminalCondition(o);
    if (e && !e.ok) return { state: "failed", reason: `${o.metadata.labels?.[LABEL.role] ?? o.metadata.name}: ${e.c.reason ?? "Failed"}${e.c.message ? `: ${e.c.message}` : ""}`, ...base };
  }
  const stuck = pods.map(podProblem).find((p) => p !== undefined);
  const running = primary.kind === "Job" ? pods.some((p) => status(p).phase === "Running") || Number(st.active ?? 0) > 0 && pods.some((p) => status(p).phase === "Running") : Boolean(isTrue(primary, "Running")) || pods.some((p) => status(p).phase === "Running");
  if (running) return { state: "running", ...base, ...(stuck ? { reason: stuck } : {}) };
  return { state: "pending", ...base, ...(stuck ? { reason: stuck } : {}) };
}

/** The run's objects and pods (its current attempt's) as the cluster has them now, mapped to a state. */
export async function liveState(api: KubeApi, record: RunRecord): Promise<{ state: LiveState; pods: K8sObject[]; jobs: K8sObject[] }> {
  const d = details(record);
  const plan = record.plan as KubernetesPlan;
  const selector = `${LABEL.runId}=${record.runId}`;
  try {
    const found = await api.get<K8sObject>(resourcePath(d.primary.kind, d.namespace, d.primary.name));
    const primary = found ? { ...found, kind: found.kind ?? d.primary.kind, apiVersion: found.apiVersion ?? d.primary.apiVersion } : undefined;
    // list items of built-in kinds come without their kind
    const others = d.daemons.length
      ? ((await api.request<{ items?: K8sObject[] }>("GET", resourcePath("Job", d.namespace), { query: { labelSelector: selector } })).items ?? []).filter((j) => j.metadata.name !== d.primary.name).map((j) => ({ ...j, kind: "Job", apiVersion: "batch/v1" }))
      : [];
    const pods = (await api.request<{ items?: K8sObject[] }>("GET", resourcePath("Pod", d.namespace), { query: { labelSelector: podSelector(record.runId, plan.objects, attemptOf(record)) } })).items ?? [];
    return { state: mapState(plan, primary, others, pods), pods, jobs: [...(primary ? [primary] : []), ...others] };
  } catch (e) {
    throw apiUserError(e, `status of ${record.runId}`);
  }
}
