import type { JsonObject, K8sObject } from "./objects.js";
import { podTemplate } from "./pod.js";
import { meta, ONE_PROCESS_PER_POD, type RenderContext, type Rendered, runPolicy } from "./render-context.js";

/** The training operator finds the PyTorch container by this name and sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK in it. */
export const PYTORCH_CONTAINER = "pytorch";
const PORT = { name: "pytorchjob-port", containerPort: 23456 };

/** PYTORCH_DDP → kubeflow.org/v1 PyTorchJob: a Master (rank 0, writes the outputs) and N-1 Workers, one process per pod. */
export function renderPyTorchJob(ctx: RenderContext): Rendered {
  const worker = ctx.spec.resources.worker;
  const name = ctx.base;
  const replica = (role: "master" | "worker", replicas: number): JsonObject => ({
    replicas,
    restartPolicy: "Never",
    template: podTemplate(
      {
        role,
        container: PYTORCH_CONTAINER,
        image: ctx.images.worker,
        command: ctx.argv,
        env: [...ONE_PROCESS_PER_POD],
        resources: worker,
        writesOutputs: role === "master",
        ports: [PORT],
        labels: ctx.labels,
        annotations: ctx.annotations,
      },
      ctx.data,
      ctx.staging,
      ctx.runEnv,
    ),
  });
  const specs: JsonObject = { Master: replica("master", 1), ...(worker.count > 1 ? { Worker: replica("worker", worker.count - 1) } : {}) };
  const job: K8sObject = {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata: meta(ctx, name, { primary: true }),
    // one process per pod: the operator then sets WORLD_SIZE to the number of pods
    spec: { nprocPerNode: "1", runPolicy: runPolicy(ctx), pytorchReplicaSpecs: specs },
  };
  return {
    objects: [job],
    primary: { apiVersion: "kubeflow.org/v1", kind: "PyTorchJob", name },
    pods: [
      { role: "master", count: 1, resources: worker, container: PYTORCH_CONTAINER },
      ...(worker.count > 1 ? [{ role: "worker", count: worker.count - 1, resources: worker, container: PYTORCH_CONTAINER }] : []),
    ],
    daemons: [],
    notes: [],
  };
}
