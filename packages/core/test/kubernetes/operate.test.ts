import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { LogLine } from "../../src/backends/backend.js";
import { KubernetesBackend } from "../../src/backends/kubernetes/index.js";
import { LABEL } from "../../src/backends/kubernetes/names.js";
import { DEFAULT_S3 } from "@aves2/storage/config";
import { anyDistribute, type Cluster, cluster } from "./test-cluster.js";

let c: Cluster | undefined;
afterEach(async () => {
  await c?.server.close();
  c = undefined;
});

const event = (o: Record<string, unknown>) => `AVES2_EVENT ${JSON.stringify(o)}`;
const posts = (cl: Cluster) => cl.server.requests.filter((r) => r.method === "POST").map((r) => r.path);

describe("run: submit, follow, record", () => {
  it("pending -> running -> succeeded, with progress and metrics from AVES2_EVENT lines", async () => {
    c = await cluster({
      script: () => [
        { run: true },
        { log: ["epoch 1/2", event({ type: "metric", epoch: 1, epochs: 2, loss: 0.7 })] },
        { log: ["epoch 2/2", event({ type: "metric", epoch: 2, epochs: 2, loss: 0.4 }), event({ type: "summary", metrics: { top1: 0.91 } })] },
        { succeed: true },
      ],
    });
    const { record, logs, events, plan } = await c.run();
    expect(record.state).toBe("succeeded");
    expect(logs.map((l) => `[${l.replica}] ${l.text}`)).toEqual(["[worker-0] epoch 1/2", "[worker-0] epoch 2/2"]);
    expect(events.map((e) => e.type)).toEqual(["metric", "metric", "summary"]);
    expect(record.metrics.epochs).toEqual([
      { epoch: 1, epochs: 2, loss: 0.7 },
      { epoch: 2, epochs: 2, loss: 0.4 },
    ]);
    expect(record.metrics.summary).toEqual({ top1: 0.91 });
    expect(record.exitCode).toBe(0);
    expect(record.startedAt).toBeTruthy();
    expect(record.endedAt).toBeTruthy();
    const dir = join(c.runsDir, plan.runId);
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).state).toBe("succeeded");
    // the log is kept beside the record, without the event lines
    expect(readFileSync(join(dir, "logs", "worker-0.log"), "utf8")).toBe("epoch 1/2\nepoch 2/2\n");
    // the objects are the validated ones, sent with the credentials of the kubeconfig
    expect(posts(c)).toEqual(["/apis/batch/v1/namespaces/default/jobs"]);
    expect(c.server.requests.every((r) => r.authorization === `Bearer ${c!.server.token}`)).toBe(true);
    const job = c.server.get("Job", "default", plan.primary.name)!;
    expect(job.metadata.labels).toMatchObject({ [LABEL.runId]: plan.runId, [LABEL.primary]: "true" });
  });

  it("a failed run says why: BackoffLimitExceeded, OOMKilled, the exit code", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["loading"] }, { fail: { oom: true } }] });
    const { record } = await c.run();
    expect(record.state).toBe("failed");
    expect(record.reason).toContain("BackoffLimitExceeded");
    expect(record.reason).toContain("worker-0: OOMKilled (exit 137)");
    expect(record.reason).toContain("raise --resource worker.mem");
    expect(record.exitCode).toBe(137);
  });

  it("distributed (PyTorchJob): every replica's log with its prefix", async () => {
    c = await cluster({
      script: () => [{ run: true }, { log: ["rank 0 up"], replica: "master-0" }, { log: ["rank 1 up"], replica: "worker-0" }, { log: [event({ type: "summary", metrics: { top1: 0.8 } })], replica: "master-0" }, { succeed: true }],
    });
    const { record, logs, plan } = await c.run({ distribute: "PYTORCH_DDP", workers: 2 });
    expect(plan.primary.kind).toBe("PyTorchJob");
    expect(plan.target.engineWhy).toContain("the cluster serves PyTorchJob");
    expect(record.state).toBe("succeeded");
    expect(logs.map((l) => `[${l.replica}] ${l.text}`).sort()).toEqual(["[master-0] rank 0 up", "[worker-0] rank 1 up"]);
    expect(record.metrics.summary).toEqual({ top1: 0.8 });
  });

  it("TF_PS without Kubeflow: worker and ps Jobs; the run ends with the workers, and the parameter servers are deleted", async () => {
    c = await cluster({
      kubeflow: [],
      script: (job) =>
        job.metadata.labels?.[LABEL.role] === "ps"
          ? [{ run: true }, { log: ["ps serving"] }, { hold: true }]
          : [{ run: true }, { log: ["step 1"], replica: "worker-0" }, { log: ["step 1"], replica: "worker-1" }, { succeed: true }],
    });
    const { record, logs, plan } = await c.run({ distribute: "TF_PS", workers: 2, resources: { ps: { count: 1, cpu: 1, mem: 1 } } }, {}, anyDistribute);
    expect(plan.target.engine).toBe("native");
    expect(record.state).toBe("succeeded");
    expect(logs.map((l) => `[${l.replica}] ${l.text}`).sort()).toEqual(["[ps-0] ps serving", "[worker-0] step 1", "[worker-1] step 1"]);
    // the parameter servers never end by themselves: deleted once the workers are done (their pods by the garbage collector, later)
    expect(c.server.objects("Job").map((j) => j.metadata.name)).toEqual([plan.primary.name]);
    await waitFor(() => !c!.server.objects("Pod").some((p) => p.metadata.labels?.[LABEL.role] === "ps"));
  });

  it("TF_PS: a failed parameter server fails the run", async () => {
    c = await cluster({
      kubeflow: [],
      script: (job) => (job.metadata.labels?.[LABEL.role] === "ps" ? [{ run: true }, { fail: { exitCode: 2 } }] : [{ run: true }, { hold: true }, { succeed: true }]),
    });
    const { record } = await c.run({ distribute: "TF_PS", workers: 1, resources: { ps: { count: 1, cpu: 1, mem: 1 } } }, {}, anyDistribute);
    expect(record.state).toBe("failed");
    expect(record.reason).toContain("ps: BackoffLimitExceeded");
  });

  it("HOROVOD on Kubeflow: an MPIJob, whose launcher's log and exit are the run's", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["mpirun: 2 ranks", event({ type: "summary", metrics: { top1: 0.7 } })], replica: "launcher-0" }, { succeed: true }] });
    const { record, logs, plan } = await c.run({ distribute: "HOROVOD", workers: 2 }, {}, anyDistribute);
    expect(plan.primary.kind).toBe("MPIJob");
    expect(c.server.requests.some((r) => r.method === "POST" && r.path === "/apis/kubeflow.org/v2beta1/namespaces/default/mpijobs")).toBe(true);
    expect(record.state).toBe("succeeded");
    expect(logs.map((l) => `[${l.replica}] ${l.text}`)).toContain("[launcher-0] mpirun: 2 ranks");
    expect(record.metrics.summary).toEqual({ top1: 0.7 });
  });

  it("a list that already shows the job ended (items without kind) ends the run", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }], stepMs: 1 });
    // the watch breaks at once, every time, for a while: the state comes from the lists
    c.server.inject({ watch: true, drop: "before", times: 4 });
    const { record } = await c.run();
    expect(record.state).toBe("succeeded");
  });
});

describe("status, detach, logs, cancel, list, rerun", () => {
  it("status maps pod and job states to the reason a user needs", async () => {
    c = await cluster({
      script: () => [
        { unschedulable: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu." },
        { hold: true },
        { waiting: "ImagePullBackOff", message: 'Back-off pulling image "python:3.12-slim"' },
        { hold: true },
        { run: true },
        { log: [event({ type: "metric", epoch: 1, epochs: 1, val_accuracy: 0.5 })] },
        { hold: true },
        { fail: { reason: "BackoffLimitExceeded", exitCode: 3 } },
      ],
    });
    const { plan, spec } = await c.plan();
    const handle = await c.backend.submit(plan, spec, { detach: true });
    expect((await handle.wait()).state).toBe("pending");
    const job = plan.primary.name;
    const held = async () => waitFor(() => c!.server.isHeld(job));

    await held();
    let r = await c.backend.status(plan.runId);
    expect(r.state).toBe("pending");
    expect(r.reason).toBe("worker-0: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
    c.server.resume(job);

    await held();
    r = await c.backend.status(plan.runId);
    expect(r.state).toBe("pending");
    expect(r.reason).toMatch(/^worker-0 \(train\): ImagePullBackOff: Back-off pulling image/);
    c.server.resume(job);

    await held();
    r = await c.backend.status(plan.runId);
    expect(r.state).toBe("running");
    expect(r.reason).toBeUndefined();
    // a detached run has nobody recording metrics: status reads them from the log
    expect(r.metrics.epochs).toEqual([{ epoch: 1, epochs: 1, val_accuracy: 0.5 }]);
    c.server.resume(job);

    r = await waitFor(async () => {
      const s = await c!.backend.status(plan.runId);
      return s.state === "failed" ? s : undefined;
    });
    expect(r.reason).toContain("BackoffLimitExceeded: Job has reached the specified backoff limit");
    expect(r.reason).toContain("worker-0: exited with code 3");
    expect(r.exitCode).toBe(3);
    // an ended run is answered from its record
    const before = c.server.requests.length;
    expect((await c.backend.status(plan.runId)).state).toBe("failed");
    expect(c.server.requests.length).toBe(before);
  });

  it("logs -f follows through a restart and a lost connection, without a line twice", async () => {
    c = await cluster({
      script: () => [{ run: true }, { log: ["a", "b"] }, { hold: true }, { log: ["c"] }, { restart: "worker-0" }, { log: ["d"] }, { hold: true }, { log: ["e"] }, { succeed: true }],
    });
    const { plan, spec } = await c.plan();
    await c.backend.submit(plan, spec, { detach: true });
    const job = plan.primary.name;
    const lines: LogLine[] = [];
    const following = c.backend.logs(plan.runId, { follow: true, onLog: (l) => lines.push(l) });
    await waitFor(() => lines.length >= 2 && c!.server.openStreams.logs > 0);
    expect(c.server.dropLogStreams()).toBe(1);
    c.server.resume(job);
    await waitFor(() => lines.length >= 4 && c!.server.openStreams.logs > 0);
    c.server.dropLogStreams();
    c.server.resume(job);
    await following;
    expect(lines.map((l) => `[${l.replica}] ${l.text}`)).toEqual(["[worker-0] a", "[worker-0] b", "[worker-0] c", "[worker-0] d", "[worker-0] e"]);
    // resumed from the last line's second, never from the start
    const resumed = c.server.requests.filter((r) => r.path.endsWith("/log") && r.query.sinceTime);
    expect(resumed.length).toBeGreaterThan(0);
    // without -f: what the container printed (its current run)
    const again: string[] = [];
    await c.backend.logs(plan.runId, { follow: false, onLog: (l) => again.push(l.text) });
    expect(again).toEqual(["d", "e"]);
  });

  it("cancel deletes the job and everything it owns (pods, the created Secret)", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["working"] }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan({ inputs: { extra_dir: "s3://bucket/extra/" } }, { createSecret: true });
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    expect(c.server.objects("Pod", "default")).toHaveLength(1);
    const secret = c.server.objects("Secret", "default")[0]!;
    expect(secret.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Job", name: plan.primary.name });
    expect(Object.keys(secret.data as object).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);

    const r = await c.backend.cancel(plan.runId);
    expect(r.state).toBe("canceled");
    expect(c.server.objects("Job", "default")).toEqual([]);
    // what the job owns goes with it, as the garbage collector gets to it
    await waitFor(() => c!.server.objects("Pod", "default").length === 0 && c!.server.objects("Secret", "default").length === 0);
    const del = c.server.requests.find((q) => q.method === "DELETE" && q.path.endsWith(`/jobs/${plan.primary.name}`));
    expect(del?.body).toMatchObject({ propagationPolicy: "Background" });
    // the secret's value is in no file of the run
    const record = readFileSync(join(c.runsDir, plan.runId, "run.json"), "utf8");
    expect(record).not.toContain("s3-secret-value-123");
    expect(record).not.toContain(Buffer.from("s3-secret-value-123").toString("base64"));
  });

  it("the namespace comes from the kubeconfig's context; logs of a run whose pods are gone are the ones saved", async () => {
    c = await cluster({ namespace: "team-a", namespaces: ["default", "team-a"], script: () => [{ run: true }, { log: ["saved line"] }, { succeed: true }] });
    const { record, plan } = await c.run();
    expect(plan.target).toMatchObject({ namespace: "team-a", namespaceFrom: "context test-cluster" });
    expect(record.state).toBe("succeeded");
    expect(c.server.objects("Job", "team-a")).toHaveLength(1);
    // the job expires (ttlSecondsAfterFinished), its pods with it
    await fetch(`${c.server.url}/apis/batch/v1/namespaces/team-a/jobs/${plan.primary.name}`, { method: "DELETE", headers: { Authorization: `Bearer ${c.server.token}` }, body: JSON.stringify({ propagationPolicy: "Background" }) });
    await waitFor(() => c!.server.objects("Pod").length === 0);
    const lines: string[] = [];
    await c.backend.logs(record.runId, { follow: true, onLog: (l) => lines.push(l.text) });
    expect(lines).toEqual(["saved line"]);
    expect((await c.backend.status(record.runId)).state).toBe("succeeded");
  });

  it("run (attached) canceled: the record says canceled and the cluster is clean", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["step"] }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    const handle = await c.backend.submit(plan, spec, {});
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    await handle.cancel();
    const r = await handle.wait();
    expect(r.state).toBe("canceled");
    expect(c.server.objects("Job")).toEqual([]);
  });

  it("run (attached) canceled from another process ends as canceled, not failed", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    const handle = await c.backend.submit(plan, spec, {});
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    const other = new KubernetesBackend({ runsDir: c.runsDir, libs: [], s3: DEFAULT_S3, env: c.env });
    expect((await other.cancel(plan.runId)).state).toBe("canceled");
    const r = await handle.wait();
    expect(r.state).toBe("canceled");
    expect(r.reason).toBe("canceled by the user");
  });

  it("list finds runs by label: recorded here, and submitted from elsewhere", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    const { record } = await c.run();
    c.server.add({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "other-run", namespace: "default", labels: { [LABEL.managedBy]: "aves2", [LABEL.primary]: "true", [LABEL.runId]: "other-run", [LABEL.component]: "mobilenet-v2", [LABEL.version]: "1.0.0" } },
      spec: {},
      status: { active: 1, conditions: [] },
    });
    c.server.add({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "not-ours", namespace: "default", labels: { app: "x" } }, spec: {} });
    const runs = await c.backend.list();
    expect(runs.map((r) => [r.runId, r.component.name, r.state])).toEqual(
      expect.arrayContaining([
        [record.runId, "tiny", "succeeded"],
        ["other-run", "mobilenet-v2", "pending"],
      ]),
    );
    expect(runs).toHaveLength(2);
    const q = c.server.requests.find((r) => r.path === "/apis/batch/v1/namespaces/default/jobs" && r.method === "GET" && !r.query.watch && r.query.labelSelector?.includes(LABEL.managedBy));
    expect(q?.query.labelSelector).toBe(`${LABEL.managedBy}=aves2,${LABEL.primary}=true`);
  });

  it("rerun submits the recorded objects again under the same run id", async () => {
    let attempt = 0;
    c = await cluster({ script: () => (++attempt === 1 ? [{ run: true }, { log: ["first"] }, { fail: {} }] : [{ run: true }, { log: ["second"] }, { succeed: true }]) });
    const first = await c.run();
    expect(first.record.state).toBe("failed");
    const again = await c.backend.rerun(first.record.runId);
    expect(again).toMatchObject({ runId: first.record.runId, state: "pending", details: { attempts: 2 } });
    expect(again.reason).toBeUndefined();
    const lines: string[] = [];
    await c.backend.logs(again.runId, { follow: true, onLog: (l) => lines.push(l.text) });
    expect(lines).toEqual(["second"]);
    expect((await c.backend.status(again.runId)).state).toBe("succeeded");
    expect(c.server.objects("Job")).toHaveLength(1);
  });

  it("rerun of a run that has not ended is refused", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    await expect(c.backend.rerun(plan.runId)).rejects.toThrow(/is still running/);
  });
});

describe("resilience", () => {
  it("a watch answered 410 Gone lists again, and the run still ends", async () => {
    c = await cluster({ script: () => [{ run: true }, { log: ["x"] }, { hold: true }, { log: ["y"] }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    const handle = await c.backend.submit(plan, spec, {});
    await waitFor(() => c!.server.isHeld(plan.primary.name) && c!.server.openStreams.watches >= 2);
    const lists = c.backend.watchStats.lists;
    c.server.expireWatches();
    c.server.resume(plan.primary.name);
    const r = await handle.wait();
    expect(r.state).toBe("succeeded");
    expect(c.backend.watchStats.lists).toBeGreaterThanOrEqual(lists + 2);
  });

  it("a watch request answered HTTP 410 (not an ERROR event) lists again too", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.inject({ watch: true, path: "/pods", status: 410, message: "too old resource version" });
    const { record } = await c.run();
    expect(record.state).toBe("succeeded");
    expect(c.server.faults[0]!.hits).toBe(1);
    expect(c.server.requests.filter((r) => r.path.endsWith("/pods") && !r.query.watch).length).toBeGreaterThanOrEqual(2);
  });

  it("a broken watch reconnects from its resourceVersion", async () => {
    c = await cluster({ script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan();
    const handle = await c.backend.submit(plan, spec, {});
    await waitFor(() => c!.server.isHeld(plan.primary.name) && c!.server.openStreams.watches >= 2);
    const lists = c.backend.watchStats.lists;
    expect(c.server.dropWatches()).toBe(2);
    c.server.resume(plan.primary.name);
    expect((await handle.wait()).state).toBe("succeeded");
    expect(c.backend.watchStats.reconnects).toBeGreaterThanOrEqual(2);
    expect(c.backend.watchStats.lists).toBe(lists);
    const rewatch = c.server.requests.filter((r) => r.query.watch && Number(r.query.resourceVersion) > 0);
    expect(rewatch.length).toBeGreaterThanOrEqual(4);
  });

  it("429 with Retry-After is retried after the time asked; 5xx is retried with backoff", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.inject({ method: "POST", path: "/jobs", status: 429, retryAfter: 1, message: "too many requests" });
    c.server.inject({ method: "GET", path: "/namespaces/default", status: 503 });
    c.server.inject({ method: "GET", path: "/api/v1/nodes", status: 500, times: 2 });
    const t0 = Date.now();
    const { record } = await c.run();
    expect(record.state).toBe("succeeded");
    expect(c.server.faults.map((f) => f.hits)).toEqual([1, 1, 2]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(c.server.objects("Job")).toHaveLength(1);
  });

  it("gives up after the retries with a clear error, and creates nothing", async () => {
    c = await cluster();
    c.server.inject({ method: "POST", path: "/jobs", status: 500, times: 100, message: "etcdserver: request timed out" });
    const { plan, spec } = await c.plan();
    await expect(c.backend.submit(plan, spec, { detach: true })).rejects.toThrow(/etcdserver: request timed out \(500 InternalError\)/);
    expect(existsSync(join(c.runsDir, plan.runId))).toBe(false);
  });

  it("a create whose answer was lost is retried, and the 409 for our own object counts as done", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.inject({ method: "POST", path: "/jobs", drop: "after" });
    const { record } = await c.run();
    expect(record.state).toBe("succeeded");
    expect(posts(c)).toEqual(["/apis/batch/v1/namespaces/default/jobs", "/apis/batch/v1/namespaces/default/jobs"]);
    expect(c.server.objects("Job")).toHaveLength(1);
  });

  it("a 409 for an object that is not ours is an error", async () => {
    c = await cluster();
    const { plan, spec } = await c.plan();
    c.server.add({ apiVersion: "batch/v1", kind: "Job", metadata: { name: plan.primary.name, namespace: "default" }, spec: {} });
    await expect(c.backend.submit(plan, spec, { detach: true })).rejects.toThrow(`Job ${plan.primary.name} already exists in namespace default and is not part of this run`);
  });

  it("a submit that fails half-way deletes what it created; a 422 names the field", async () => {
    c = await cluster();
    c.server.inject({ method: "POST", path: "/secrets", status: 422, causes: [{ field: "metadata.annotations", message: "Too long: must have at most 262144 bytes" }] });
    const { plan, spec } = await c.plan({ inputs: { extra_dir: "s3://bucket/extra/" } }, { createSecret: true });
    expect(plan.objects.map((o) => o.kind)).toEqual(["Job", "Secret"]);
    const err = await c.backend.submit(plan, spec, { detach: true }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("metadata.annotations: Too long: must have at most 262144 bytes");
    expect(err?.message).toContain(`create Secret ${plan.secrets.created[0]}`);
    expect(c.server.objects("Job")).toEqual([]);
    expect(c.server.objects("Secret")).toEqual([]);
    expect(c.server.requests.some((r) => r.method === "DELETE" && r.path.endsWith(`/jobs/${plan.primary.name}`))).toBe(true);
    expect(existsSync(join(c.runsDir, plan.runId))).toBe(false);
  });

  it("the test server's admission (schemas, not the backend's validator): an invalid object gets a 422 naming the field", async () => {
    c = await cluster();
    const { plan } = await c.plan();
    const job = JSON.parse(JSON.stringify(plan.objects[0])) as { spec: { template: { spec: { containers: { name: string }[] } } } };
    job.spec.template.spec.containers[0]!.name = "Bad_Name";
    const res = await fetch(`${c.server.url}/apis/batch/v1/namespaces/default/jobs`, { method: "POST", headers: { Authorization: `Bearer ${c.server.token}`, "Content-Type": "application/json" }, body: JSON.stringify(job) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { reason: string; details: { causes: { field: string; message: string }[] } };
    expect(body.reason).toBe("Invalid");
    expect(body.details.causes).toContainEqual(expect.objectContaining({ field: "spec.template.spec.containers[0].name" }));
    expect(c.server.objects("Job")).toEqual([]);
  });
});

describe("preflight", () => {
  const nothingCreated = (cl: Cluster) => expect(posts(cl)).toEqual([]);

  it("a missing namespace", async () => {
    c = await cluster();
    const { plan, spec } = await c.plan({ namespace: "team-x" });
    await expect(c.backend.submit(plan, spec, { detach: true })).rejects.toThrow('namespace "team-x" does not exist');
    nothingCreated(c);
  });

  it("a missing CRD (the training operator is not installed)", async () => {
    c = await cluster({ kubeflow: ["TFJob"] });
    const { plan, spec } = await c.plan({ distribute: "PYTORCH_DDP", workers: 2 }, { engine: "kubeflow" });
    await expect(c.backend.submit(plan, spec, { detach: true })).rejects.toThrow(/the cluster does not serve PyTorchJob \(kubeflow.org\/v1\)[\s\S]*--k8s-engine native/);
    nothingCreated(c);
  });

  it("without the CRD, the engine is native (Indexed Jobs and a headless Service), and cancel deletes them all", async () => {
    c = await cluster({ kubeflow: [], script: () => [{ run: true }, { hold: true }, { succeed: true }] });
    const { plan, spec } = await c.plan({ distribute: "PYTORCH_DDP", workers: 2 });
    expect(plan.target.engine).toBe("native");
    expect(plan.target.engineWhy).toContain("does not serve PyTorchJob");
    await c.backend.submit(plan, spec, { detach: true });
    await waitFor(() => c!.server.isHeld(plan.primary.name));
    expect(c.server.objects("Pod")).toHaveLength(2);
    expect(c.server.objects("Service")).toHaveLength(1);
    await c.backend.cancel(plan.runId);
    expect([...c.server.objects("Job"), ...c.server.objects("Service")]).toEqual([]);
    await waitFor(() => c!.server.objects("Pod").length === 0);
  });

  it("a missing PVC and a missing Secret, both at once; --no-preflight skips the checks", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    const { plan, spec } = await c.plan({ inputs: { data_dir: "pvc://datasets/digits", extra_dir: "s3://bucket/x/" } }, { s3Secret: "team-s3" });
    const err = await c.backend.submit(plan, spec, { detach: true }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('PersistentVolumeClaim "datasets" does not exist in namespace default');
    expect(err?.message).toContain('Secret "team-s3" does not exist in namespace default');
    nothingCreated(c);

    c.server.add({ apiVersion: "v1", kind: "Secret", metadata: { name: "team-s3", namespace: "default" }, data: { AWS_ACCESS_KEY_ID: "eA==" } });
    c.server.add({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "datasets", namespace: "default" }, status: { phase: "Bound" } });
    const again = await c.plan({ inputs: { data_dir: "pvc://datasets/digits", extra_dir: "s3://bucket/x/" } }, { s3Secret: "team-s3" });
    await expect(c.backend.submit(again.plan, again.spec, { detach: true })).rejects.toThrow('Secret "team-s3" has no AWS_SECRET_ACCESS_KEY');

    const skipped = await c.plan({ inputs: { data_dir: "pvc://missing/x" } }, { preflight: false });
    const h = await c.backend.submit(skipped.plan, skipped.spec, { detach: true });
    expect((await h.wait()).details.preflight).toEqual(["preflight skipped (--no-preflight)"]);
    expect(c.server.objects("Job")).toHaveLength(1);
  });

  it("checks the user may not make (403) are skipped and said so; bad credentials (401) are a clear error", async () => {
    c = await cluster({ script: () => [{ run: true }, { succeed: true }] });
    c.server.inject({ method: "GET", path: "/api/v1/nodes", status: 403, message: 'nodes is forbidden: User "ada" cannot list resource "nodes"' });
    const { plan, spec } = await c.plan();
    const h = await c.backend.submit(plan, spec, { detach: true });
    expect((await h.wait()).details.preflight).toEqual(["node capacity: not allowed to check"]);

    const bad = new KubernetesBackend({ runsDir: c.runsDir, libs: [], s3: DEFAULT_S3, env: { ...c.env, KUBECONFIG: c.server.writeKubeconfig(c.dir, { token: "expired" }) } });
    await expect(bad.status(plan.runId)).rejects.toThrow(/the cluster did not accept the credentials \(401\)[\s\S]*log in again/);
  });

  it("not enough node capacity for every replica at once", async () => {
    c = await cluster({ nodes: [{ name: "small-1", cpu: "4", memory: "16Gi" }, { name: "small-2", cpu: "3900m", memory: "15Gi" }] });
    const big = await c.plan({ resources: { worker: { cpu: 8 } } });
    await expect(c.backend.submit(big.plan, big.spec, { detach: true })).rejects.toThrow("no node can hold worker-0 (cpu 8, memory 4Gi, gpu 0); the largest node, small-1, has cpu 4, memory 16Gi, gpu 0 allocatable");
    const many = await c.plan({ distribute: "PYTORCH_DDP", workers: 4, resources: { worker: { cpu: 2 } } });
    await expect(c.backend.submit(many.plan, many.spec, { detach: true })).rejects.toThrow("the cluster cannot hold all 4 pods at once");
    const gpu = await c.plan({ resources: { worker: { gpu: 1 } } });
    await expect(c.backend.submit(gpu.plan, gpu.spec, { detach: true })).rejects.toThrow(/no node can hold worker-0 .*gpu 1/);
    nothingCreated(c);
  });
});
