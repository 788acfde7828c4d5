import { basename, join } from "node:path";
import { type Problem, UserError } from "../../errors.js";
import { toYaml } from "../../manifest/yaml-source.js";
import { deepFreeze } from "../../run/freeze.js";
import { inputSourceComments, type RunSpec, specToJSON } from "../../run/spec.js";
import type { S3Settings } from "@aves2/storage/config";
import { buildArgv } from "../../run/argv.js";
import type { Plan } from "../backend.js";
import { withAttempt } from "./attempts.js";
import { renderJob } from "./job.js";
import { renderMPIJob } from "./mpijob.js";
import { ANNOTATION, baseName, DNS1123_LABEL, LABEL, labelValue, literal, MANAGED_BY, paramsHash } from "./names.js";
import { renderNative } from "./native.js";
import type { K8sEngine, KubernetesOptions } from "./options.js";
import type { JsonObject, K8sObject, KubeflowKind, ObjectRef } from "./objects.js";
import { renderPyTorchJob } from "./pytorchjob.js";
import type { PodGroup, RenderContext, Rendered } from "./render-context.js";
import { podData, type StagingContext, type StagingInput } from "./staging.js";
import { renderTFJob } from "./tfjob.js";
import { validateObjects } from "./validate.js";

/** Where and how a run goes, resolved before planning (kubeconfig, flags, API discovery). */
export interface ClusterTarget {
  readonly context?: string;
  /** The API server's URL (no credentials). */
  readonly server?: string;
  readonly namespace: string;
  /** Where the namespace came from: `--namespace`, the context, the service account, or the default. */
  readonly namespaceFrom: string;
  readonly engine: K8sEngine;
  /** Why this engine: a flag, what API discovery found, or an assumption (render does not contact the cluster). */
  readonly engineWhy: string;
  readonly stagingImage: string;
  /** Whether a cluster was asked (false for `render`). */
  readonly contacted: boolean;
}

export interface KubernetesPlan extends Plan {
  readonly backend: "kubernetes";
  /** The local record of the run (run.json, logs). */
  readonly runDir: string;
  readonly target: ClusterTarget;
  readonly options: KubernetesOptions;
  /** What a Kubeflow engine needs installed; none for the native engine. */
  readonly needs: readonly KubeflowKind[];
  readonly primary: ObjectRef;
  readonly daemons: readonly ObjectRef[];
  readonly pods: readonly PodGroup[];
  /** `<role>-<index>` of every pod: the log prefixes. */
  readonly replicas: readonly string[];
  readonly inputs: readonly StagingInput[];
  readonly uploads: readonly { readonly dir: string; readonly uri: string }[];
  /** Where the uploader saves the run's AVES2_EVENT lines (events.jsonl), when it saves its logs. */
  readonly eventsUri?: string;
  /** Secrets the run reads (`s3`), or that submit creates and fills (`created`). Names only. */
  readonly secrets: { readonly s3?: string; readonly created: readonly string[] };
  readonly pvcs: readonly string[];
  readonly notes: readonly string[];
  /** In creation order, the primary first. */
  readonly objects: readonly K8sObject[];
}

export interface KubernetesPlanContext {
  readonly runsDir: string;
  readonly target: ClusterTarget;
  readonly s3: S3Settings;
  /** Shared Python packages (paths; their basenames are looked up in the staging image). */
  readonly libs: readonly string[];
}

/** Completed Jobs (and their pods, for logs) stay this long. */
export const TTL_AFTER_FINISHED = 86_400;

function imagesFor(spec: RunSpec, problems: Problem[]): { worker: string; ps: string } {
  const pick = (role: "worker" | "ps"): string => {
    const res = spec.resources[role];
    if (spec.image) return spec.image;
    const { cpu, gpu } = spec.component.images;
    if (res && res.gpu > 0) {
      if (gpu) return gpu;
      problems.push({ path: `${role}.gpu`, message: `${res.gpu} GPU(s) asked for, but ${spec.component.name} has no gpu image`, hint: "give one with --image, or add images.gpu to component.yaml" });
      return "";
    }
    if (cpu) return cpu;
    problems.push({ path: "--image", message: `${spec.component.name} has no cpu image to run on a cluster`, hint: "give one with --image, or add images.cpu to component.yaml" });
    return "";
  };
  const worker = pick("worker");
  return { worker, ps: spec.distribute === "TF_PS" && spec.resources.ps ? pick("ps") : worker };
}

/** RunSpec + resolved target → every object of the run. Pure: same inputs, same plan. */
export function planKubernetes(spec: RunSpec, options: KubernetesOptions, ctx: KubernetesPlanContext): KubernetesPlan {
  const problems: Problem[] = [];
  const { target } = ctx;
  if (spec.distribute === "TF_PS" && !spec.resources.ps) {
    problems.push({ path: "resources.ps", message: "TF_PS needs parameter servers", hint: "--resource ps.count=1 (and ps.cpu, ps.mem), or a ps role in component.yaml" });
  }
  if (!DNS1123_LABEL.test(target.namespace) || target.namespace.length > 63) {
    problems.push({ path: target.namespaceFrom, message: `"${target.namespace}" is not a valid namespace`, hint: "lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit" });
  }
  const base = baseName(spec.runId);
  const s3Secret = options.createSecret ? `${base}-s3` : options.s3Secret;
  const staging: StagingContext = { stagingImage: target.stagingImage, ...(s3Secret ? { s3Secret } : {}), s3: ctx.s3, libs: spec.component.runtime.python ? ctx.libs.map((l) => basename(l)) : [] };
  const data = podData(spec, staging, problems);
  const images = imagesFor(spec, problems);
  if (problems.length > 0) throw new UserError(problems);

  const params = Object.fromEntries(spec.params.map((p) => [p.name, p.value]));
  const labels: Record<string, string> = {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.name]: labelValue(spec.component.name),
    [LABEL.version]: labelValue(spec.component.version),
    [LABEL.component]: labelValue(spec.component.name),
    [LABEL.runId]: spec.runId,
  };
  const annotations: Record<string, string> = {
    [ANNOTATION.paramsHash]: paramsHash(params),
    [ANNOTATION.runName]: spec.name,
    [ANNOTATION.createdAt]: spec.createdAt,
  };
  const argv = buildArgv(spec.component.command, spec.params, data.inputDirs, data.outputDirs);
  const runEnv: JsonObject[] = [{ name: "AVES2_RUN_ID", value: spec.runId }, ...(spec.env ?? []).map((e) => ({ name: e.name, value: literal(e.value) }))];
  const rc: RenderContext = {
    spec,
    namespace: target.namespace,
    engine: target.engine,
    base,
    labels,
    annotations,
    data,
    staging,
    runEnv,
    argv,
    images,
    backoffLimit: options.retries ?? 0,
    ...(options.timeoutSeconds ? { activeDeadlineSeconds: options.timeoutSeconds } : {}),
    ttlSecondsAfterFinished: TTL_AFTER_FINISHED,
  };
  let rendered: Rendered;
  let needs: KubeflowKind[] = [];
  if (spec.distribute === "none") rendered = renderJob(rc);
  else if (target.engine === "native") rendered = renderNative(rc);
  else if (spec.distribute === "TF_PS") [rendered, needs] = [renderTFJob(rc), ["TFJob"]];
  else if (spec.distribute === "PYTORCH_DDP") [rendered, needs] = [renderPyTorchJob(rc), ["PyTorchJob"]];
  else [rendered, needs] = [renderMPIJob(rc), ["MPIJob"]];

  // the first attempt; rerun labels its own (attempts.ts)
  const objects: K8sObject[] = withAttempt(rendered.objects, 1);
  const created: string[] = objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name);
  if (options.createSecret && s3Secret) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: s3Secret,
        namespace: target.namespace,
        labels: { ...labels },
        annotations: { ...annotations, [ANNOTATION.dataFrom]: "the local S3 credentials, at submit (never printed)" },
      },
      type: "Opaque",
    });
    created.push(s3Secret);
  }
  const replicas = rendered.pods.flatMap((g) => Array.from({ length: g.count }, (_, i) => `${g.role}-${i}`));
  const pvcs = [
    ...new Set(
      [spec.code, ...spec.inputs.map((i) => i.uri), ...spec.outputs.flatMap((o) => (o.uri ? [o.uri] : []))].flatMap((u) => (u.scheme === "pvc" ? [u.claim] : [])),
    ),
  ];
  const plan: KubernetesPlan = {
    backend: "kubernetes",
    runId: spec.runId,
    spec: specToJSON(spec),
    runDir: join(ctx.runsDir, spec.runId),
    target,
    options,
    needs,
    primary: rendered.primary,
    daemons: rendered.daemons,
    pods: rendered.pods,
    replicas,
    inputs: data.inputs,
    uploads: data.uploads,
    ...(data.eventsUri ? { eventsUri: data.eventsUri } : {}),
    secrets: { ...(options.s3Secret ? { s3: options.s3Secret } : s3Secret ? { s3: s3Secret } : {}), created },
    pvcs,
    notes: [...data.notes, ...rendered.notes],
    objects,
  };
  return deepFreeze(plan);
}

/** What `render` prints: a comment header saying where and why, then the objects as multi-document YAML. */
export function manifestText(plan: KubernetesPlan): string {
  const t = plan.target;
  const head = [
    `# run ${plan.runId}: ${plan.spec.component.name} ${plan.spec.component.version}, distribute ${plan.spec.distribute}`,
    `# namespace: ${t.namespace} (from: ${t.namespaceFrom})${t.context ? `   context: ${t.context}` : ""}${t.server ? `   server: ${t.server}` : ""}`,
    `# engine: ${t.engine} (${t.engineWhy})`,
    ...(plan.secrets.created.length ? [`# created at submit, with data that is never printed: Secret ${plan.secrets.created.join(", Secret ")}`] : []),
    ...inputSourceComments(plan.spec),
    ...plan.notes.map((n) => `# note: ${n}`),
  ];
  const docs = plan.objects.map((o) => toYaml(o, { lineWidth: -1, noRefs: true }).trimEnd());
  return `${head.join("\n")}\n---\n${docs.join("\n---\n")}\n`;
}

/** `render`'s output: the objects are checked against the schemas first, exactly as submit checks them. */
export async function kubernetesManifest(plan: KubernetesPlan): Promise<string> {
  await validateObjects(plan.objects);
  return manifestText(plan);
}
