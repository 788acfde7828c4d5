/**
 * Golden tests of the Kubernetes rendering: for each distribute type × engine
 * and each storage mode, the objects `render` prints are compared with a file
 * under golden/, and every object must pass the schema validation that submit
 * runs (core kinds: kubernetes-models; Kubeflow kinds: the official CRDs).
 *
 * Regenerate after an intended change: UPDATE_GOLDEN=1 npx vitest run test/kubernetes/render.test.ts
 * (then read the diff: it is the review of the change).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { load, loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesBackend } from "../../src/backends/kubernetes/index.js";
import { baseName, literal } from "../../src/backends/kubernetes/names.js";
import type { K8sObject } from "../../src/backends/kubernetes/objects.js";
import type { K8sEngine, KubernetesOptions } from "../../src/backends/kubernetes/options.js";
import { type ClusterTarget, type KubernetesPlan, manifestText, planKubernetes } from "../../src/backends/kubernetes/plan.js";
import { PATHS } from "../../src/backends/kubernetes/pod-paths.js";
import { TRAIN_WRAPPER, uploaderScript } from "../../src/backends/kubernetes/pod-scripts.js";
import { validateObjects } from "../../src/backends/kubernetes/validate.js";
import { UserError } from "../../src/errors.js";
import { loadComponent } from "../../src/manifest/load.js";
import type { DistributeType } from "../../src/manifest/types.js";
import type { RunRequest } from "../../src/run/request.js";
import { resolveRun } from "../../src/run/spec.js";

const GOLDEN = fileURLToPath(new URL("./golden/", import.meta.url));
const component = loadComponent(fileURLToPath(new URL("./fixtures/dist", import.meta.url)));
const fixed = { now: new Date("2026-01-02T03:04:05Z"), random: () => 0.5 };
const S3 = { endpoint: "http://minio.storage.svc:9000", region: "us-east-1", pathStyle: true };

function target(engine: K8sEngine, distribute: DistributeType): ClusterTarget {
  return {
    context: "kind-test",
    server: "https://127.0.0.1:6443",
    namespace: "ml",
    namespaceFrom: "context kind-test",
    engine,
    engineWhy: distribute === "none" ? "a single-worker run is a batch/v1 Job, on any cluster" : "--k8s-engine",
    stagingImage: "aves2/component-staging:0.1.0",
    contacted: false,
  };
}

interface Case {
  readonly name: string;
  readonly distribute: DistributeType;
  readonly engine: K8sEngine;
  readonly request?: Partial<RunRequest>;
  readonly options?: KubernetesOptions;
}

const s3Data: Partial<RunRequest> = {
  inputs: { train_data_dir: "s3://datasets/digits/train/" },
  outputs: { result_dir: "s3://results/dist/" },
};

const CASES: readonly Case[] = [
  // distribute type × engine (s3 data: init containers + the uploader on the pod that writes outputs)
  { name: "none", distribute: "none", engine: "kubeflow", request: s3Data, options: { s3Secret: "s3-creds", timeoutSeconds: 3600, retries: 2 } },
  { name: "tf-ps-kubeflow", distribute: "TF_PS", engine: "kubeflow", request: { ...s3Data, workers: 2 }, options: { s3Secret: "s3-creds" } },
  { name: "tf-ps-native", distribute: "TF_PS", engine: "native", request: { ...s3Data, workers: 2, resources: { ps: { count: 2 } } }, options: { s3Secret: "s3-creds" } },
  { name: "horovod-kubeflow", distribute: "HOROVOD", engine: "kubeflow", request: { ...s3Data, workers: 3, resources: { worker: { gpu: 2 } } }, options: { s3Secret: "s3-creds" } },
  { name: "horovod-native", distribute: "HOROVOD", engine: "native", request: { ...s3Data, workers: 3, resources: { worker: { gpu: 2 } } }, options: { s3Secret: "s3-creds" } },
  { name: "pytorch-ddp-kubeflow", distribute: "PYTORCH_DDP", engine: "kubeflow", request: { ...s3Data, workers: 2, resources: { worker: { gpu: 1, cpu: 0.5 } } }, options: { s3Secret: "s3-creds", timeoutSeconds: 7200 } },
  { name: "pytorch-ddp-native", distribute: "PYTORCH_DDP", engine: "native", request: { ...s3Data, workers: 2, resources: { worker: { gpu: 1, mem: 1.5 } } }, options: { s3Secret: "s3-creds" } },
  // storage modes
  { name: "storage-s3-create-secret", distribute: "none", engine: "native", request: { ...s3Data, code: "s3://code/dist/" }, options: { createSecret: true } },
  {
    name: "storage-pvc",
    distribute: "none",
    engine: "native",
    request: { inputs: { train_data_dir: "pvc://datasets/digits/train", extra_dir: "pvc://datasets/extra" }, outputs: { result_dir: "pvc://results/dist" }, code: "pvc://code/dist" },
  },
  { name: "storage-hostpath", distribute: "none", engine: "native", request: { inputs: { train_data_dir: "hostpath:///mnt/data/train" }, outputs: { result_dir: "hostpath:///mnt/results" } } },
  { name: "storage-nfs", distribute: "none", engine: "native", request: { inputs: { train_data_dir: "nfs://nfs.example.org/export/digits/train" }, outputs: { result_dir: "nfs://nfs.example.org/export/results" } } },
  { name: "storage-bundled", distribute: "none", engine: "native", request: { env: [{ name: "GREETING", value: "hello $(USER)" }] } },
];

function render(c: Case): KubernetesPlan {
  const request: RunRequest = {
    component: "dist",
    params: [{ source: "--set", values: { epochs: "3" } }],
    inputs: {},
    outputs: {},
    backend: "kubernetes",
    cwd: "/work",
    distribute: c.distribute,
    ...c.request,
  };
  const spec = resolveRun(component, request, fixed);
  return planKubernetes(spec, c.options ?? {}, { runsDir: "/runs", target: target(c.engine, c.distribute), s3: S3, libs: ["/libs/aves2_runtime"] });
}

const docs = (plan: KubernetesPlan) => plan.objects as readonly K8sObject[];
const podSpecsOf = (o: K8sObject): Record<string, unknown>[] => {
  const spec = o.spec as Record<string, unknown>;
  if (o.kind === "Job") return [(spec.template as { spec: Record<string, unknown> }).spec];
  const replicas = (spec.tfReplicaSpecs ?? spec.pytorchReplicaSpecs ?? spec.mpiReplicaSpecs ?? {}) as Record<string, { template: { spec: Record<string, unknown> } }>;
  return Object.values(replicas).map((r) => r.template.spec);
};
type C = { name: string; image: string; command: string[]; env?: { name: string; value?: string; valueFrom?: unknown }[]; envFrom?: unknown[]; resources?: { requests: Record<string, string>; limits: Record<string, string> } };
const containers = (o: K8sObject): C[] => podSpecsOf(o).flatMap((s) => [...((s.initContainers as C[]) ?? []), ...((s.containers as C[]) ?? [])]);

describe("kubernetes render: golden files, schema-valid", () => {
  for (const c of CASES) {
    it(`${c.name}: matches golden/${c.name}.yaml and passes schema validation`, async () => {
      const plan = render(c);
      const text = manifestText(plan);
      const file = join(GOLDEN, `${c.name}.yaml`);
      if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
        if (process.env.CI && !existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1`);
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, "utf8"));
      // what is printed parses back to exactly the objects that are validated and sent
      expect(loadAll(text).filter(Boolean)).toEqual(JSON.parse(JSON.stringify(plan.objects)));
      await expect(validateObjects(plan.objects)).resolves.toBeUndefined();
      // names: DNS-1123, at most 63
      for (const o of docs(plan)) expect(o.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    });
  }
});

describe("kubernetes render: what each kind carries", () => {
  it("none → batch/v1 Job with backoffLimit, activeDeadlineSeconds from --timeout, ttlSecondsAfterFinished", () => {
    const plan = render(CASES[0]!);
    const [job] = docs(plan);
    expect(job).toMatchObject({ apiVersion: "batch/v1", kind: "Job", spec: { backoffLimit: 2, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 86400 } });
    expect(plan.needs).toEqual([]);
  });

  it("labels and annotations: component, version, run id, params hash (same params, same hash)", () => {
    const a = docs(render(CASES[0]!))[0]!;
    expect(a.metadata.labels).toMatchObject({ "aves2.io/component": "dist", "aves2.io/run-id": "dist-20260102-030405-ssss", "app.kubernetes.io/managed-by": "aves2" });
    expect(a.metadata.labels?.["app.kubernetes.io/version"]).toBeTruthy();
    expect(a.metadata.annotations?.["aves2.io/params-hash"]).toMatch(/^[0-9a-f]{16}$/);
    const other = render({ ...CASES[0]!, request: { ...CASES[0]!.request, params: [{ source: "--set", values: { epochs: "4" } }] } });
    expect(docs(other)[0]!.metadata.annotations?.["aves2.io/params-hash"]).not.toBe(a.metadata.annotations?.["aves2.io/params-hash"]);
  });

  it("argv per the process contract; user data reaches the process literally ($ escaped), our $(VAR) refs do not", () => {
    const plan = render(CASES[1]!); // TF_PS, kubeflow
    const worker = (docs(plan)[0]!.spec as { tfReplicaSpecs: { Worker: { template: { spec: { containers: C[] } } } } }).tfReplicaSpecs.Worker;
    const train = worker.template.spec.containers.find((c) => c.name === "tensorflow")!;
    const argv = train.command;
    expect(argv.slice(0, 3)).toEqual(["sh", "-c", expect.stringContaining("exit-code")]);
    expect(argv).toContain("--epochs");
    expect(argv[argv.indexOf("--epochs") + 1]).toBe("3");
    expect(argv[argv.indexOf("--note") + 1]).toBe(literal("a b; $(echo hi) $$HOME"));
    expect(argv[argv.indexOf("--note") + 1]).toBe("a b; $$(echo hi) $$$HOME"); // Kubernetes turns $$ into $ and leaves $H alone
    expect(argv[argv.indexOf("--train_data_dir") + 1]).toBe("/aves2/data/train_data_dir");
    expect(argv[argv.indexOf("--result_dir") + 1]).toBe("/aves2/output/result_dir");
    expect(argv[argv.indexOf("--task_index") + 1]).toBe("$(AVES2_INDEX)");
    expect(argv[argv.indexOf("--ps_hosts") + 1]).toBe("dist-20260102-030405-ssss-ps-0.ml.svc:2222");
  });

  it("TF_PS → TFJob with PS and Worker; the ps role has its own resources", () => {
    const plan = render(CASES[1]!);
    const [tf] = docs(plan);
    expect(tf).toMatchObject({ apiVersion: "kubeflow.org/v1", kind: "TFJob" });
    const specs = (tf!.spec as { tfReplicaSpecs: Record<string, { replicas: number; template: { spec: { containers: C[] } } }> }).tfReplicaSpecs;
    expect(Object.keys(specs).sort()).toEqual(["PS", "Worker"]);
    expect(specs.PS!.replicas).toBe(1);
    expect(specs.Worker!.replicas).toBe(2);
    expect(specs.PS!.template.spec.containers[0]!.resources!.limits).toEqual({ cpu: "1", memory: "2Gi" });
    expect(specs.Worker!.template.spec.containers[0]!.resources!.limits).toEqual({ cpu: "2", memory: "4Gi" });
    // parameter servers write no outputs: no uploader
    expect(specs.PS!.template.spec.containers.map((c) => c.name)).toEqual(["tensorflow"]);
    expect(specs.Worker!.template.spec.containers.map((c) => c.name)).toEqual(["tensorflow", "stage-out"]);
    expect(plan.needs).toEqual(["TFJob"]);
  });

  it("HOROVOD → MPIJob v2beta1: Launcher + Worker, slotsPerWorker = GPUs per worker, gpu image and nvidia.com/gpu", () => {
    const plan = render(CASES[3]!);
    const [mpi] = docs(plan);
    expect(mpi).toMatchObject({ apiVersion: "kubeflow.org/v2beta1", kind: "MPIJob", spec: { slotsPerWorker: 2 } });
    const specs = (mpi!.spec as { mpiReplicaSpecs: Record<string, { replicas: number; template: { spec: { containers: C[] } } }> }).mpiReplicaSpecs;
    expect(specs.Launcher!.replicas).toBe(1);
    expect(specs.Worker!.replicas).toBe(2);
    const launcher = specs.Launcher!.template.spec.containers[0]!;
    expect(launcher.image).toBe("example.org/dist:1.0-gpu");
    expect(launcher.resources!.limits["nvidia.com/gpu"]).toBe("2");
    expect(launcher.command).toEqual(expect.arrayContaining(["mpirun", "-np", "6"]));
  });

  it("PYTORCH_DDP → PyTorchJob Master + Worker; cpu 0.5 → 500m; gpu image", () => {
    const plan = render(CASES[5]!);
    const [pt] = docs(plan);
    expect(pt).toMatchObject({ apiVersion: "kubeflow.org/v1", kind: "PyTorchJob", spec: { runPolicy: { activeDeadlineSeconds: 7200 } } });
    const specs = (pt!.spec as { pytorchReplicaSpecs: Record<string, { replicas: number; template: { spec: { containers: C[] } } }> }).pytorchReplicaSpecs;
    expect(specs.Master!.replicas).toBe(1);
    expect(specs.Worker!.replicas).toBe(1);
    const c = specs.Master!.template.spec.containers[0]!;
    expect(c.name).toBe("pytorch");
    expect(c.image).toBe("example.org/dist:1.0-gpu");
    expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "4Gi", "nvidia.com/gpu": "1" }, limits: { cpu: "500m", memory: "4Gi", "nvidia.com/gpu": "1" } });
    // only the master uploads the outputs
    expect(specs.Worker!.template.spec.containers.map((x) => x.name)).toEqual(["pytorch"]);
  });

  it("a cpu-only run takes the cpu image", () => {
    const [job] = docs(render(CASES[0]!));
    expect(containers(job!).find((c) => c.name === "train")!.image).toBe("example.org/dist:1.0-cpu");
  });

  it("native PYTORCH_DDP: Indexed Job + headless Service; MASTER_ADDR, RANK from the completion index, WORLD_SIZE", () => {
    const plan = render(CASES[6]!);
    const [job, svc] = docs(plan);
    expect(job).toMatchObject({ kind: "Job", spec: { completionMode: "Indexed", completions: 2, parallelism: 2 } });
    expect(svc).toMatchObject({ kind: "Service", spec: { clusterIP: "None", publishNotReadyAddresses: true } });
    expect((job!.spec as { template: { spec: { subdomain: string } } }).template.spec.subdomain).toBe(svc!.metadata.name);
    const env = Object.fromEntries(containers(job!).find((c) => c.name === "train")!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.MASTER_ADDR).toBe(`${job!.metadata.name}-0.${svc!.metadata.name}.ml.svc`);
    expect(env.WORLD_SIZE).toBe("2");
    expect(env.RANK).toBe("$(AVES2_INDEX)");
    expect(env.AVES2_INDEX).toEqual({ fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } });
    expect(env.MASTER_PORT).toBe("29500");
    // mem 1.5 GiB stays exact
    expect(containers(job!).find((c) => c.name === "train")!.resources!.limits.memory).toBe("1536Mi");
    expect(plan.needs).toEqual([]);
  });

  it("native TF_PS: TF_CONFIG names every task; ps and worker are Indexed Jobs; ps is a daemon", () => {
    const plan = render(CASES[2]!);
    const jobs = docs(plan).filter((o) => o.kind === "Job");
    expect(jobs.map((j) => j.metadata.name)).toEqual(["dist-20260102-030405-ssss-worker", "dist-20260102-030405-ssss-ps"]);
    const tf = containers(jobs[0]!).find((c) => c.name === "train")!.env!.find((e) => e.name === "TF_CONFIG")!.value!;
    const parsed = JSON.parse(tf.replace("$(AVES2_INDEX)", "1")) as { cluster: { ps: string[]; worker: string[] }; task: { type: string; index: number } };
    expect(parsed.cluster.ps).toHaveLength(2);
    expect(parsed.cluster.worker).toHaveLength(2);
    expect(parsed.task).toEqual({ type: "worker", index: 1 });
    expect(plan.daemons.map((d) => d.name)).toEqual(["dist-20260102-030405-ssss-ps"]);
  });

  it("native HOROVOD: a hostfile with slots = GPUs, an SSH key Secret rendered without data", () => {
    const plan = render(CASES[4]!);
    const cm = docs(plan).find((o) => o.kind === "ConfigMap")!;
    const hostfile = (cm.data as { hostfile: string }).hostfile;
    expect(hostfile.trim().split("\n")).toHaveLength(3);
    expect(hostfile).toMatch(/slots=2\n$/);
    const secret = docs(plan).find((o) => o.kind === "Secret")!;
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
    expect(plan.secrets.created).toContain(secret.metadata.name);
  });
});

describe("kubernetes render: data in the pod", () => {
  it("s3:// → init containers of the staging image download inputs; the uploader saves outputs; credentials only by Secret reference", () => {
    const plan = render(CASES[0]!);
    const all = containers(docs(plan)[0]!);
    const stageIn = all.find((c) => c.name === "stage-in-train-data-dir")!;
    expect(stageIn.image).toBe("aves2/component-staging:0.1.0");
    expect(stageIn.command).toEqual(["component", "storage", "sync", "s3://datasets/digits/train/", "/aves2/data/train_data_dir"]);
    expect(stageIn.envFrom).toEqual([{ secretRef: { name: "s3-creds" } }]);
    const out = all.find((c) => c.name === "stage-out")!;
    expect(out.command).toEqual(expect.arrayContaining(["/aves2/output/result_dir", "s3://results/dist/"]));
    expect(out.envFrom).toEqual([{ secretRef: { name: "s3-creds" } }]);
    const text = manifestText(plan);
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    expect(text).toContain("AWS_ENDPOINT_URL_S3");
  });

  it("--create-secret: a Secret named after the run, rendered without data, referenced by every staging container", () => {
    const plan = render(CASES[7]!);
    const secret = docs(plan).find((o) => o.kind === "Secret")!;
    expect(secret.metadata.name).toBe("dist-20260102-030405-ssss-s3");
    expect(Object.keys(secret)).not.toContain("data");
    expect(Object.keys(secret)).not.toContain("stringData");
    expect(plan.secrets).toEqual({ s3: "dist-20260102-030405-ssss-s3", created: ["dist-20260102-030405-ssss-s3"] });
    const staging = containers(docs(plan)[0]!).filter((c) => c.name.startsWith("stage-"));
    expect(staging.map((c) => c.name)).toEqual(["stage-code", "stage-in-train-data-dir", "stage-out"]);
    for (const c of staging) expect(c.envFrom).toEqual([{ secretRef: { name: "dist-20260102-030405-ssss-s3" } }]);
  });

  it("pvc://claim/sub/path → one PVC volume per claim, mounted with subPath", () => {
    const plan = render(CASES[8]!);
    const pod = podSpecsOf(docs(plan)[0]!)[0]!;
    const vols = pod.volumes as { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }[];
    expect(vols.filter((v) => v.persistentVolumeClaim).map((v) => v.persistentVolumeClaim!.claimName).sort()).toEqual(["code", "datasets", "results"]);
    const train = (pod.containers as { name: string; volumeMounts: { mountPath: string; subPath?: string; readOnly?: boolean }[] }[])[0]!;
    expect(train.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: "/aves2/data/train_data_dir", subPath: "digits/train", readOnly: true })]));
    expect(train.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: "/aves2/output/result_dir", subPath: "dist" })]));
    expect(plan.pvcs.slice().sort()).toEqual(["code", "datasets", "results"]);
  });

  it("one claim for inputs and outputs: one volume, read-only only where an input is mounted", () => {
    const plan = render({ name: "x", distribute: "none", engine: "native", request: { inputs: { train_data_dir: "pvc://work/data/train" }, outputs: { result_dir: "pvc://work/runs/r1" } } });
    const pod = podSpecsOf(docs(plan)[0]!)[0]!;
    const claims = (pod.volumes as { name: string; persistentVolumeClaim?: Record<string, unknown> }[]).filter((v) => v.persistentVolumeClaim);
    expect(claims).toEqual([{ name: "pvc-work", persistentVolumeClaim: { claimName: "work" } }]);
    const mounts = (pod.containers as { volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[] }[])[0]!.volumeMounts.filter((m) => m.name === "pvc-work");
    expect(mounts).toEqual([
      { name: "pvc-work", mountPath: "/aves2/data/train_data_dir", subPath: "data/train", readOnly: true },
      { name: "pvc-work", mountPath: "/aves2/output/result_dir", subPath: "runs/r1" },
    ]);
  });

  it("hostpath:/// → hostPath volume; nfs://server/export → nfs volume", () => {
    const hp = podSpecsOf(docs(render(CASES[9]!))[0]!)[0]!.volumes as { hostPath?: { path: string } }[];
    expect(hp.filter((v) => v.hostPath).map((v) => v.hostPath!.path).sort()).toEqual(["/mnt/data/train", "/mnt/results"]);
    const nfs = podSpecsOf(docs(render(CASES[10]!))[0]!)[0]!.volumes as { nfs?: { server: string; path: string } }[];
    expect(nfs.filter((v) => v.nfs).map((v) => v.nfs)).toEqual(expect.arrayContaining([expect.objectContaining({ server: "nfs.example.org" })]));
  });

  it("bundled data and code are copied out of the staging image; --env values reach the process literally", () => {
    const plan = render(CASES[11]!);
    const all = containers(docs(plan)[0]!);
    expect(all.find((c) => c.name === "stage-code")!.command).toEqual(expect.arrayContaining(["/opt/aves2/components/dist/src", "/opt/aves2/lib/aves2_runtime"]));
    expect(all.find((c) => c.name === "stage-in-train-data-dir")!.command).toEqual(["cp", "-R", "/opt/aves2/components/dist/data/train", "/aves2/data/train_data_dir"]);
    expect(all.find((c) => c.name === "train")!.env).toEqual(expect.arrayContaining([{ name: "GREETING", value: "hello $$(USER)" }]));
  });
});

describe("kubernetes render: bad input is one clear error", () => {
  const problems = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as UserError).message;
    }
    throw new Error("no error");
  };

  it("s3:// data without --s3-secret or --create-secret", () => {
    expect(problems(() => render({ ...CASES[0]!, options: {} }))).toMatch(/--s3-secret: s3:\/\/ data on a cluster needs storage credentials/);
  });

  it("GPUs with no gpu image", () => {
    const noGpu = { ...component, images: { cpu: "example.org/dist:1.0-cpu" } };
    const spec = resolveRun(noGpu, { component: "dist", params: [], inputs: {}, outputs: {}, backend: "kubernetes", cwd: "/work", resources: { worker: { gpu: 1 } } }, fixed);
    expect(problems(() => planKubernetes(spec, {}, { runsDir: "/runs", target: target("native", "none"), s3: S3, libs: [] }))).toMatch(/worker\.gpu: 1 GPU\(s\) asked for, but dist has no gpu image/);
  });

  it("a local folder a cluster cannot read", () => {
    expect(problems(() => render({ name: "x", distribute: "none", engine: "native", request: { inputs: { train_data_dir: "/home/me/images" } } }))).toMatch(/--input train_data_dir: \/home\/me\/images is a local folder, which a cluster cannot read/);
  });

  it("a long run id still gives DNS-1123 names of at most 63, distinct for distinct ids", () => {
    const long = `r${"x".repeat(80)}`;
    const a = baseName(long);
    const b = baseName(`${long}y`);
    expect(a.length).toBeLessThanOrEqual(45);
    expect(a).not.toBe(b);
    const plan = render({ name: "long", distribute: "PYTORCH_DDP", engine: "native", request: { workers: 2, name: "n", inputs: {} } });
    for (const o of docs(plan)) expect(o.metadata.name.length).toBeLessThanOrEqual(63);
  });
});

describe("schema validation: an invalid object is a clear error naming the field, and nothing is created", () => {
  // biome-ignore lint/suspicious/noExplicitAny: a test breaks arbitrary fields on purpose
  type Loose = any;
  const mutate = (o: K8sObject, f: (x: Loose) => void): K8sObject => {
    const copy = JSON.parse(JSON.stringify(o)) as Loose;
    f(copy);
    return copy as K8sObject;
  };
  const errorOf = async (objects: readonly K8sObject[]): Promise<string> => {
    try {
      await validateObjects(objects);
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as UserError).message;
    }
    throw new Error("validation passed");
  };

  it("PyTorchJob replicas: \"two\" (CRD schema)", async () => {
    const [pt] = docs(render(CASES[5]!));
    const msg = await errorOf([mutate(pt!, (x) => (x.spec.pytorchReplicaSpecs.Worker.replicas = "two"))]);
    expect(msg).toContain("PyTorchJob dist-20260102-030405-ssss: spec.pytorchReplicaSpecs.Worker.replicas: must be integer");
  });

  it("MPIJob slotsPerWorker: \"one\" and a misspelled field", async () => {
    const [mpi] = docs(render(CASES[3]!));
    const msg = await errorOf([
      mutate(mpi!, (x) => {
        x.spec.slotsPerWorker = "one";
        x.spec.runPolicy.backofLimit = 3;
      }),
    ]);
    expect(msg).toContain("spec.slotsPerWorker: must be integer");
    expect(msg).toContain("spec.runPolicy.backofLimit: unknown field");
  });

  it("Job: backoffLimit \"four\", a container without a name (kubernetes-models)", async () => {
    const [job] = docs(render(CASES[0]!));
    const msg = await errorOf([
      mutate(job!, (x) => {
        x.spec.backoffLimit = "four";
        delete x.spec.template.spec.containers[0].name;
      }),
    ]);
    expect(msg).toContain("Job dist-20260102-030405-ssss: spec.backoffLimit");
    expect(msg).toMatch(/spec\.template\.spec\.containers\[0\]\.name/);
  });

  it("an invalid name, a cpu of 0.5 (not a quantity), a TFJob field that does not exist", async () => {
    const [tf] = docs(render(CASES[1]!));
    const msg = await errorOf([
      mutate(tf!, (x) => {
        x.metadata.name = "Bad_Name";
        x.spec.tfReplicaSpecs.PS.template.spec.containers[0].resources.limits.cpu = 0.5;
        x.spec.tfReplicaSpecs.PS.template.spec.containers[0].imagePulPolicy = "Always";
      }),
    ]);
    expect(msg).toContain('metadata.name: "Bad_Name" is not a valid TFJob name');
    expect(msg).toContain("spec.tfReplicaSpecs.PS.template.spec.containers[0].resources.limits.cpu");
    expect(msg).toContain("spec.tfReplicaSpecs.PS.template.spec.containers[0].imagePulPolicy: unknown field");
  });

  describe("submit validates before it contacts the cluster", () => {
    let server: ReturnType<typeof createServer>;
    let requests = 0;
    let kubeconfig: string;
    beforeAll(async () => {
      // a Kubernetes API test server that only counts requests: none may arrive
      server = createServer((_req, res) => {
        requests++;
        res.writeHead(500).end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as AddressInfo).port;
      const dir = join(tmpdir(), `aves2-k8s-render-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      kubeconfig = join(dir, "kubeconfig");
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: kind-test\n  cluster: {server: "http://127.0.0.1:${port}"}\ncontexts:\n- name: kind-test\n  context: {cluster: kind-test, user: u, namespace: ml}\ncurrent-context: kind-test\nusers:\n- name: u\n  user: {token: x}\n`,
      );
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("an invalid object: UserError naming the field, no request sent, no run record written", async () => {
      const runsDir = join(tmpdir(), `aves2-k8s-runs-${process.pid}`);
      const plan = render(CASES[0]!);
      const bad = { ...plan, runDir: join(runsDir, plan.runId), objects: [mutate(plan.objects[0]!, (x) => (x.spec.template.spec.containers[0].resources.limits.cpu = 0.5))] } as KubernetesPlan;
      const backend = new KubernetesBackend({ runsDir, libs: [], s3: S3, env: { KUBECONFIG: kubeconfig } });
      await expect(backend.submit(bad, {} as never, { detach: true })).rejects.toThrow(/spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu/);
      expect(requests).toBe(0);
      expect(existsSync(bad.runDir)).toBe(false);
    });
  });
});

describe("render without a cluster", () => {
  it("the golden YAML is plain YAML documents with a comment header saying where and which engine", () => {
    const text = readFileSync(join(GOLDEN, "tf-ps-kubeflow.yaml"), "utf8");
    expect(text.split("\n")[0]).toMatch(/^# run dist-20260102-030405-ssss: dist/);
    expect(text).toContain("# namespace: ml");
    expect(text).toContain("# engine: kubeflow");
    expect(load(text.split("\n---\n")[1]!)).toMatchObject({ kind: "TFJob" });
  });
});

describe("the staging scripts, run by a real sh", () => {
  // the pod's /aves2/run is a temp folder here; `component` is a stand-in that records its arguments
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "aves2-staging-"));
    const run = join(dir, "run");
    mkdirSync(join(dir, "bin"), { recursive: true });
    writeFileSync(join(dir, "bin", "component"), `#!/bin/sh\necho "$@" >> ${dir}/calls\n`, { mode: 0o755 });
    const local = (s: string) => s.split(PATHS.run).join(run);
    return { dir, run, local, env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}` } };
  };
  const calls = (dir: string) => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []);

  it("the training wrapper keeps the command's exit code, writes it last, and tees the log", () => {
    const { run, local, env } = setup();
    const r = spawnSync("sh", ["-c", local(TRAIN_WRAPPER), "aves2", "sh", "-c", "echo hello; exit 3"], { env, encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("hello");
    expect(readFileSync(join(run, "exit-code"), "utf8").trim()).toBe("3");
    expect(readFileSync(join(run, "logs", "train.log"), "utf8")).toContain("hello");
    expect(existsSync(join(run, "alive"))).toBe(true);
  });

  it("the uploader saves every output, with the completion marker only after success", () => {
    for (const [code, marker] of [["0", "--marker "], ["3", ""]] as const) {
      const { dir, run, local, env } = setup();
      mkdirSync(run, { recursive: true });
      writeFileSync(join(run, "exit-code"), `${code}\n`);
      execFileSync("sh", ["-c", local(uploaderScript(undefined)), "stage-out", "/aves2/output/a", "s3://b/a/", "/aves2/output/b", "s3://b/b/"], { env });
      expect(calls(dir)).toEqual([`storage sync ${marker}/aves2/output/a s3://b/a/`, `storage sync ${marker}/aves2/output/b s3://b/b/`]);
    }
  });

  it("the uploader does not wait forever for a container killed outright (stale heartbeat, no exit code)", () => {
    const { dir, run, local, env } = setup();
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, "alive"), "");
    execFileSync("touch", ["-d", "5 minutes ago", join(run, "alive")]);
    const r = spawnSync("sh", ["-c", local(uploaderScript(undefined)), "stage-out", "/aves2/output/a", "s3://b/a/"], { env, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/ended without an exit code/);
    expect(calls(dir)).toEqual(["storage sync /aves2/output/a s3://b/a/"]);
  });

  it("on a replica other than index 0 the uploader does nothing", () => {
    const { dir, local, env } = setup();
    const r = spawnSync("sh", ["-c", local(uploaderScript("AVES2_INDEX")), "stage-out", "/aves2/output/a", "s3://b/a/"], { env: { ...env, AVES2_INDEX: "1" } });
    expect(r.status).toBe(0);
    expect(calls(dir)).toEqual([]);
  });
});
