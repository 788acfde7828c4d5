import { quantityValue } from "./admission-pods.js";
import type { ObjectStore } from "./store.js";
import { isTerminal, podRequests } from "./quantities.js";
import type { K8sObj } from "./types.js";

/**
 * The scheduler, as far as a run can tell: a pod goes to the first Ready,
 * schedulable node whose allocatable CPU, memory and GPUs, less what the pods
 * already bound to it request, hold what it requests. Where none does, the
 * pod stays Pending with PodScheduled=False (Unschedulable) and the
 * scheduler's message, e.g. `0/2 nodes are available: 2 Insufficient cpu.`
 */
export function place(store: ObjectStore, pod: K8sObj): { node: string } | { message: string } {
  const nodes = store.all().filter((s) => s.kind.kind === "Node").map((s) => s.obj);
  const want = podRequests(pod);
  const bound = store.all().filter((s) => s.kind.kind === "Pod" && s.obj.metadata.uid !== pod.metadata.uid && !isTerminal(s.obj)).map((s) => s.obj);
  const why = new Map<string, number>();
  const count = (reason: string) => why.set(reason, (why.get(reason) ?? 0) + 1);
  for (const n of nodes) {
    const ready = ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === "Ready")?.status === "True";
    if (!ready) {
      count("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
      continue;
    }
    if ((n.spec as { unschedulable?: boolean } | undefined)?.unschedulable) {
      count("node(s) were unschedulable");
      continue;
    }
    const allocatable = ((n.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {}) as Record<string, string>;
    const used: Record<string, number> = {};
    let podsOnNode = 0;
    for (const p of bound.filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === n.metadata.name)) {
      podsOnNode++;
      for (const [k, v] of Object.entries(podRequests(p))) used[k] = (used[k] ?? 0) + v;
    }
    const short = Object.entries(want).filter(([k, v]) => v > 0 && (used[k] ?? 0) + v > (quantityValue(allocatable[k] ?? 0) ?? 0)).map(([k]) => k);
    if (podsOnNode + 1 > (quantityValue(allocatable.pods ?? "110") ?? 110)) short.push("pods");
    if (short.length === 0) return { node: n.metadata.name };
    for (const k of short) count(k === "pods" ? "Too many pods" : `Insufficient ${k}`);
  }
  const reasons = [...why].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`);
  return { message: `0/${nodes.length} nodes are available: ${reasons.join(", ")}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} No preemption victims found for incoming pod.` };
}
