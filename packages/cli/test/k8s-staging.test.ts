/**
 * The data path of a Kubernetes pod, run for real without a cluster: the
 * commands `render` gives the staging init containers, the training
 * container (its exit-code wrapper) and the uploader are executed here by
 * sh, in the order the kubelet runs them, with the pod's folders mapped to a
 * temp dir and `component` being this repository's CLI (what the staging
 * image runs, see docker/staging/Dockerfile), against the S3 test server.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, isolatedEnv, REPO, type S3TestServer, startS3Server } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, runCli, tempDir } from "./cli.js";

type Container = { name: string; command: string[]; env?: { name: string; value?: string }[]; workingDir?: string };
type PodSpec = { initContainers: Container[]; containers: Container[] };

let server: S3TestServer;
let shim: string;
beforeAll(async () => {
  server = await startS3Server({ buckets: ["k8s"] });
  shim = tempDir("aves2-shim-");
  writeFileSync(join(shim, "component"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  const data = tempDir("aves2-in-");
  for (let i = 0; i < 3; i++) writeFileSync(join(data, `f${i}.txt`), `file ${i}\n`);
  const up = await runCli(["storage", "sync", data, "s3://k8s/in/"], { env: server.env() });
  expect(up.code, up.stderr).toBe(0);
});
afterAll(async () => {
  await server?.stop();
});

/** The pod's paths (and the staging image's) → this machine's. */
function mapper(pod: string): (s: string) => string {
  return (s) =>
    s.replace(/\/opt\/aves2\/components\/|\/opt\/aves2\/lib\/|\/aves2(?=[/'"\s]|$)/g, (m) =>
      m === "/opt/aves2/components/" ? `${FIXTURE}/components/` : m === "/opt/aves2/lib/" ? `${REPO}/packages/python-runtime/` : pod,
    );
}

/** What the kubelet does to command and env values: `$$` → `$`, `$(VAR)` → its value when defined. */
function expand(s: string, env: Record<string, string | undefined>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === "$$" ? "$" : name && env[name] !== undefined ? env[name]! : m));
}

function runContainer(c: Container, pod: string) {
  const map = mapper(pod);
  // envFrom the --s3-secret: the S3 test server's credentials; nothing of this machine's HOME or settings
  const env: Record<string, string | undefined> = { ...isolatedEnv(), ...server.env(), PATH: `${shim}:${process.env.PATH}` };
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = expand(map(e.value), env);
  const argv = c.command.map((a) => expand(map(a), env));
  const cwd = c.workingDir ? map(c.workingDir) : pod;
  return spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: "utf8", timeout: 60_000 });
}

async function renderPod(extra: string[]): Promise<PodSpec> {
  const r = await runCli(
    ["render", "echo", "-b", "k8s", "--image", "node:20-slim", "--input", "data_dir=s3://k8s/in/", "--output", "result_dir=s3://k8s/out/", "--s3-secret", "s3-creds", "--json", ...extra],
    { env: { ...server.env(), HOME: tempDir(), KUBECONFIG: "" } },
  );
  expect(r.code, r.stderr).toBe(0);
  const plan = JSON.parse(r.stdout) as { objects: { kind: string; spec: { template: { spec: PodSpec } } }[] };
  return plan.objects[0]!.spec.template.spec;
}

async function listOut(prefix: string): Promise<string> {
  const r = await runCli(["storage", "ls", `s3://k8s/${prefix}`, "--json"], { env: server.env() });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe("the pod's data path, executed", () => {
  it("init containers stage code and s3:// inputs; the uploader saves the outputs with the completion marker", async () => {
    const spec = await renderPod(["--set", "epochs=2", "--output", "result_dir=s3://k8s/out-ok/"]);
    const pod = tempDir("aves2-pod-");
    for (const v of ["code", "data", "output", "run"]) mkdirSync(join(pod, v));
    expect(spec.initContainers.map((c) => c.name)).toEqual(["stage-code", "stage-in-data-dir"]);
    for (const c of spec.initContainers) {
      const r = runContainer(c, pod);
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(0);
    }
    const [train, uploader] = spec.containers;
    expect(uploader!.name).toBe("stage-out");
    const t = runContainer(train!, pod);
    expect(t.status, t.stderr + t.stdout).toBe(0);
    expect(t.stdout).toMatch(/echo: rank 0 of 1, data has 3 file\(s\)/);
    const u = runContainer(uploader!, pod);
    expect(u.status, u.stderr).toBe(0);
    const listed = await listOut("out-ok/");
    expect(listed).toContain("argv.json");
    expect(listed).toContain("epoch-2.txt");
    expect(listed).toContain("_SUCCESS");
    expect(u.stdout + u.stderr).not.toContain("S3RVER");
  });

  it("a failed training: its exit code is kept, its outputs still uploaded, without the marker", async () => {
    const spec = await renderPod(["--set", "exit_code=3", "--output", "result_dir=s3://k8s/out-failed/"]);
    const pod = tempDir("aves2-pod-");
    for (const v of ["code", "data", "output", "run"]) mkdirSync(join(pod, v));
    expect(spec.initContainers.map((c) => c.name)).toEqual(["stage-code", "stage-in-data-dir"]);
    for (const c of spec.initContainers) expect(runContainer(c, pod).status).toBe(0);
    const [train, uploader] = spec.containers;
    const t = runContainer(train!, pod);
    expect(t.status).toBe(3);
    expect(t.stdout).toMatch(/failing on purpose with 3/);
    const u = runContainer(uploader!, pod);
    expect(u.status, u.stderr).toBe(0);
    const listed = await listOut("out-failed/");
    expect(listed).toContain("epoch-2.txt");
    expect(listed).not.toContain("_SUCCESS");
  });
});
