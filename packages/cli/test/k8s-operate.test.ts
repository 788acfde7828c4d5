import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type K8sTestServer, kubernetesAdmission, startK8sTestServer } from "@aves2/testkit";
import type { K8sJobStep, K8sObj } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { collectOutput, runCli, startCli, tempDir, waitFor } from "./cli.js";

/** The Kubernetes API test server's admission: testkit's, from the Kubernetes and Kubeflow schemas, never the backend's own validator. */
const admission = kubernetesAdmission;

let server: K8sTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const event = (o: Record<string, unknown>) => `AVES2_EVENT ${JSON.stringify(o)}`;
const S3_SECRET = "s3-secret-value-42";

async function setup(opts: Parameters<typeof startK8sTestServer>[0] = {}) {
  server = await startK8sTestServer({ validate: admission, stepMs: 30, ...opts });
  const dir = tempDir("aves2-k8s-cli-");
  const runs = join(dir, "runs");
  const env = {
    HOME: dir,
    KUBECONFIG: server.writeKubeconfig(dir),
    AVES2_RUNS_DIR: runs,
    AVES2_POLL_INTERVAL_MS: "50",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: S3_SECRET,
    CI: "1",
  };
  return { dir, runs, env };
}

/** The echo test component on the cluster: two replicas (PyTorchJob master + worker). */
const DDP = ["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--staging-image", "aves2/component-staging:test", "--distribute", "PYTORCH_DDP", "--workers", "2"];

describe("component run --backend kubernetes, against the Kubernetes API test server", () => {
  it("run waits, streams every replica's log with its prefix, and records the metrics", async () => {
    const { runs, env } = await setup({
      script: () => [
        { run: true },
        { log: ["rank 0 starting"], replica: "master-0" },
        { log: ["rank 1 starting"], replica: "worker-0" },
        { log: [event({ type: "metric", epoch: 1, epochs: 1, loss: 0.25 }), event({ type: "summary", metrics: { top1: 0.875 } })], replica: "master-0" },
        { succeed: true },
      ],
    });
    const r = await runCli(DDP, { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[master-0] rank 0 starting\n");
    expect(r.stdout).toContain("[worker-0] rank 1 starting\n");
    expect(r.stdout).not.toContain("AVES2_EVENT");
    expect(r.stdout).toMatch(/✓ succeeded in [\d.]+m?s {2}echo-\d{8}-\d{6}-[a-z0-9]{4}/);
    expect(r.stdout).toContain("metrics: top1=0.875");
    const runId = /run (echo-\S+): echo/.exec(r.stdout)![1]!;
    const record = JSON.parse(readFileSync(join(runs, runId, "run.json"), "utf8"));
    expect(record).toMatchObject({ state: "succeeded", backend: "kubernetes", metrics: { epochs: [{ epoch: 1, epochs: 1, loss: 0.25 }], summary: { top1: 0.875 } }, details: { namespace: "default", engine: "kubeflow" } });
    expect(server!.objects("PyTorchJob")).toHaveLength(1);
  });

  it("a failed run exits 1 with the reason", async () => {
    const { env } = await setup({ script: () => [{ run: true }, { fail: { oom: true }, }] });
    const r = await runCli(["run", "echo", "--backend", "kubernetes", "--image", "node:20-slim"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ failed");
    expect(r.stdout).toContain("worker-0: OOMKilled (exit 137)");
  });

  it("--detach, status, logs -f through a restart and a lost connection, runs, rerun, cancel", async () => {
    let attempt = 0;
    const { env } = await setup({
      script: () =>
        ++attempt === 1
          ? [
              { run: true },
              { log: ["one", "two"], replica: "master-0" },
              { hold: true },
              { log: ["three"], replica: "master-0" },
              { restart: "master-0" },
              { log: ["four"], replica: "master-0" },
              { log: ["side"], replica: "worker-0" },
              { succeed: true },
            ]
          : [{ run: true }, { hold: true }, { succeed: true }],
    });
    const submit = await runCli([...DDP, "--detach"], { env });
    expect(submit.stderr).toBe("");
    expect(submit.code).toBe(0);
    const runId = submit.stdout.trim();
    expect(runId).toMatch(/^echo-\d{8}-\d{6}-[a-z0-9]{4}$/);
    const job = server!.objects("PyTorchJob")[0]!.metadata.name;
    await waitFor(() => server!.isHeld(job));

    const status = await runCli(["status", runId], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${runId}  running`);
    expect(status.stdout).toContain(`Kubernetes: PyTorchJob ${job}   namespace: default   context: test-cluster`);

    const follower = startCli(["logs", runId, "-f"], { env });
    const done = collectOutput(follower);
    let seen = "";
    follower.stdout!.on("data", (d) => (seen += d));
    await waitFor(() => seen.includes("[master-0] two") && server!.openStreams.logs >= 2);
    expect(server!.dropLogStreams()).toBeGreaterThanOrEqual(2);
    server!.resume(job);
    const logs = await done;
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("[master-0]"))).toEqual(["[master-0] one", "[master-0] two", "[master-0] three", "[master-0] four"]);
    expect(lines.filter((l) => l.startsWith("[worker-0]"))).toEqual(["[worker-0] side"]);
    expect(lines).toHaveLength(5);

    const list = await runCli(["runs", "--backend", "kubernetes"], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${runId}\\s+echo@\\S+\\s+succeeded\\s`, "m"));

    const rerun = await runCli(["rerun", runId], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toBe(`${runId}: pending (resubmitted to namespace default as attempt 2)   logs: component logs ${runId} -f\n`);
    await waitFor(() => server!.isHeld(job));

    const cancel = await runCli(["cancel", runId], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`${runId}: canceled`);
    expect(server!.objects("PyTorchJob")).toEqual([]);
    // the pods go as the garbage collector gets to them
    await waitFor(() => server!.objects("Pod").length === 0);
    for (const t of [submit.stdout, status.stdout, logs.stdout, list.stdout, rerun.stdout, cancel.stdout]) expect(t).not.toContain(S3_SECRET);
  });
});

describe("bad input and preflight: one clear message, exit 2, nothing created", () => {
  const posts = () => server!.requests.filter((r) => r.method === "POST");

  it("a missing PVC fails preflight; --no-preflight submits anyway", async () => {
    const { env } = await setup();
    const args = ["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--input", "data_dir=pvc://datasets/digits", "--detach"];
    const r = await runCli(args, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PersistentVolumeClaim "datasets" does not exist in namespace default');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(posts()).toEqual([]);
    const skip = await runCli([...args, "--no-preflight"], { env });
    expect(skip.code, skip.stderr).toBe(0);
    expect(server!.objects("Job")).toHaveLength(1);
  });

  it("a 422 from the API server names the field", async () => {
    const { env } = await setup();
    server!.inject({ method: "POST", path: "/jobs", status: 422, message: 'Job.batch "x" is invalid', causes: [{ field: "spec.template.spec.containers[0].resources.limits.cpu", message: 'Invalid value: "4": exceeds the namespace quota' }] });
    const r = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--detach"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('spec.template.spec.containers[0].resources.limits.cpu: Invalid value: "4": exceeds the namespace quota');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(server!.objects("Job")).toEqual([]);
  });

  it("no kubeconfig, an unknown context", async () => {
    const { env, dir } = await setup();
    const none = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim"], { env: { ...env, KUBECONFIG: join(dir, "nope") } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("KUBECONFIG names");
    const ctx = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--context", "test-clustr"], { env });
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toContain('unknown context "test-clustr"');
    expect(ctx.stderr).toContain('did you mean "test-cluster"?');
    expect(server!.requests).toEqual([]);
  });
});

describe("what a real cluster does: the CLI says it", () => {
  /** One node of 3 cpu, half of it taken by another team: one replica of 1 cpu fits, the second does not. */
  async function busyCluster(script: (job: K8sObj) => readonly K8sJobStep[]) {
    const s = await setup({ nodes: [{ name: "node-1", cpu: "3", memory: "16Gi" }], script });
    server!.add({ apiVersion: "v1", kind: "Pod", metadata: { name: "other-team", namespace: "default" }, spec: { nodeName: "node-1", containers: [{ name: "x", image: "x", resources: { requests: { cpu: "1500m" } } }] }, status: { phase: "Running" } });
    return s;
  }

  it("status says which replicas wait for a node, and why; --schedule-timeout fails an attached run", async () => {
    const { env } = await busyCluster(() => [{ run: true }, { hold: true }, { succeed: true }]);
    const submit = await runCli([...DDP, "-r", "worker.cpu=1", "--detach"], { env });
    expect(submit.code, submit.stderr).toBe(0);
    const runId = submit.stdout.trim();
    await waitFor(() => server!.isHeld(server!.objects("PyTorchJob")[0]!.metadata.name));
    const status = await runCli(["status", runId], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${runId}  pending: waiting for 1 of 2 replicas: worker-0: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.`);
    expect((await runCli(["cancel", runId], { env })).code).toBe(0);
    await waitFor(() => server!.objects("Pod").length === 1);

    const run = await runCli([...DDP, "-r", "worker.cpu=1", "--schedule-timeout", "1s"], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("✗ failed");
    expect(run.stdout).toMatch(/1 of 2 replicas not scheduled within 1s \(--schedule-timeout\): worker-0: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu\..*; its objects are deleted/);
  });

  it("--schedule-timeout is in run's help with its default; a bad value is one clear message, and nothing is created", async () => {
    const { env } = await setup();
    const help = await runCli(["run", "--help"], { env });
    expect(help.stdout).toMatch(/--schedule-timeout <duration>\s+Kubernetes: fail the run when a replica/);
    expect(help.stdout).toMatch(/\(default\s+10m\)/);
    const bad = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--schedule-timeout", "soon"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--schedule-timeout: "soon" is not a duration');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(server!.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("pods that Pod Security refuses: the run fails at once with the admission's words, not 'pending' until a timeout", async () => {
    const { env } = await setup({ script: () => [{ run: true }, { succeed: true }] });
    server!.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default", labels: { "pod-security.kubernetes.io/enforce": "restricted" } }, status: { phase: "Active" } });
    const r = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ failed");
    expect(r.stdout).toMatch(/the cluster refuses the run's pods \(FailedCreate on Job \S+\): violates PodSecurity "restricted:latest": /);
  });

  it("a role without 'get' on pods/log, or 'watch' on pods: one clear message naming the verb and the resource", async () => {
    const { env } = await setup({ script: () => [{ run: true }, { log: ["hello"] }, { succeed: true }] });
    server!.forbid({ verb: "watch", resource: "pods" });
    const run = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/your role cannot watch pods in namespace default \(403 from the API server\): ask for the 'watch' verb on 'pods'; following it by listing instead/g)).toHaveLength(1);
    expect(run.stdout).toContain("hello\n");
    const runId = /run (echo-\S+): echo/.exec(run.stdout)![1]!;

    server!.forbid({ verb: "get", resource: "pods/log" });
    const logs = await runCli(["logs", runId], { env });
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain(`logs of ${runId}: your role cannot get pods/log in namespace default (403 from the API server): ask for the 'get' verb on 'pods/log'`);
    expect(logs.stderr).not.toMatch(/\n\s+at /);
  });

  it("rerun after cancel: the last attempt's lingering pods are not the run's; logs and status are the new attempt's", async () => {
    let attempt = 0;
    const { env } = await setup({ script: () => (++attempt === 1 ? [{ run: true }, { log: ["first attempt"] }, { hold: true }] : [{ run: true }, { log: ["second attempt"] }, { succeed: true }]) });
    const submit = await runCli(["run", "echo", "--backend", "k8s", "--image", "node:20-slim", "--detach"], { env });
    const runId = submit.stdout.trim();
    await waitFor(() => server!.isHeld(server!.objects("Job")[0]!.metadata.name));
    server!.holdGarbageCollection();
    expect((await runCli(["cancel", runId], { env })).code).toBe(0);
    const rerun = await runCli(["rerun", runId], { env });
    expect(rerun.stdout).toContain("as attempt 2");
    await waitFor(() => server!.objects("Pod").length === 2);
    const logs = await runCli(["logs", runId, "-f"], { env });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe("second attempt\n");
    const status = await runCli(["status", runId], { env });
    expect(status.stdout).toContain(`${runId}  succeeded`);
    expect(status.stdout).toContain("attempt: 2");
    server!.releaseGarbageCollection();
  });
});
