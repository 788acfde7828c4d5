import type { RunRecord } from "../../records/record.js";
import { LABEL } from "./names.js";
import type { JsonObject, K8sObject } from "./objects.js";

/**
 * Attempts: `rerun` submits a run's recorded objects again under the same
 * run id. Deleting the last attempt's objects is asynchronous on a real
 * cluster (the garbage collector deletes their pods later, and each pod
 * takes its grace period to stop), so the pods of both attempts can share
 * the run-id label for a while. Every pod template (and the headless
 * Service's selector) carries the attempt's number, and the run selects its
 * pods by it.
 */

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);

/** The pod templates of an object: a Job's, each Kubeflow replica's. */
function templates(spec: Obj): Obj[] {
  if (obj(spec.template)) return [spec.template as Obj];
  return Object.entries(spec)
    .filter(([k]) => k.endsWith("ReplicaSpecs"))
    .flatMap(([, v]) => Object.values(obj(v) ?? {}).flatMap((r) => (obj(obj(r)?.template) ? [obj(r)!.template as Obj] : [])));
}

/** The objects with every pod template (and Service selector) labeled with this attempt. Pure: the objects are copied. */
export function withAttempt(objects: readonly K8sObject[], attempt: number): K8sObject[] {
  const value = String(attempt);
  return objects.map((o) => {
    const copy = JSON.parse(JSON.stringify(o)) as K8sObject & { spec?: Obj };
    if (!copy.spec) return copy;
    if (copy.kind === "Service" && obj(copy.spec.selector)) (copy.spec.selector as Obj)[LABEL.attempt] = value;
    for (const t of templates(copy.spec)) {
      t.metadata ??= {};
      const meta = t.metadata as Obj;
      meta.labels = { ...(obj(meta.labels) ?? {}), [LABEL.attempt]: value } as JsonObject;
    }
    return copy;
  });
}

/** Whether these objects label their pods with the attempt (runs recorded before attempts were labeled do not). */
function labelsAttempts(objects: readonly K8sObject[] | undefined): boolean {
  return (objects ?? []).some((o) => templates(obj(o.spec) ?? {}).some((t) => obj(obj(t.metadata)?.labels)?.[LABEL.attempt] !== undefined));
}

/** The run's current attempt: 1, then one more for each rerun. */
export function attemptOf(record: RunRecord): number {
  return Number(record.details.attempts ?? 1);
}

/** The label selector of the current attempt's pods. */
export function podSelector(runId: string, objects: readonly K8sObject[] | undefined, attempt: number): string {
  return `${LABEL.runId}=${runId}${labelsAttempts(objects) ? `,${LABEL.attempt}=${attempt}` : ""}`;
}
