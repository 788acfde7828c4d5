import type { RoleResources } from "../../manifest/types.js";
import type { JsonObject, K8sObject } from "./objects.js";
import { type Arg, podTemplate } from "./pod.js";
import { meta, type RenderContext, type Rendered } from "./render-context.js";

export const TRAIN_CONTAINER = "train";

/** The annotation the Job controller puts the completion index of an Indexed Job's pod in. */
export const COMPLETION_INDEX = { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } };

export function jobSpec(ctx: RenderContext, template: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    backoffLimit: ctx.backoffLimit,
    ...(ctx.activeDeadlineSeconds ? { activeDeadlineSeconds: ctx.activeDeadlineSeconds } : {}),
    ttlSecondsAfterFinished: ctx.ttlSecondsAfterFinished,
    ...extra,
    template,
  };
}

/** distribute none: one batch/v1 Job with one pod. */
export function renderJob(ctx: RenderContext): Rendered {
  const resources: RoleResources = ctx.spec.resources.worker;
  const template = podTemplate(
    {
      role: "worker",
      container: TRAIN_CONTAINER,
      image: ctx.images.worker,
      command: ctx.argv as readonly Arg[],
      env: [],
      resources,
      writesOutputs: true,
      labels: ctx.labels,
      annotations: ctx.annotations,
    },
    ctx.data,
    ctx.staging,
    ctx.runEnv,
  );
  const job: K8sObject = { apiVersion: "batch/v1", kind: "Job", metadata: meta(ctx, ctx.base, { primary: true, role: "worker" }), spec: jobSpec(ctx, template) };
  return {
    objects: [job],
    primary: { apiVersion: "batch/v1", kind: "Job", name: ctx.base },
    pods: [{ role: "worker", count: 1, resources, container: TRAIN_CONTAINER }],
    daemons: [],
    notes: [],
  };
}

/** An Indexed Job of `count` pods that find each other as `<name>-<index>.<subdomain>` (the operator-free engine). */
export function indexedJob(ctx: RenderContext, name: string, role: string, count: number, template: JsonObject, primary: boolean): K8sObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta(ctx, name, { primary, role }),
    spec: jobSpec(ctx, template, { completionMode: "Indexed", completions: count, parallelism: count }),
  };
}
