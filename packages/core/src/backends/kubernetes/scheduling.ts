import { isTerminal } from "../../records/record.js";
import type { RunEvents } from "./events.js";
import type { K8sObject } from "./objects.js";
import { formatDuration } from "./options.js";
import { type LiveState, newestFirst, replicaOf } from "./status.js";

/**
 * Replicas that have no node yet. A distributed run whose replicas are only
 * partly scheduled does not train (rank 0 waits for the others), yet its
 * scheduled pods run and hold their resources: it is reported as waiting,
 * with the scheduler's reason, and given up after --schedule-timeout. A
 * replica counts once something keeps it from a node: the scheduler
 * (Unschedulable), a used-up quota (FailedCreate), or events the user may
 * not read while it has no pod.
 */
export interface Waiting {
  readonly replica: string;
  /** Since when (ms): its pod's creation, or the submission when it has none. */
  readonly since: number;
  /** The scheduler's or admission's reason, once there is one. */
  readonly why?: string;
}

type Obj = Record<string, unknown>;
interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

const created = (p: K8sObject) => Date.parse(p.metadata.creationTimestamp ?? "") || 0;

/** Each replica's newest pod that is not being deleted (a failed one's replacement, when there is one). */
export function currentPods(pods: readonly K8sObject[]): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const p of [...pods].sort(newestFirst)) {
    const r = replicaOf(p);
    if (!p.metadata.deletionTimestamp && !out.has(r)) out.set(r, p);
  }
  return out;
}

function scheduled(p: K8sObject): boolean {
  const st = (p.status ?? {}) as Obj;
  if (["Running", "Succeeded", "Failed"].includes(String(st.phase))) return true;
  if ((p.spec as { nodeName?: string } | undefined)?.nodeName) return true;
  return ((st.conditions as Condition[] | undefined) ?? []).some((c) => c.type === "PodScheduled" && c.status === "True");
}

/** The replicas of the run that have no node: no pod yet, or a pod the scheduler has not placed. */
export function waitingReplicas(replicas: readonly string[], pods: readonly K8sObject[], submittedAt: number, events?: RunEvents): Waiting[] {
  const current = currentPods(pods);
  const quota = events?.refusals.find((r) => r.transient);
  const noPod = quota ? `its pod is refused (FailedCreate): ${quota.message}` : events?.unreadable ? `no pod yet, and the events that would say why cannot be read: ${events.unreadable}` : undefined;
  return replicas.flatMap((replica): Waiting[] => {
    const pod = current.get(replica);
    // no pod and nothing that says why: its controller has not made it yet (an MPIJob's launcher waits for its workers)
    if (!pod) return [{ replica, since: submittedAt, ...(noPod ? { why: noPod } : {}) }];
    if (scheduled(pod)) return [];
    const c = (((pod.status ?? {}) as Obj).conditions as Condition[] | undefined)?.find((x) => x.type === "PodScheduled" && x.status === "False");
    return [{ replica, since: Math.max(created(pod), submittedAt), ...(c?.reason ? { why: `${c.reason}${c.message ? `: ${c.message}` : ""}` } : {}) }];
  });
}

/** The state with what a run's events and scheduling say: `giveUp` when its objects should go (they would wait, or retry, for ever). */
export interface Verdict extends LiveState {
  readonly giveUp?: boolean;
}

export interface JudgeContext {
  readonly replicas: readonly string[];
  readonly pods: readonly K8sObject[];
  readonly events?: RunEvents;
  readonly now: number;
  readonly submittedAt: number;
  readonly scheduleTimeoutSeconds: number;
}

/**
 * What the cluster's state means for a run that has not ended: its pods
 * refused for good (failed), replicas waiting for a node or for quota
 * (pending, saying which and why), or waiting past --schedule-timeout
 * (failed). Pure: the caller reads the pods and events, and deletes the
 * run's objects when it gives up.
 */
export function judge(live: LiveState, ctx: JudgeContext): Verdict {
  if (isTerminal(live.state)) return live;
  const refused = ctx.events?.refusals.find((r) => !r.transient);
  if (refused) return { ...live, state: "failed", reason: `the cluster refuses the run's pods (FailedCreate on ${refused.about}): ${refused.message}; its objects are deleted`, giveUp: true };
  const waiting = waitingReplicas(ctx.replicas, ctx.pods, ctx.submittedAt, ctx.events);
  // only a replica something keeps from running (the scheduler, a quota) waits: one not made yet is on its way
  const held = waiting.filter((w) => w.why);
  const first = held[0];
  if (!first) return live;
  const m = ctx.replicas.length;
  const why = `${first.replica}: ${first.why}`;
  const oldest = Math.min(...held.map((w) => w.since));
  if (ctx.now - oldest > ctx.scheduleTimeoutSeconds * 1000) {
    return { ...live, state: "failed", reason: `${waiting.length} of ${m} replica${m > 1 ? "s" : ""} not scheduled within ${formatDuration(ctx.scheduleTimeoutSeconds)} (--schedule-timeout): ${why}; its objects are deleted`, giveUp: true };
  }
  return { ...live, state: "pending", reason: m > 1 ? `waiting for ${waiting.length} of ${m} replicas: ${why}` : why };
}
