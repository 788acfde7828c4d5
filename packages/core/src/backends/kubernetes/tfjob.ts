import type { K8sObject } from "./objects.js";
import { envRef, INDEX_ENV, podTemplate } from "./pod.js";
import { meta, type RenderContext, type Rendered, runPolicy, tfFlags } from "./render-context.js";

/** The training operator finds the TensorFlow container by this name, and its port by this one. */
export const TF_CONTAINER = "tensorflow";
export const TF_PORT = 2222;
const TF_PORT_NAME = "tfjob-port";

/** The pod's index within its replica type, as the training operator labels it. */
export const KUBEFLOW_INDEX = { fieldRef: { fieldPath: "metadata.labels['training.kubeflow.org/replica-index']" } };

/** Kubeflow names a TFJob's pods and their Services `<job>-<type>-<index>`. */
export function kubeflowHosts(ctx: RenderContext, name: string, type: string, count: number, port: number): string[] {
  return Array.from({ length: count }, (_, i) => `${name}-${type}-${i}.${ctx.namespace}.svc:${port}`);
}

/** TF_PS → kubeflow.org/v1 TFJob with PS and Worker replicas; the operator sets TF_CONFIG, the AVES2 flags come from us. */
export function renderTFJob(ctx: RenderContext): Rendered {
  const ps = ctx.spec.resources.ps!;
  const worker = ctx.spec.resources.worker;
  const name = ctx.base;
  const psHosts = kubeflowHosts(ctx, name, "ps", ps.count, TF_PORT);
  const workerHosts = kubeflowHosts(ctx, name, "worker", worker.count, TF_PORT);
  const ports = [{ name: TF_PORT_NAME, containerPort: TF_PORT }];
  const replica = (role: "ps" | "worker") => ({
    replicas: role === "ps" ? ps.count : worker.count,
    restartPolicy: "Never",
    template: podTemplate(
      {
        role,
        container: TF_CONTAINER,
        image: role === "ps" ? ctx.images.ps : ctx.images.worker,
        command: [...ctx.argv, ...tfFlags(psHosts, workerHosts, role, envRef(INDEX_ENV))],
        env: [],
        resources: role === "ps" ? ps : worker,
        // worker 0 is the chief: it writes the outputs
        writesOutputs: role === "worker",
        indexFrom: KUBEFLOW_INDEX,
        ports,
        labels: ctx.labels,
        annotations: ctx.annotations,
      },
      ctx.data,
      ctx.staging,
      ctx.runEnv,
    ),
  });
  const job: K8sObject = {
    apiVersion: "kubeflow.org/v1",
    kind: "TFJob",
    metadata: meta(ctx, name, { primary: true }),
    spec: { runPolicy: runPolicy(ctx), tfReplicaSpecs: { PS: replica("ps"), Worker: replica("worker") } },
  };
  return {
    objects: [job],
    primary: { apiVersion: "kubeflow.org/v1", kind: "TFJob", name },
    pods: [
      { role: "ps", count: ps.count, resources: ps, container: TF_CONTAINER },
      { role: "worker", count: worker.count, resources: worker, container: TF_CONTAINER },
    ],
    daemons: [],
    notes: [],
  };
}
