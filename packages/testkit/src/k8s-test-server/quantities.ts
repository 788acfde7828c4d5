import { quantityValue } from "./admission-pods.js";
import type { K8sObj } from "./types.js";

/** What pods ask for, as the scheduler and the quota count it: cpu in cores, memory in bytes, GPUs. */
export type Amounts = Record<string, number>;

type Container = { name: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } };

export function containersOf(pod: K8sObj, init = false): Container[] {
  return (((pod.spec as Record<string, unknown> | undefined)?.[init ? "initContainers" : "containers"] as Container[] | undefined) ?? []);
}

/** A container's requests: what it asks for, or its limits where it asks for nothing (the API defaults requests to limits). */
export function requestsOf(c: Container): Amounts {
  const out: Amounts = {};
  for (const [k, v] of Object.entries({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) })) out[k] = quantityValue(v) ?? 0;
  return out;
}

export function limitsOf(c: Container): Amounts {
  const out: Amounts = {};
  for (const [k, v] of Object.entries(c.resources?.limits ?? {})) out[k] = quantityValue(v) ?? 0;
  return out;
}

function add(a: Amounts, b: Amounts): Amounts {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** A pod's effective requests: its containers' together, or its largest init container's where that is more. */
export function podRequests(pod: K8sObj, of: (c: Container) => Amounts = requestsOf): Amounts {
  const main = containersOf(pod).map(of).reduce(add, {});
  for (const init of containersOf(pod, true).map(of)) for (const [k, v] of Object.entries(init)) main[k] = Math.max(main[k] ?? 0, v);
  return main;
}

export const isTerminal = (pod: K8sObj) => ["Succeeded", "Failed"].includes(String((pod.status as { phase?: string } | undefined)?.phase));

/** A quantity as the API prints one: `4`, `500m`, `8Gi`, `512Mi`. */
export function formatQuantity(resource: string, v: number): string {
  if (resource === "memory" || resource.endsWith(".memory")) {
    for (const [s, n] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) if (v >= n && v % n === 0) return `${v / n}${s}`;
    return String(v);
  }
  return Number.isInteger(v) ? String(v) : `${Math.round(v * 1000)}m`;
}
