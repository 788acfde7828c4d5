import { type Problem, UserError } from "../../errors.js";
import { ApiError, apiUserError, type KubeApi } from "./api-client.js";
import { OPERATOR, served } from "./discovery.js";
import { type K8sObject, KINDS, resourcePath } from "./objects.js";
import type { KubernetesPlan } from "./plan.js";
import { mainReplica } from "./status.js";

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity (`3900m`, `16Gi`, `1e9`, `128974848`) as a number of units. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === "number") return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || !(m[2]! in SUFFIX)) return Number.NaN;
  return Number(m[1]) * SUFFIX[m[2]!]!;
}

interface Capacity {
  cpu: number;
  mem: number;
  gpu: number;
}

function fmt(c: Capacity): string {
  return `cpu ${Number(c.cpu.toFixed(2))}, memory ${Number((c.mem / 2 ** 30).toFixed(1))}Gi, gpu ${c.gpu}`;
}

/** Staging containers of the pod that uploads run beside the training container. */
const UPLOADER: Capacity = { cpu: 0.25, mem: 256 * 2 ** 20, gpu: 0 };

/** Can the nodes' allocatable CPU, memory and GPUs hold every pod of the run at once? First fit, biggest pods first. */
export function fits(nodes: readonly K8sObject[], plan: Pick<KubernetesPlan, "pods" | "uploads">): Problem | undefined {
  const free: (Capacity & { name: string })[] = nodes
    .filter((n) => !(n.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
    .filter((n) => ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).every((c) => c.type !== "Ready" || c.status === "True"))
    .map((n) => {
      const a = ((n.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {}) as Record<string, string>;
      return { name: n.metadata.name, cpu: parseQuantity(a.cpu), mem: parseQuantity(a.memory), gpu: parseQuantity(a["nvidia.com/gpu"]) || 0 };
    });
  if (free.length === 0) return { path: "cluster", message: "has no Ready, schedulable nodes", hint: "kubectl get nodes" };
  const main = mainReplica(plan.pods);
  const pods = plan.pods.flatMap((g) =>
    Array.from({ length: g.count }, (_, i) => {
      const extra = plan.uploads.length > 0 && g === main && i === 0 ? UPLOADER : { cpu: 0, mem: 0, gpu: 0 };
      return { replica: `${g.role}-${i}`, cpu: g.resources.cpu + extra.cpu, mem: g.resources.mem * 2 ** 30 + extra.mem, gpu: g.resources.gpu };
    }),
  );
  const largest = free.reduce((a, b) => (b.gpu > a.gpu || (b.gpu === a.gpu && b.cpu + b.mem / 2 ** 30 > a.cpu + a.mem / 2 ** 30) ? b : a));
  for (const p of pods) {
    if (!free.some((n) => n.cpu >= p.cpu && n.mem >= p.mem && n.gpu >= p.gpu)) {
      return {
        path: "resources",
        message: `no node can hold ${p.replica} (${fmt(p)}); the largest node, ${largest.name}, has ${fmt(largest)} allocatable`,
        hint: p.gpu > largest.gpu ? "ask for fewer GPUs per worker (--resource worker.gpu=N), or use a cluster with GPU nodes" : "ask for less (--resource worker.cpu=N, worker.mem=GiB)",
      };
    }
  }
  const order = [...pods].sort((a, b) => b.gpu - a.gpu || b.cpu - a.cpu || b.mem - a.mem);
  for (const p of order) {
    const n = free.find((x) => x.cpu >= p.cpu && x.mem >= p.mem && x.gpu >= p.gpu);
    if (!n) {
      const need = pods.reduce((s, x) => ({ cpu: s.cpu + x.cpu, mem: s.mem + x.mem, gpu: s.gpu + x.gpu }), { cpu: 0, mem: 0, gpu: 0 });
      return {
        path: "resources",
        message: `the cluster cannot hold all ${pods.length} pods at once (they need ${fmt(need)} together, on ${free.length} usable node(s))`,
        hint: "use fewer workers (--workers N) or smaller ones, or a bigger cluster; distributed pods must all run together",
      };
    }
    n.cpu -= p.cpu;
    n.mem -= p.mem;
    n.gpu -= p.gpu;
  }
  return undefined;
}

/**
 * Before anything is created: turns what would otherwise stay "pending
 * forever" into an error. The namespace, the operators' CRDs, the PVCs and
 * Secrets the run reads, and room on the nodes. Checks the user may not be
 * allowed to make (403) are skipped and said so.
 */
export async function preflight(api: KubeApi, plan: KubernetesPlan): Promise<string[]> {
  const problems: Problem[] = [];
  const skipped: string[] = [];
  const ns = plan.target.namespace;
  const guard = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) skipped.push(`${what}: not allowed to check`);
      else throw apiUserError(e, "preflight");
    }
  };
  await guard("namespace", async () => {
    if (!(await api.get(resourcePath("Namespace", undefined, ns)))) problems.push({ path: "--namespace", message: `namespace "${ns}" does not exist`, hint: "kubectl get namespaces, or create it" });
  });
  for (const kind of plan.needs) {
    await guard(kind, async () => {
      if (!(await served(api, kind))) {
        problems.push({ path: "--k8s-engine", message: `the cluster does not serve ${kind} (${KINDS[kind]!.apiVersion})`, hint: `install ${OPERATOR[kind]}, or run with --k8s-engine native` });
      }
    });
  }
  for (const claim of plan.pvcs) {
    await guard(`PVC ${claim}`, async () => {
      const pvc = await api.get<K8sObject>(resourcePath("PersistentVolumeClaim", ns, claim));
      if (!pvc) problems.push({ path: `pvc://${claim}`, message: `PersistentVolumeClaim "${claim}" does not exist in namespace ${ns}`, hint: "kubectl get pvc" });
      else if ((pvc.status as { phase?: string } | undefined)?.phase === "Lost") problems.push({ path: `pvc://${claim}`, message: `PersistentVolumeClaim "${claim}" has lost its volume` });
    });
  }
  const s3 = plan.secrets.s3;
  if (s3 && !plan.secrets.created.includes(s3)) {
    await guard(`Secret ${s3}`, async () => {
      const secret = await api.get<{ data?: Record<string, string> }>(resourcePath("Secret", ns, s3));
      if (!secret) problems.push({ path: "--s3-secret", message: `Secret "${s3}" does not exist in namespace ${ns}`, hint: "create it (kubectl create secret generic NAME --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...) or use --create-secret" });
      else {
        // only the key names are looked at
        const missing = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((k) => !(k in (secret.data ?? {})));
        if (missing.length) problems.push({ path: "--s3-secret", message: `Secret "${s3}" has no ${missing.join(" or ")}`, hint: "the staging containers read the standard AWS variables from it" });
      }
    });
  }
  await guard("node capacity", async () => {
    const nodes = await api.request<{ items?: K8sObject[] }>("GET", resourcePath("Node", undefined));
    const p = fits(nodes.items ?? [], plan);
    if (p) problems.push(p);
  });
  if (problems.length > 0) throw new UserError(problems);
  return skipped;
}
