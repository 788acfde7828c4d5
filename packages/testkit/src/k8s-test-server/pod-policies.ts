import { quantityValue } from "./admission-pods.js";
import type { ObjectStore } from "./store.js";
import { type Amounts, containersOf, formatQuantity, isTerminal, limitsOf, podRequests, requestsOf } from "./quantities.js";
import type { K8sObj } from "./types.js";

/**
 * What a namespace's policies say about a pod a controller creates, as the
 * API server's admission plugins say it: Pod Security (the namespace's
 * `pod-security.kubernetes.io/enforce` label), LimitRange and ResourceQuota
 * objects in the namespace. A Job or a Kubeflow job is admitted (its
 * template is not a pod); its pods are refused when its controller creates
 * them, and the only trace is a FailedCreate Event on the job.
 *
 * Returns the refusal, as the API words it, or undefined when the pod is admitted.
 */
export function podRefusal(store: ObjectStore, pod: K8sObj): string | undefined {
  const why = podSecurity(store, pod) ?? limitRanges(store, pod) ?? quotas(store, pod);
  return why ? `pods "${pod.metadata.name}" is forbidden: ${why}` : undefined;
}

type Obj = Record<string, unknown>;
const names = (what: string, list: readonly string[]) => `${what}${list.length > 1 ? "s" : ""} ${list.map((n) => `"${n}"`).join(", ")}`;

function podSecurity(store: ObjectStore, pod: K8sObj): string | undefined {
  const ns = store.lookup(store.kind("Namespace"), undefined, pod.metadata.namespace ?? "");
  const level = ns?.obj.metadata.labels?.["pod-security.kubernetes.io/enforce"];
  if (level !== "baseline" && level !== "restricted") return undefined;
  const spec = (pod.spec ?? {}) as Obj;
  const podCtx = (spec.securityContext ?? {}) as Obj;
  const containers = [...containersOf(pod, true), ...containersOf(pod)] as (Obj & { name: string })[];
  const ctx = (c: Obj) => (c.securityContext ?? {}) as Obj;
  const volumes = ((spec.volumes as Obj[] | undefined) ?? []) as (Obj & { name: string })[];
  const out: string[] = [];
  const hostNs = ["hostNetwork", "hostPID", "hostIPC"].filter((k) => spec[k] === true);
  if (hostNs.length) out.push(`host namespaces (${hostNs.map((k) => `${k}=true`).join(", ")})`);
  const privileged = containers.filter((c) => ctx(c).privileged === true).map((c) => c.name);
  if (privileged.length) out.push(`privileged (${names("container", privileged)} must not set securityContext.privileged=true)`);
  const hostPath = volumes.filter((v) => v.hostPath).map((v) => v.name);
  if (hostPath.length) out.push(`hostPath volumes (${names("volume", hostPath)})`);
  if (level === "restricted") {
    const allowed = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
    const restricted = volumes.filter((v) => !v.hostPath && Object.keys(v).some((k) => k !== "name" && !allowed.has(k)));
    if (restricted.length) out.push(`restricted volume types (${restricted.map((v) => `volume "${v.name}" uses restricted volume type "${Object.keys(v).find((k) => k !== "name")}"`).join(", ")})`);
    const escalation = containers.filter((c) => ctx(c).allowPrivilegeEscalation !== false).map((c) => c.name);
    if (escalation.length) out.push(`allowPrivilegeEscalation != false (${names("container", escalation)} must set securityContext.allowPrivilegeEscalation=false)`);
    const caps = containers.filter((c) => !((ctx(c).capabilities as { drop?: string[] } | undefined)?.drop ?? []).includes("ALL")).map((c) => c.name);
    if (caps.length) out.push(`unrestricted capabilities (${names("container", caps)} must set securityContext.capabilities.drop=["ALL"])`);
    const root = containers.filter((c) => (ctx(c).runAsNonRoot ?? podCtx.runAsNonRoot) !== true).map((c) => c.name);
    if (root.length) out.push(`runAsNonRoot != true (pod or ${names("container", root)} must set securityContext.runAsNonRoot=true)`);
    const seccomp = containers.filter((c) => !["RuntimeDefault", "Localhost"].includes(String(((ctx(c).seccompProfile ?? podCtx.seccompProfile) as { type?: string } | undefined)?.type))).map((c) => c.name);
    if (seccomp.length) out.push(`seccompProfile (pod or ${names("container", seccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`);
  }
  return out.length ? `violates PodSecurity "${level}:latest": ${out.join(", ")}` : undefined;
}

function limitRanges(store: ObjectStore, pod: K8sObj): string | undefined {
  const out: string[] = [];
  for (const lr of store.matching(store.kind("LimitRange"), pod.metadata.namespace, undefined)) {
    for (const item of ((lr.spec as { limits?: Obj[] } | undefined)?.limits ?? []).filter((l) => l.type === "Container")) {
      for (const c of [...containersOf(pod, true), ...containersOf(pod)]) {
        const limits = limitsOf(c);
        const requests = requestsOf(c);
        for (const [r, raw] of Object.entries((item.max ?? {}) as Record<string, string>)) {
          const max = quantityValue(raw) ?? 0;
          if (limits[r] === undefined) out.push(`maximum ${r} usage per Container is ${raw}.  No limit is specified`);
          else if (limits[r]! > max) out.push(`maximum ${r} usage per Container is ${raw}, but limit is ${formatQuantity(r, limits[r]!)}`);
        }
        for (const [r, raw] of Object.entries((item.min ?? {}) as Record<string, string>)) {
          const min = quantityValue(raw) ?? 0;
          if ((requests[r] ?? 0) < min) out.push(`minimum ${r} usage per Container is ${raw}, but request is ${formatQuantity(r, requests[r] ?? 0)}`);
        }
      }
    }
  }
  if (out.length === 0) return undefined;
  return out.length === 1 ? out[0] : `[${out.join(", ")}]`;
}

/** `requests.cpu` and `cpu` are the same quota; `limits.*` counts limits. */
function quotaKey(key: string): { of: "requests" | "limits" | "count"; resource: string } {
  if (key === "pods") return { of: "count", resource: "pods" };
  if (key.startsWith("limits.")) return { of: "limits", resource: key.slice("limits.".length) };
  return { of: "requests", resource: key.startsWith("requests.") ? key.slice("requests.".length) : key };
}

function amountOf(pod: K8sObj, of: "requests" | "limits" | "count", resource: string): number {
  if (of === "count") return 1;
  return (podRequests(pod, of === "limits" ? limitsOf : requestsOf) as Amounts)[resource] ?? 0;
}

function quotas(store: ObjectStore, pod: K8sObj): string | undefined {
  const ns = pod.metadata.namespace;
  const pods = store.matching(store.kind("Pod"), ns, undefined).filter((p) => !isTerminal(p) && p.metadata.name !== pod.metadata.name);
  for (const q of store.matching(store.kind("ResourceQuota"), ns, undefined)) {
    const hard = ((q.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<string, string>;
    // a quota on a resource needs every container to say how much of it it takes
    const unspecified: string[] = [];
    for (const key of Object.keys(hard)) {
      const { of, resource } = quotaKey(key);
      if (of === "count") continue;
      const missing = [...containersOf(pod, true), ...containersOf(pod)].filter((c) => (of === "limits" ? limitsOf(c) : requestsOf(c))[resource] === undefined).map((c) => c.name);
      if (missing.length) unspecified.push(`${key} for: ${missing.join(",")}`);
    }
    if (unspecified.length) return `failed quota: ${q.metadata.name}: must specify ${unspecified.join("; ")}`;
    const over = Object.entries(hard).flatMap(([key, raw]) => {
      const { of, resource } = quotaKey(key);
      const limit = quantityValue(raw) ?? 0;
      const requested = amountOf(pod, of, resource);
      const used = pods.reduce((s, p) => s + amountOf(p, of, resource), 0);
      return requested > 0 && used + requested > limit ? [{ key, requested, used, raw, resource }] : [];
    });
    if (over.length) {
      const list = (f: (o: (typeof over)[number]) => string) => over.map((o) => `${o.key}=${f(o)}`).join(",");
      return `exceeded quota: ${q.metadata.name}, requested: ${list((o) => formatQuantity(o.resource, o.requested))}, used: ${list((o) => formatQuantity(o.resource, o.used))}, limited: ${list((o) => o.raw)}`;
    }
  }
  return undefined;
}
