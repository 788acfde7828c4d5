/**
 * `component render --backend kubernetes`: the objects a run would create,
 * printed without contacting any cluster (the kubeconfig is read when there
 * is one, for the context's namespace), and bad input as one clear error.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "@aves2/core";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli, tempDir } from "./cli.js";

/** A catalog with `tfps` (TF_PS without a ps role) and `cpuonly` (no gpu image). */
const K8S_CATALOG = fileURLToPath(new URL("./fixtures/k8s-catalog", import.meta.url));

type Obj = { kind: string; apiVersion: string; metadata: { name: string; namespace: string }; spec?: Record<string, unknown> };

let home: string;
let runs: string;
let kubeconfig: string;
beforeAll(() => {
  home = tempDir("aves2-k8s-home-");
  runs = tempDir("aves2-k8s-runs-");
  kubeconfig = join(tempDir("aves2-kubeconfig-"), "config");
  // the server is a closed port: a render that tried to contact it would fail
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: team-a
  context: {cluster: c, user: u, namespace: team-a}
- name: plain
  context: {cluster: c, user: u}
current-context: team-a
users:
- name: u
  user: {token: not-a-real-token}
`,
  );
});

/** No kubeconfig anywhere (HOME is empty, KUBECONFIG unset). */
const noKube = () => ({ HOME: home, KUBECONFIG: "", AVES2_RUNS_DIR: runs });
const withKube = () => ({ HOME: home, KUBECONFIG: kubeconfig, AVES2_RUNS_DIR: runs });
/** The multi-document YAML: a comment header, then one object per document. */
const objects = (stdout: string) =>
  stdout
    .split(/^---$/m)
    .map((doc) => parseYaml(doc, "stdout").data as Obj | null)
    .filter((o): o is Obj => o !== null);

describe("render --backend kubernetes, without a cluster", () => {
  it("mobilenet-v2 with no kubeconfig: a batch/v1 Job in namespace default; nothing created", async () => {
    const r = await runCli(["render", "mobilenet-v2", "--backend", "kubernetes", "--timeout", "2h"], { cwd: REPO, env: noKube() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# namespace: default \(from: default \(no kubeconfig\)\)$/m);
    const [job, ...rest] = objects(r.stdout);
    expect(rest).toEqual([]);
    expect(job).toMatchObject({ apiVersion: "batch/v1", kind: "Job", metadata: { namespace: "default" }, spec: { backoffLimit: 0, activeDeadlineSeconds: 7200, ttlSecondsAfterFinished: 86400 } });
    expect(job!.metadata.name).toMatch(/^mobilenet-v2-\d{8}-\d{6}-[a-z0-9]{4}$/);
    expect(readdirSync(runs)).toEqual([]);
  });

  it("PYTORCH_DDP via the alias k8s: a PyTorchJob; the engine is printed as assumed, and why", async () => {
    const r = await runCli(["render", "mobilenet-v2", "-b", "k8s", "--distribute", "PYTORCH_DDP", "--workers", "3"], { cwd: REPO, env: noKube() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# engine: kubeflow \(assumed: render does not contact the cluster;.*--k8s-engine native\)$/m);
    const [pt] = objects(r.stdout);
    expect(pt).toMatchObject({ apiVersion: "kubeflow.org/v1", kind: "PyTorchJob", spec: { pytorchReplicaSpecs: { Master: { replicas: 1 }, Worker: { replicas: 2 } } } });
  });

  it("--k8s-engine native: an Indexed Job and a headless Service", async () => {
    const r = await runCli(["render", "mobilenet-v2", "-b", "k8s", "--distribute", "PYTORCH_DDP", "--workers", "2", "--k8s-engine", "native"], { cwd: REPO, env: noKube() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# engine: native \(--k8s-engine\)$/m);
    expect(objects(r.stdout).map((o) => o.kind)).toEqual(["Job", "Service"]);
    expect(objects(r.stdout)[0]!.spec).toMatchObject({ completionMode: "Indexed", completions: 2 });
  });

  it("the namespace comes from the kubeconfig context (current, or --context), --namespace wins; the cluster is not contacted", async () => {
    const current = await runCli(["render", "mobilenet-v2", "-b", "k8s"], { cwd: REPO, env: withKube() });
    expect(current.code).toBe(0);
    expect(objects(current.stdout)[0]!.metadata.namespace).toBe("team-a");
    expect(current.stdout).toMatch(/^# namespace: team-a \(from: context team-a\)\s+context: team-a/m);
    const plain = await runCli(["render", "mobilenet-v2", "-b", "k8s", "--context", "plain"], { cwd: REPO, env: withKube() });
    expect(objects(plain.stdout)[0]!.metadata.namespace).toBe("default");
    const flag = await runCli(["render", "mobilenet-v2", "-b", "k8s", "--namespace", "ml-jobs"], { cwd: REPO, env: withKube() });
    expect(objects(flag.stdout)[0]!.metadata.namespace).toBe("ml-jobs");
  });

  it("s3:// data with --create-secret: a data-less Secret, referenced by name; local credentials never printed", async () => {
    const r = await runCli(
      ["render", "mobilenet-v2", "-b", "k8s", "--input", "train_data_dir=s3://data/digits/train/", "--output", "result_dir=s3://out/mnv2/", "--create-secret", "-o", join(home, "run.yaml")],
      { cwd: REPO, env: { ...noKube(), AWS_ACCESS_KEY_ID: "AKIATESTKEYID0000", AWS_SECRET_ACCESS_KEY: "test-secret-never-printed" } },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*run\.yaml/);
    const text = (await import("node:fs")).readFileSync(join(home, "run.yaml"), "utf8");
    expect(text).not.toContain("test-secret-never-printed");
    expect(text).not.toContain("AKIATESTKEYID0000");
    const secret = objects(text).find((o) => o.kind === "Secret")!;
    expect(secret.metadata.name).toMatch(/-s3$/);
    expect(Object.keys(secret)).not.toContain("data");
    expect(text).toContain(`name: ${secret.metadata.name}`);
    expect(text).toMatch(/- component\n\s+- storage\n\s+- sync\n\s+- s3:\/\/data\/digits\/train\//);
  });

  it("--json prints the whole plan (objects included)", async () => {
    const r = await runCli(["render", "mobilenet-v2", "-b", "k8s", "--json"], { cwd: REPO, env: noKube() });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.backend).toBe("kubernetes");
    expect(plan.target).toMatchObject({ namespace: "default", contacted: false });
    expect(plan.objects[0].kind).toBe("Job");
  });
});

describe("render --backend kubernetes: bad input is one clear error, exit 2, nothing created", () => {
  const cases: [string, string[], Record<string, string> | "kube", RegExp, string?][] = [
    ["unknown context", ["mobilenet-v2", "--context", "nope"], "kube", /^error: --context: unknown context "nope" \(contexts in .*: team-a, plain\)$/m],
    ["--context with no kubeconfig", ["mobilenet-v2", "--context", "team-a"], {}, /^error: --context: no kubeconfig found/m],
    ["invalid --namespace", ["mobilenet-v2", "--namespace", "Team_A"], {}, /^error: --namespace: "Team_A" is not a valid namespace/m],
    ["unsupported distribute type", ["mobilenet-v2", "--distribute", "TF_PS"], {}, /^error: --distribute: mobilenet-v2 does not support TF_PS \(it supports: none, PYTORCH_DDP\)$/m],
    ["TF_PS without ps resources", ["tfps", "--distribute", "TF_PS"], {}, /^error: \/.*\/tfps\/component\.yaml:15: resources: TF_PS needs a ps role \(add resources\.ps\)$/m],
    ["GPUs with no gpu image", ["cpuonly", "--resource", "worker.gpu=1"], {}, /^error: worker.gpu: 1 GPU\(s\) asked for, but cpuonly has no gpu image \(give one with --image/m],
    ["s3 data without a Secret", ["mobilenet-v2", "--input", "train_data_dir=s3://bucket/train/"], {}, /^error: --s3-secret: s3:\/\/ data on a cluster needs storage credentials/m],
    ["a local folder", ["mobilenet-v2", "--input", "train_data_dir=/tmp"], {}, /^error: --input train_data_dir: \/tmp is a local folder, which a cluster cannot read/m],
    ["invalid Secret name", ["mobilenet-v2", "--s3-secret", "My_Secret"], {}, /^error: --s3-secret: "My_Secret" is not a valid Secret name/m],
    ["unknown engine", ["mobilenet-v2", "--k8s-engine", "volcano"], {}, /^error: --k8s-engine: unknown engine "volcano" \(kubeflow, native or auto\)$/m],
    ["bad --timeout", ["mobilenet-v2", "--timeout", "5x"], {}, /^error: --timeout: "5x" is not a duration/m],
    ["--create-secret with --s3-secret", ["mobilenet-v2", "--s3-secret", "s", "--create-secret"], {}, /^error: --create-secret: cannot be combined with --s3-secret/m],
    ["pvc:// on the local backend", ["mobilenet-v2", "--input", "train_data_dir=pvc://claim/train"], {}, /pvc:\/\/ is not supported for local runs/, "local"],
  ];
  for (const [what, args, env, message, backend] of cases) {
    it(what, async () => {
      const r = await runCli(["render", ...args, "--backend", backend ?? "kubernetes"], { cwd: ["tfps", "cpuonly"].includes(args[0]!) ? K8S_CATALOG : REPO, env: env === "kube" ? withKube() : { ...noKube(), ...env } });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(readdirSync(runs)).toEqual([]);
    });
  }
});
