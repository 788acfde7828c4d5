import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type K8sTestServer, type K8sTestServerOptions, kubernetesAdmission, startK8sTestServer } from "@aves2/testkit";
import type { S3Settings } from "@aves2/storage/config";
import type { LogLine } from "../../src/backends/backend.js";
import type { RunRecord } from "../../src/records/record.js";
import { KubernetesBackend } from "../../src/backends/kubernetes/index.js";
import type { KubernetesPlan } from "../../src/backends/kubernetes/plan.js";
import type { KubernetesOptions } from "../../src/backends/kubernetes/options.js";
import { loadComponent } from "../../src/manifest/load.js";
import type { Component } from "../../src/manifest/types.js";
import type { RunEvent } from "../../src/run/events.js";
import type { RunRequest } from "../../src/run/request.js";
import { resolveRun } from "../../src/run/spec.js";

export const tiny = loadComponent(fileURLToPath(new URL("../fixtures/tiny", import.meta.url)));
/** The tiny component, allowed every distribute type. */
export const anyDistribute: Component = { ...tiny, distribute: ["none", "PYTORCH_DDP", "TF_PS", "HOROVOD"] };

/** What the API server's admission would say: testkit's, from the Kubernetes and Kubeflow schemas, never the backend's own validator. */
export const admission = kubernetesAdmission;

/** Fast retries: the policy's shape is the real one, the waits are not. */
export const FAST_RETRY = { attempts: 5, baseMs: 5, maxMs: 20, maxRetryAfterMs: 2_000 };

export interface Cluster {
  server: K8sTestServer;
  dir: string;
  runsDir: string;
  env: NodeJS.ProcessEnv;
  backend: KubernetesBackend;
  /** Plans a run of the tiny component (no I/O besides discovery). */
  plan(over?: Partial<RunRequest>, k8s?: KubernetesOptions, component?: Component): Promise<{ plan: KubernetesPlan; spec: ReturnType<typeof resolveRun> }>;
  /** Submits and waits, collecting what `run` would print. */
  run(over?: Partial<RunRequest>, k8s?: KubernetesOptions, component?: Component): Promise<{ record: RunRecord; logs: LogLine[]; events: RunEvent[]; plan: KubernetesPlan }>;
}

let seq = 0;

/** Besides the test server's options: the kubeconfig context's namespace, and the S3 endpoint (and its credentials) the backend reads events.jsonl from. */
export interface ClusterOptions extends K8sTestServerOptions {
  namespace?: string;
  s3?: S3Settings;
  s3Env?: Record<string, string>;
}

export async function cluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const server = await startK8sTestServer({ validate: admission, stepMs: 20, ...opts });
  const dir = mkdtempSync(join(tmpdir(), "aves2-k8s-"));
  const kubeconfig = server.writeKubeconfig(dir, opts.namespace ? { namespace: opts.namespace } : {});
  const env: NodeJS.ProcessEnv = { HOME: dir, KUBECONFIG: kubeconfig, AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "s3-secret-value-123", ...opts.s3Env };
  const runsDir = join(dir, "runs");
  const backend = new KubernetesBackend({ runsDir, libs: [], s3: opts.s3 ?? { region: "us-east-1", pathStyle: true, endpoint: "http://minio.example:9000" }, env, retry: FAST_RETRY, pollMs: 30 });
  const c: Cluster = {
    server,
    dir,
    runsDir,
    env,
    backend,
    async plan(over = {}, k8s = {}, component = tiny) {
      const options: KubernetesOptions = { stagingImage: "aves2/component-staging:test", ...k8s };
      const request: RunRequest = { component: "tiny", params: [], inputs: {}, outputs: {}, backend: "kubernetes", cwd: dir, image: "python:3.12-slim", ...over, options: { ...options } };
      const spec = resolveRun(component, request, { now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5 + seq++)), random: Math.random });
      const target = await backend.prepare(spec, options, { offline: false });
      return { plan: backend.plan(spec, target, options), spec };
    },
    async run(over = {}, k8s = {}, component = tiny) {
      const { plan, spec } = await c.plan(over, k8s, component);
      const logs: LogLine[] = [];
      const events: RunEvent[] = [];
      const handle = await backend.submit(plan, spec, { onLog: (l) => logs.push(l), onEvent: (e) => events.push(e) });
      const record = await handle.wait();
      return { record, logs, events, plan };
    },
  };
  return c;
}
