/**
 * The Kubernetes backend against what a real cluster does that a simple one
 * does not: pods refused by admission (only a FailedCreate Event says so),
 * replicas only partly scheduled, garbage collection that takes its time,
 * pods replaced under a backoffLimit, logs rotated by the kubelet, and RBAC
 * that allows some verbs and not others. The Kubernetes API test server
 * (packages/testkit) behaves that way; these tests go through the backend.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isolatedEnv, REPO, type S3TestServer, startS3Server, waitFor } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { LogLine } from "../../src/backends/backend.js";
import { connect } from "../../src/backends/kubernetes/connection.js";
import { LABEL } from "../../src/backends/kubernetes/names.js";
import type { K8sObject } from "../../src/backends/kubernetes/objects.js";
import type { KubernetesPlan } from "../../src/backends/kubernetes/plan.js";
import { judge } from "../../src/backends/kubernetes/scheduling.js";
import { inform, type WatchStats } from "../../src/backends/kubernetes/watch.js";
import { type Cluster, cluster, FAST_RETRY } from "./test-cluster.js";

let c: Cluster | undefined;
let s3: S3TestServer | undefined;
afterEach(async () => {
  await c?.server.close();
  await s3?.stop();
  c = undefined;
  s3 = undefined;
});

const event = (o: Record<string, unknown>) => `AVES2_EVENT ${JSON.stringify(o)}`;
const quota = (cpu: string) => ({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "team-quota", namespace: "default" }, spec: { hard: { "requests.cpu": cpu } } });
const restricted = { apiVersion: "v1", kind: "Namespace", metadata: { name: "default", labels: { "pod-security.kubernetes.io/enforce": "restricted" } }, status: { phase: "Active" } };

describe("pods that are never created: the run's events are read", () => {
  it("Pod Security refuses the pods for good: the run fails with the admission's words, and its objects are deleted", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.add(restricted);
    const { record, plan } = await c.run();
    expect(record.state).toBe("failed");
    expect(record.reason).toContain(`the cluster refuses the run's pods (FailedCreate on Job ${plan.primary.name}): violates PodSecurity "restricted:latest": `);
    expect(record.reason).toContain('allowPrivilegeEscalation != false (containers "stage-code", "stage-in-data-dir", "train" must set securityContext.allowPrivilegeEscalation=false)');
    expect(record.reason).toContain("its objects are deleted");
    expect(c.server.objects("Job")).toEqual([]);
    expect(c.server.events("default").some((e) => e.reason === "FailedCreate")).toBe(true);
  });

  it("a used-up quota: pending with the quota's words while it lasts, then the run goes on once room is made", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["training"] }, { succeed: true }] });
    c.server.add(quota("1"));
    const { plan, spec } = await c.plan();
    await c.backend.submit(plan, spec, { detach: true });
    const waiting = await waitFor(async () => {
      const r = await c!.backend.status(plan.runId);
      return r.reason ? r : undefined;
    });
    expect(waiting.state).toBe("pending");
    expect(waiting.reason).toBe("worker-0: its pod is refused (FailedCreate): exceeded quota: team-quota, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1");
    expect(c.server.objects("Pod")).toEqual([]);
    // the namespace's admin raises the quota: the Job controller's next try creates the pod
    c.server.add(quota("4"));
    const done = await waitFor(async () => {
      const r = await c!.backend.status(plan.runId);
      return r.state === "succeeded" ? r : undefined;
    });
    expect(done.reason).toBeUndefined();
    expect(done.exitCode).toBe(0);
  });

  it("a quota that never frees up: the run fails after --schedule-timeout (attached)", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.add(quota("1"));
    const { record, plan } = await c.run({}, { scheduleTimeoutSeconds: 1 });
    expect(record.state).toBe("failed");
    expect(record.reason).toBe(
      "1 of 1 replica not scheduled within 1s (--schedule-timeout): worker-0: its pod is refused (FailedCreate): exceeded quota: team-quota, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1; its objects are deleted",
    );
    await waitFor(() => c!.server.objects("Job").length === 0);
    expect(c.server.get("Job", "default", plan.primary.name)).toBeUndefined();
  });

  it("a quota on limits.cpu admits the pods: every container, the staging ones too, says its cpu limit", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.add({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "limits", namespace: "default" }, spec: { hard: { "limits.cpu": "10", "limits.memory": "20Gi" } } });
    const { record } = await c.run();
    expect(record.state).toBe("succeeded");
  });
});

describe("partial scheduling: waiting for N of M replicas", () => {
  // one node of 6 cpu, 3 of them taken by another team's pod: one worker of 2 cpu fits, the second does not
  const busy = async () => {
    const cl = await cluster({ kubeflow: [], nodes: [{ name: "node-1", cpu: "6", memory: "32Gi" }], script: () => [{ run: true }, { log: ["rank up"], replica: "worker-0" }, { hold: true }, { succeed: true }] });
    cl.server.add({ apiVersion: "v1", kind: "Pod", metadata: { name: "other-team", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "x", image: "x", resources: { requests: { cpu: "3" } } }] }, status: { phase: "Running" } });
    return cl;
  };

  it("status says which replicas wait and the scheduler's reason, not running; the run goes on when room is made", async () => {
    c = await busy();
    const { plan, spec } = await c.plan({ distribute: "PYTORCH_DDP", workers: 2 });
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    const r = await c.backend.status(plan.runId);
    expect(r.state).toBe("pending");
    expect(r.reason).toBe("waiting for 1 of 2 replicas: worker-1: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    // the running pod really runs (and holds its cpu)
    expect(c.server.objects("Pod").filter((p) => (p.status as { phase: string }).phase === "Running").map((p) => p.metadata.name)).toHaveLength(2);
    // the other team's pod ends: the scheduler places worker-1, which starts
    c.server.delete("Pod", "default", "other-team", { gracePeriodSeconds: 0 });
    await waitFor(async () => (await c!.backend.status(plan.runId)).state === "running");
    expect((await c.backend.status(plan.runId)).reason).toBeUndefined();
    c.server.resume(plan.primary.name);
    await waitFor(async () => (await c!.backend.status(plan.runId)).state === "succeeded");
  });

  it("an attached run fails after --schedule-timeout and deletes its objects, freeing the scheduled replica's node", async () => {
    c = await busy();
    const { record, plan } = await c.run({ distribute: "PYTORCH_DDP", workers: 2 }, { scheduleTimeoutSeconds: 1 });
    expect(record.state).toBe("failed");
    expect(record.reason).toMatch(/^1 of 2 replicas not scheduled within 1s \(--schedule-timeout\): worker-1: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu\..*; its objects are deleted$/);
    expect([...c.server.objects("Job"), ...c.server.objects("Service")]).toEqual([]);
    await waitFor(() => c!.server.objects("Pod").every((p) => !p.metadata.labels?.[LABEL.runId]));
    expect(c.server.get("Job", "default", plan.primary.name)).toBeUndefined();
  });

  it("a Kubeflow PyTorchJob whose worker cannot be placed is not 'running' either", async () => {
    c = await cluster({ nodes: [{ name: "node-1", cpu: "6", memory: "32Gi" }], script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    c.server.add({ apiVersion: "v1", kind: "Pod", metadata: { name: "other-team", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "x", image: "x", resources: { requests: { cpu: "3" } } }] }, status: { phase: "Running" } });
    const { plan, spec } = await c.plan({ distribute: "PYTORCH_DDP", workers: 2 });
    expect(plan.primary.kind).toBe("PyTorchJob");
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    const r = await c.backend.status(plan.runId);
    expect(r.state).toBe("pending");
    expect(r.reason).toMatch(/^waiting for 1 of 2 replicas: worker-0: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu\./);
  });
});

describe("--schedule-timeout counts only what keeps a replica from a node", () => {
  const pod = (replica: string, created: string, scheduled: boolean | string): K8sObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p-${replica}`, creationTimestamp: created, labels: { [LABEL.role]: replica.split("-")[0]!, "training.kubeflow.org/replica-index": replica.split("-")[1]! } },
    status: { phase: "Pending", conditions: [scheduled === true ? { type: "PodScheduled", status: "True" } : { type: "PodScheduled", status: "False", reason: "Unschedulable", message: String(scheduled) }] },
  });
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const ctx = { replicas: ["launcher-0", "worker-0", "worker-1"], submittedAt: t0, scheduleTimeoutSeconds: 600 };

  it("an MPIJob's launcher, not made until its workers run, is no reason to give up", () => {
    const v = judge({ state: "pending" }, { ...ctx, pods: [pod("worker-0", "2026-01-01T00:00:01Z", true), pod("worker-1", "2026-01-01T00:00:01Z", true)], now: t0 + 3_600_000 });
    expect(v).toEqual({ state: "pending" });
  });

  it("a worker the scheduler cannot place is, once it has waited that long (since its pod was made)", () => {
    const pods = [pod("worker-0", "2026-01-01T00:00:01Z", true), pod("worker-1", "2026-01-01T00:05:00Z", "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")];
    expect(judge({ state: "running" }, { ...ctx, pods, now: t0 + 600_000 })).toEqual({ state: "pending", reason: "waiting for 2 of 3 replicas: worker-1: Unschedulable: 0/4 nodes are available: 4 Insufficient nvidia.com/gpu." });
    const late = judge({ state: "running" }, { ...ctx, pods, now: t0 + 901_000 });
    expect(late).toMatchObject({ state: "failed", giveUp: true, reason: "2 of 3 replicas not scheduled within 10m (--schedule-timeout): worker-1: Unschedulable: 0/4 nodes are available: 4 Insufficient nvidia.com/gpu.; its objects are deleted" });
  });
});

describe("attempts: the garbage collector takes its time", () => {
  it("after rerun, the last attempt's lingering pods are not the run's: logs, state and exit code are the new attempt's", async () => {
    let attempt = 0;
    c = await cluster({
      script: () => (++attempt === 1 ? [{ run: true }, { log: ["first attempt"] }, { hold: true }, { fail: { exitCode: 3 } }] : [{ run: true }, { log: ["second attempt"] }, { succeed: true }]),
    });
    const { plan, spec } = await c.plan();
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    c.server.holdGarbageCollection();
    expect((await c.backend.cancel(plan.runId)).state).toBe("canceled");
    const again = await c.backend.rerun(plan.runId);
    expect(again.details.attempts).toBe(2);
    // both attempts' pods carry the run id; the first attempt's still runs (its deletion waits for the garbage collector)
    await waitFor(() => c!.server.objects("Pod").length === 2);
    const byAttempt = (n: string) => c!.server.objects("Pod").filter((p) => p.metadata.labels?.[LABEL.attempt] === n);
    expect(byAttempt("1")).toHaveLength(1);
    expect((byAttempt("1")[0]!.status as { phase: string }).phase).toBe("Running");
    expect(byAttempt("1")[0]!.metadata.labels?.[LABEL.runId]).toBe(plan.runId);
    const lines: string[] = [];
    await c.backend.logs(plan.runId, { follow: true, onLog: (l) => lines.push(l.text) });
    expect(lines).toEqual(["second attempt"]);
    const r = await c.backend.status(plan.runId);
    expect(r).toMatchObject({ state: "succeeded", exitCode: 0 });
    // the pods' selector and the recorded plan name the attempt
    const listed = c.server.requests.filter((q) => q.path.endsWith("/pods") && q.query.labelSelector?.includes(LABEL.attempt));
    expect(listed.at(-1)?.query.labelSelector).toBe(`${LABEL.runId}=${plan.runId},${LABEL.attempt}=2`);
    c.server.releaseGarbageCollection();
    await waitFor(() => byAttempt("1").length === 0);
  });

  it("a native run's headless Service selects only the current attempt's pods", async () => {
    c = await cluster({ kubeflow: [], script: () => [{ run: true }, { fail: {} }] });
    const { record, plan } = await c.run({ distribute: "PYTORCH_DDP", workers: 2 });
    expect(record.state).toBe("failed");
    const selector = (n: string) => (c!.server.objects("Service")[0]!.spec as { selector: Record<string, string> }).selector[LABEL.attempt] === n;
    expect(selector("1")).toBe(true);
    await c.backend.rerun(plan.runId);
    expect(selector("2")).toBe(true);
  });

  it("a pod replaced under --retries: the replacement's exit code and log are the run's", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["try 1"] }, { fail: { exitCode: 5 } }, { run: true }, { log: ["try 2"] }, { succeed: true }] });
    const { record, logs } = await c.run({}, { retries: 1 });
    expect(record.state).toBe("succeeded");
    expect(record.exitCode).toBe(0);
    expect(logs.map((l) => l.text)).toEqual(["try 1", "try 2"]);
    const pods = c.server.objects("Pod");
    expect(pods.map((p) => (p.status as { phase: string }).phase).sort()).toEqual(["Failed", "Succeeded"]);
  });
});

describe("watches resumed after a gap", () => {
  it("a pod deleted while the watch was down is dropped when it resumes: the server's history sends DELETED, no relist needed", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    const first = c.server.objects("Pod")[0]!.metadata.name;
    const conn = await connect({ env: c.env, retry: FAST_RETRY });
    const ac = new AbortController();
    const stats: WatchStats = { lists: 0, watches: 0, reconnects: 0 };
    let seen: readonly K8sObject[] = [];
    const informer = inform({ api: conn.api, path: "/api/v1/namespaces/default/pods", labelSelector: `${LABEL.runId}=${plan.runId}`, signal: ac.signal, stats, onChange: (o) => (seen = o) });
    await waitFor(() => seen.some((p) => p.metadata.name === first) && c!.server.openStreams.watches === 1);
    // the connection breaks, and the next tries fail for a while; meanwhile the pod is deleted (and the Job controller replaces it)
    c.server.inject({ watch: true, path: "/pods", drop: "before", times: 2 });
    c.server.dropWatches();
    c.server.delete("Pod", "default", first, { gracePeriodSeconds: 0 });
    await waitFor(() => c!.server.faults[0]!.hits === 2 && c!.server.openStreams.watches === 1);
    const now = await waitFor(() => (seen.length === 1 && seen[0]!.metadata.name !== first ? seen : undefined));
    expect(now[0]!.metadata.labels?.[LABEL.runId]).toBe(plan.runId);
    expect(stats.lists).toBe(1);
    expect(stats.reconnects).toBeGreaterThanOrEqual(1);
    ac.abort();
    await informer;
  });
});

describe("cancel: the pods are stopped with time to upload", () => {
  it("the pod that uploads has a grace period for the uploader; cancel deletes in the background, never with gracePeriodSeconds 0", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    c.server.add({ apiVersion: "v1", kind: "Secret", metadata: { name: "s3-creds", namespace: "default" }, data: { AWS_ACCESS_KEY_ID: "eA==", AWS_SECRET_ACCESS_KEY: "eA==" } });
    const { plan, spec } = await c.plan({ outputs: { out_dir: "s3://k8s/out/" } }, { s3Secret: "s3-creds" });
    const podSpec = (plan.objects[0]!.spec as { template: { spec: { terminationGracePeriodSeconds?: number; containers: { name: string; command: string[] }[] } } }).template.spec;
    expect(podSpec.terminationGracePeriodSeconds).toBe(300);
    expect(podSpec.containers.map((x) => x.name)).toEqual(["train", "stage-out"]);
    expect(podSpec.containers[0]!.command.slice(0, 2)).toEqual(["sh", "-c"]);
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    await c.backend.cancel(plan.runId);
    const del = c.server.requests.find((q) => q.method === "DELETE" && q.path.endsWith(`/jobs/${plan.primary.name}`));
    expect(del?.body).toEqual({ kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" });
    // the pod terminates with its grace period (the kubelet sends SIGTERM; pod-scripts.test.ts runs what the containers do then)
    const terminating = await waitFor(() => c!.server.objects("Pod").find((p) => p.metadata.deletionTimestamp));
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(300);
    await waitFor(() => c!.server.objects("Pod").length === 0);
  });
});

/** Runs a container of a rendered pod here, with sh, as the kubelet would (its /aves2 a temp folder, `component` the storage CLI). */
function runContainer(container: { command: string[]; env?: { name: string; value?: string }[] }, podDir: string, env: Record<string, string>) {
  const bin = join(podDir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "component"), `#!/bin/sh\nexec ${process.execPath} ${join(REPO, "packages", "storage", "dist", "bin.js")} "$@"\n`, { mode: 0o755 });
  // what the kubelet does to a command: `$$` → `$`
  const argv = container.command.map((a) => a.replace(/\$\$/g, "$").split("/aves2/").join(`${podDir}/`));
  return spawnSync(argv[0]!, argv.slice(1), { env: { ...isolatedEnv(), ...env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
}

describe("metrics survive the log's rotation", () => {
  it("status reads the metrics from the uploaded events.jsonl when the rotated pod log no longer has them", async () => {
    s3 = await startS3Server({ buckets: ["k8s"] });
    const lines = Array.from({ length: 12 }, (_, i) => [`epoch ${i + 1} ${"x".repeat(60)}`, event({ type: "metric", epoch: i + 1, epochs: 12, loss: 1 / (i + 1) })]).flat();
    c = await cluster({
      logMaxBytes: 600,
      s3: { endpoint: s3.endpoint, region: "us-east-1", pathStyle: true },
      s3Env: s3.env(),
      script: () => [{ run: true }, { log: lines }, { hold: true }, { succeed: true }],
    });
    c.server.add({ apiVersion: "v1", kind: "Secret", metadata: { name: "s3-creds", namespace: "default" }, data: { AWS_ACCESS_KEY_ID: "eA==", AWS_SECRET_ACCESS_KEY: "eA==" } });
    const { plan, spec } = await c.plan({ outputs: { out_dir: "s3://k8s/out/" } }, { s3Secret: "s3-creds" });
    expect(plan.eventsUri).toBe(`s3://k8s/logs/${plan.runId}/events.jsonl`);
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    const pod = c.server.objects("Pod")[0]!;
    // the kubelet rotated the log: the API serves its tail only
    const served = c.server.printed("default", pod.metadata.name, "train");
    expect(served).not.toContain(lines[1]);
    expect(served).toContain(lines[lines.length - 1]);

    // the pod's uploader (rendered, run here with sh against the S3 test server) saves the log folder, events.jsonl included
    const podDir = mkdtempSync(join(tmpdir(), "aves2-pod-"));
    mkdirSync(join(podDir, "run", "logs"), { recursive: true });
    mkdirSync(join(podDir, "output", "out_dir"), { recursive: true });
    writeFileSync(join(podDir, "run", "logs", "train.log"), `${lines.join("\n")}\n`);
    writeFileSync(join(podDir, "output", "out_dir", "model.txt"), "weights");
    writeFileSync(join(podDir, "run", "exit-code"), "0\n");
    const uploader = (plan as KubernetesPlan & { objects: { spec: { template: { spec: { containers: { name: string; command: string[] }[] } } } }[] }).objects[0]!.spec.template.spec.containers.find((x) => x.name === "stage-out")!;
    const up = runContainer(uploader, podDir, { ...s3.env(), AVES2_S3_PATH_STYLE: "true", HOME: podDir });
    expect(up.status, up.stderr).toBe(0);

    c.server.resume(plan.primary.name);
    const r = await waitFor(async () => {
      const s = await c!.backend.status(plan.runId);
      return s.state === "succeeded" ? s : undefined;
    });
    expect(r.metrics.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe("permissions: one clear message naming what the role lacks", () => {
  it("no 'watch' on pods: the run is followed by listing, and said so once", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["hello"] }, { succeed: true }] });
    c.server.forbid({ verb: "watch", resource: "pods" });
    const { record, logs } = await c.run();
    expect(record.state).toBe("succeeded");
    const notes = logs.filter((l) => l.stream === "stderr").map((l) => l.text);
    expect(notes).toEqual(["your role cannot watch pods in namespace default (403 from the API server): ask for the 'watch' verb on 'pods'; following it by listing instead"]);
    expect(record.details.warnings).toEqual(notes);
    expect(logs.filter((l) => l.stream === "stdout").map((l) => l.text)).toEqual(["hello"]);
  });

  it("no 'list' on pods either: following the run is an error that names the verb", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    c.server.forbid({ verb: "watch", resource: "pods" });
    c.server.forbid({ verb: "list", resource: "pods" });
    await expect(c.run()).rejects.toThrow(/^following \S+: your role cannot list pods in namespace default \(403 from the API server\): ask for the 'list' verb on 'pods'$/);
  });

  it("no 'get' on pods/log: the run is followed without its log and says why; `logs` is an error naming pods/log", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["secret log"] }, { succeed: true }] });
    c.server.forbid({ verb: "get", resource: "pods/log" });
    const { record, logs } = await c.run();
    expect(record.state).toBe("succeeded");
    expect(logs.map((l) => `${l.stream} ${l.text}`)).toEqual(["stderr your role cannot get pods/log in namespace default (403 from the API server): ask for the 'get' verb on 'pods/log'; the run goes on without its log here"]);
    const got: LogLine[] = [];
    await expect(c.backend.logs(record.runId, { follow: false, onLog: (l) => got.push(l) })).rejects.toThrow(
      `logs of ${record.runId}: your role cannot get pods/log in namespace default (403 from the API server): ask for the 'get' verb on 'pods/log'`,
    );
  });

  it("no 'create' on jobs: submit says so, naming the API group", async () => {
    c = await cluster();
    c.server.forbid({ verb: "create", resource: "jobs" });
    const { plan, spec } = await c.plan();
    await expect(c.backend.submit(plan, spec, { detach: true })).rejects.toThrow(`create Job ${plan.primary.name}: your role cannot create jobs in namespace default (403 from the API server): ask for the 'create' verb on 'jobs' of API group batch`);
  });

  it("no 'list' on events while pods are refused: the timeout's message says the events could not be read, and why", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.add(quota("1"));
    c.server.forbid({ verb: "list", resource: "events" });
    const { record } = await c.run({}, { scheduleTimeoutSeconds: 1 });
    expect(record.state).toBe("failed");
    expect(record.reason).toBe(
      "1 of 1 replica not scheduled within 1s (--schedule-timeout): worker-0: no pod yet, and the events that would say why cannot be read: your role cannot list events in namespace default (403 from the API server): ask for the 'list' verb on 'events'; its objects are deleted",
    );
  });
});
