import { randomBytes } from "node:crypto";
import type { ObjectStore } from "./store.js";
import type { K8sObj } from "./types.js";

export interface EventFacts {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
  /** Who reports it: `job-controller`, `default-scheduler`, `kubelet`. */
  readonly component: string;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * Records a core/v1 Event about an object, as client-go's event recorder
 * does: the same reason and message about the same object again is one
 * Event whose count goes up, not a new one.
 */
export function recordEvent(store: ObjectStore, about: K8sObj, facts: EventFacts): K8sObj {
  const kind = store.kind("Event");
  const ns = about.metadata.namespace ?? "default";
  const same = store
    .matching(kind, ns, undefined)
    .find((e) => (e.involvedObject as { uid?: string }).uid === about.metadata.uid && e.reason === facts.reason && e.message === facts.message);
  if (same) {
    return store.update(kind, ns, same.metadata.name, (e) => {
      e.count = Number(e.count ?? 1) + 1;
      e.lastTimestamp = now();
    })!;
  }
  return store.put(kind, {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${about.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: ns },
    involvedObject: { apiVersion: about.apiVersion, kind: about.kind, namespace: ns, name: about.metadata.name, uid: about.metadata.uid, resourceVersion: about.metadata.resourceVersion },
    type: facts.type,
    reason: facts.reason,
    message: facts.message,
    source: { component: facts.component },
    reportingComponent: facts.component,
    count: 1,
    firstTimestamp: now(),
    lastTimestamp: now(),
  });
}
