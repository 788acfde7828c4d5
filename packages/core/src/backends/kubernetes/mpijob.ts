import type { JsonObject, K8sObject } from "./objects.js";
import { podTemplate } from "./pod.js";
import { meta, type RenderContext, type Rendered, runPolicy } from "./render-context.js";
import { PATHS } from "./pod-paths.js";

export const MPI_CONTAINER = "mpi";
/** Workers only serve mpirun's ssh connections; the image must have sshd (Horovod images do). */
export const SSHD = ["/usr/sbin/sshd", "-De"] as const;

/** Slots per worker: one process per GPU, else one per pod. */
export function slotsPerWorker(gpu: number): number {
  return gpu > 0 ? gpu : 1;
}

/** The mpirun command line: every rank gets the run's variables and runs in the code folder. */
export function mpirun(ctx: RenderContext, hosts: number, extra: readonly string[] = []): string[] {
  const slots = slotsPerWorker(ctx.spec.resources.worker.gpu);
  const names = ["PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "AVES2_RUN_ID", ...(ctx.spec.env ?? []).map((e) => e.name)];
  return [
    "mpirun",
    "--allow-run-as-root",
    "-np",
    String(hosts * slots),
    ...extra,
    "-bind-to",
    "none",
    "-map-by",
    "slot",
    ...names.flatMap((n) => ["-x", n]),
    "-wdir",
    PATHS.code,
    ...ctx.argv,
  ];
}

/**
 * HOROVOD → kubeflow.org/v2beta1 MPIJob (mpi-operator). The launcher runs
 * rank 0 itself (runLauncherAsWorker), so the outputs are written, and
 * uploaded, in its pod; N-1 workers run sshd for the other ranks.
 */
export function renderMPIJob(ctx: RenderContext): Rendered {
  const worker = ctx.spec.resources.worker;
  const name = ctx.base;
  const launcher = podTemplate(
    {
      role: "launcher",
      container: MPI_CONTAINER,
      image: ctx.images.worker,
      command: mpirun(ctx, worker.count),
      env: [],
      resources: worker,
      writesOutputs: true,
      labels: ctx.labels,
      annotations: ctx.annotations,
    },
    ctx.data,
    ctx.staging,
    ctx.runEnv,
  );
  const workers = podTemplate(
    { role: "worker", container: MPI_CONTAINER, image: ctx.images.worker, command: SSHD, env: [], resources: worker, writesOutputs: false, daemon: true, labels: ctx.labels, annotations: ctx.annotations },
    ctx.data,
    ctx.staging,
    ctx.runEnv,
  );
  const specs: JsonObject = {
    Launcher: { replicas: 1, restartPolicy: "Never", template: launcher },
    ...(worker.count > 1 ? { Worker: { replicas: worker.count - 1, restartPolicy: "Never", template: workers } } : {}),
  };
  const job: K8sObject = {
    apiVersion: "kubeflow.org/v2beta1",
    kind: "MPIJob",
    metadata: meta(ctx, name, { primary: true }),
    spec: { slotsPerWorker: slotsPerWorker(worker.gpu), runLauncherAsWorker: true, mpiImplementation: "OpenMPI", runPolicy: runPolicy(ctx), mpiReplicaSpecs: specs },
  };
  return {
    objects: [job],
    primary: { apiVersion: "kubeflow.org/v2beta1", kind: "MPIJob", name },
    pods: [
      { role: "launcher", count: 1, resources: worker, container: MPI_CONTAINER },
      ...(worker.count > 1 ? [{ role: "worker", count: worker.count - 1, resources: worker, container: MPI_CONTAINER }] : []),
    ],
    daemons: [],
    notes: [],
  };
}
