/**
 * The Kubernetes API test server behaves as a real cluster does where the
 * backend depends on it: watch history, garbage collection that takes its
 * time, the Job controller's backoffLimit, pod admission by the namespace's
 * policies, the scheduler, log rotation and RBAC. Asked over HTTP, as any
 * client would.
 */
import { type K8sObj, type K8sTestServer, startK8sTestServer, waitFor } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";

let server: K8sTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: Parameters<typeof startK8sTestServer>[0] = {}): Promise<K8sTestServer> {
  server = await startK8sTestServer({ stepMs: 10, ...opts });
  return server;
}

async function api<T = Record<string, unknown>>(s: K8sTestServer, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.url}${path}`, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${s.token}`, "Content-Type": "application/json" },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

const job = (name: string, extra: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace: "default", labels: { app: name } },
  spec: { backoffLimit: 0, ...extra, template: { metadata: { labels: { app: name } }, spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", resources: { requests: { cpu: "1", memory: "1Gi" } } }], ...podSpec } } },
});

/** The first `count` events a watch from `rv` sends. */
async function watchFrom(s: K8sTestServer, path: string, rv: string, count: number): Promise<{ type: string; object: K8sObj }[]> {
  const ac = new AbortController();
  const res = await fetch(`${s.url}${path}?watch=1&resourceVersion=${rv}`, { headers: { Authorization: `Bearer ${s.token}` }, signal: ac.signal });
  const reader = res.body!.getReader();
  let text = "";
  const lines = () => text.split("\n").filter((l) => l.trim());
  while (lines().length < count) {
    const next = await reader.read();
    if (next.done) break;
    text += Buffer.from(next.value).toString("utf8");
  }
  ac.abort();
  return lines().map((l) => JSON.parse(l));
}

describe("the Kubernetes API test server, as a real cluster", () => {
  it("a watch resumed from an older resourceVersion gets every change since, DELETED included, in order", async () => {
    const s = await start({ script: () => [{ run: true }, { hold: true }] });
    const listed = await api<{ metadata: { resourceVersion: string } }>(s, "/api/v1/namespaces/default/configmaps");
    await api(s, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { x: "1" } } });
    await api(s, "/api/v1/namespaces/default/configmaps/a", { method: "DELETE" });
    const events = await watchFrom(s, "/api/v1/namespaces/default/configmaps", listed.body.metadata.resourceVersion, 2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "DELETED a"]);
    // a version older than what is kept: 410 Gone
    s.expireWatches();
    const gone = await watchFrom(s, "/api/v1/namespaces/default/configmaps", listed.body.metadata.resourceVersion, 1);
    expect(gone[0]).toMatchObject({ type: "ERROR", object: { code: 410 } });
  });

  it("deleting a Job: it is gone at once, its pods later (the garbage collector), each terminating first", async () => {
    const s = await start({ gcDelayMs: 50, podTerminationMs: 50, script: () => [{ run: true }, { hold: true }] });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("j1") });
    await waitFor(() => s.isHeld("j1"));
    s.holdGarbageCollection();
    await api(s, "/apis/batch/v1/namespaces/default/jobs/j1", { method: "DELETE", body: { propagationPolicy: "Background" } });
    expect(s.objects("Job")).toEqual([]);
    const lingering = s.objects("Pod");
    expect(lingering).toHaveLength(1);
    expect((lingering[0]!.status as { phase: string }).phase).toBe("Running");
    s.releaseGarbageCollection();
    await waitFor(() => s.objects("Pod")[0]?.metadata.deletionTimestamp);
    await waitFor(() => s.objects("Pod").length === 0);
  });

  it("a Job's failed pod is replaced while its backoffLimit allows; then the Job fails with BackoffLimitExceeded", async () => {
    const s = await start({ script: () => [{ run: true }, { fail: { exitCode: 2 } }, { run: true }, { fail: { exitCode: 3 } }] });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("retry", { backoffLimit: 1 }) });
    await waitFor(() => (s.get("Job", "default", "retry")?.status as { conditions?: unknown[] } | undefined)?.conditions?.length);
    const st = s.get("Job", "default", "retry")!.status as { failed: number; conditions: { type: string; reason: string }[] };
    expect(st.failed).toBe(2);
    expect(st.conditions).toContainEqual(expect.objectContaining({ type: "Failed", reason: "BackoffLimitExceeded" }));
    const pods = s.podsOf("retry");
    expect(pods).toHaveLength(2);
    expect(pods.map((p) => (p.status as { containerStatuses: { state: { terminated: { exitCode: number } } }[] }).containerStatuses[0]!.state.terminated.exitCode).sort()).toEqual([2, 3]);
  });

  it("pods refused by a quota: a FailedCreate Event on the Job for each try, found by field selector; created once the quota allows", async () => {
    const s = await start({ createRetryMs: 20, script: () => [{ run: true }, { succeed: true }] });
    s.add({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "default" }, spec: { hard: { "requests.cpu": "500m" } } });
    const made = await api<K8sObj>(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("quota") });
    expect(made.status).toBe(201);
    // each try names another pod (generateName), so each is an Event of its own
    const ev = await waitFor(async () => {
      const l = await api<{ items: K8sObj[] }>(s, `/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid=${made.body.metadata.uid},reason=FailedCreate`);
      return l.body.items.length >= 2 ? l.body.items[0] : undefined;
    });
    expect(ev.message).toMatch(/^Error creating: pods "quota-[a-z0-9]+" is forbidden: exceeded quota: q, requested: requests.cpu=1, used: requests.cpu=0, limited: requests.cpu=500m$/);
    expect(ev).toMatchObject({ type: "Warning", reason: "FailedCreate", involvedObject: { kind: "Job", name: "quota" } });
    expect(s.objects("Pod")).toEqual([]);
    const other = await api<{ items: K8sObj[] }>(s, "/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid=nope");
    expect(other.body.items).toEqual([]);
    s.add({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "default" }, spec: { hard: { "requests.cpu": "2" } } });
    await waitFor(() => (s.get("Job", "default", "quota")?.status as { succeeded?: number } | undefined)?.succeeded === 1);
  });

  it("Pod Security and LimitRange refuse pods in the API's words", async () => {
    const s = await start({ createRetryMs: 20 });
    s.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default", labels: { "pod-security.kubernetes.io/enforce": "baseline" } }, status: { phase: "Active" } });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("hp", {}, { volumes: [{ name: "data", hostPath: { path: "/data" } }] }) });
    const ps = await waitFor(() => s.events("default").find((e) => e.reason === "FailedCreate"));
    expect(ps.message).toMatch(/is forbidden: violates PodSecurity "baseline:latest": hostPath volumes \(volume "data"\)$/);
    s.add({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "lr", namespace: "default" }, spec: { limits: [{ type: "Container", max: { cpu: "500m" } }] } });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("big", {}, { containers: [{ name: "main", image: "busybox", resources: { limits: { cpu: "2" } } }] }) });
    const lr = await waitFor(() => s.events("default").find((e) => (e.involvedObject as { name: string }).name === "big"));
    expect(lr.message).toMatch(/is forbidden: maximum cpu usage per Container is 500m, but limit is 2$/);
  });

  it("the scheduler: a pod no node has room for is Unschedulable with its reason and a FailedScheduling Event, and is placed once room is made", async () => {
    const s = await start({ createRetryMs: 20, nodes: [{ name: "n1", cpu: "2", memory: "8Gi" }], script: () => [{ run: true }, { hold: true }] });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("a", {}, { containers: [{ name: "main", image: "busybox", resources: { requests: { cpu: "1500m" } } }] }) });
    await waitFor(() => s.isHeld("a"));
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("b", {}, { containers: [{ name: "main", image: "busybox", resources: { requests: { cpu: "1" } } }] }) });
    await waitFor(() => (s.podsOf("b")[0]?.status as { conditions: unknown[] } | undefined)?.conditions.length);
    const status = s.podsOf("b")[0]!.status as { phase: string; conditions: { type: string; status: string; reason: string; message: string }[] };
    const cond = status.conditions[0]!;
    expect(status.phase).toBe("Pending");
    expect(cond).toMatchObject({ type: "PodScheduled", status: "False", reason: "Unschedulable" });
    expect(cond.message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    expect(s.events("default").some((e) => e.reason === "FailedScheduling" && (e.involvedObject as { kind: string }).kind === "Pod")).toBe(true);
    await api(s, "/apis/batch/v1/namespaces/default/jobs/a", { method: "DELETE", body: { propagationPolicy: "Background" } });
    await waitFor(() => (s.podsOf("b")[0]?.spec as { nodeName?: string } | undefined)?.nodeName === "n1");
  });

  it("a container's log is rotated at logMaxBytes: the API serves what came after, a follower got everything", async () => {
    const s = await start({ logMaxBytes: 200, script: () => [{ run: true }, { hold: true }] });
    await api(s, "/apis/batch/v1/namespaces/default/jobs", { method: "POST", body: job("logs") });
    await waitFor(() => s.isHeld("logs"));
    const pod = s.podsOf("logs")[0]!.metadata.name;
    const follow = fetch(`${s.url}/api/v1/namespaces/default/pods/${pod}/log?follow=true`, { headers: { Authorization: `Bearer ${s.token}` } });
    await waitFor(() => s.openStreams.logs === 1);
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i} ${"x".repeat(20)}`);
    s.appendLog("default", pod, lines);
    const served = await (await fetch(`${s.url}/api/v1/namespaces/default/pods/${pod}/log`, { headers: { Authorization: `Bearer ${s.token}` } })).text();
    expect(served).not.toContain("line 0 ");
    expect(served).toContain("line 19 ");
    s.resume("logs");
    await api(s, `/api/v1/namespaces/default/pods/${pod}`, { method: "DELETE", body: { gracePeriodSeconds: 0 } });
    const followed = await (await follow).text();
    expect(followed.trim().split("\n")).toEqual(lines);
  });

  it("RBAC: a denied verb is a 403 worded as the API words it", async () => {
    const s = await start({ user: "ada" });
    s.forbid({ verb: "watch", resource: "pods", namespace: "team-a" });
    s.forbid({ verb: "get", resource: "pods/log" });
    s.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" }, status: { phase: "Active" } });
    const w = await api(s, "/api/v1/namespaces/team-a/pods?watch=1");
    expect(w.status).toBe(403);
    expect(w.body).toMatchObject({ reason: "Forbidden", code: 403, message: 'pods is forbidden: User "ada" cannot watch resource "pods" in API group "" in the namespace "team-a"' });
    const ac = new AbortController();
    const allowed = await fetch(`${s.url}/api/v1/namespaces/default/pods?watch=1`, { headers: { Authorization: `Bearer ${s.token}` }, signal: ac.signal });
    expect(allowed.status).toBe(200);
    ac.abort();
    const l = await api(s, "/api/v1/namespaces/default/pods/p1/log");
    expect(l.body).toMatchObject({ message: 'pods "p1" is forbidden: User "ada" cannot get resource "pods/log" in API group "" in the namespace "default"' });
  });
});
