import { ANNOTATION, LABEL } from "./names.js";
import type { JsonObject, K8sObject, ObjectRef } from "./objects.js";
import { COMPLETION_INDEX, indexedJob, TRAIN_CONTAINER } from "./job.js";
import { mpirun, slotsPerWorker, SSHD } from "./mpijob.js";
import { envRef, INDEX_ENV, podTemplate, type RoleSpec } from "./pod.js";
import { meta, ONE_PROCESS_PER_POD, type RenderContext, type Rendered, tfFlags } from "./render-context.js";

/**
 * The operator-free engine: the three distributed types on any cluster, as
 * one Indexed batch/v1 Job per role plus a headless Service that gives every
 * pod a stable name (`<job>-<index>.<service>`), with the environment the
 * operators would have set rendered here. The pod's index comes from the
 * completion-index annotation (downward API), referenced as $(AVES2_INDEX).
 */

export const DDP_PORT = 29500;
export const TF_PORT = 2222;
export const SSH_SECRET_MOUNT = "/root/.ssh";
export const HOSTFILE_DIR = "/etc/mpi";

function host(ctx: RenderContext, job: string, index: number): string {
  return `${job}-${index}.${ctx.base}.${ctx.namespace}.svc`;
}

function headlessService(ctx: RenderContext, port: { name: string; port: number }): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(ctx, ctx.base),
    spec: {
      clusterIP: "None",
      // ranks look each other up before they are ready
      publishNotReadyAddresses: true,
      selector: { [LABEL.runId]: ctx.spec.runId },
      ports: [{ name: port.name, port: port.port, targetPort: port.port, protocol: "TCP" }],
    },
  };
}

function role(ctx: RenderContext, r: Omit<RoleSpec, "labels" | "annotations" | "indexFrom" | "subdomain">): RoleSpec {
  return { ...r, indexFrom: COMPLETION_INDEX, subdomain: ctx.base, labels: ctx.labels, annotations: ctx.annotations };
}

function ref(o: K8sObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
}

/** PYTORCH_DDP: one Indexed Job of WORLD_SIZE pods; rank = index, the master is pod 0. */
function nativeDDP(ctx: RenderContext): Rendered {
  const worker = ctx.spec.resources.worker;
  const jobName = `${ctx.base}-worker`;
  const env: JsonObject[] = [
    { name: "MASTER_ADDR", value: host(ctx, jobName, 0) },
    { name: "MASTER_PORT", value: String(DDP_PORT) },
    { name: "WORLD_SIZE", value: String(worker.count) },
    { name: "RANK", value: `$(${INDEX_ENV})` },
    ...ONE_PROCESS_PER_POD,
  ];
  const template = podTemplate(
    role(ctx, { role: "worker", container: TRAIN_CONTAINER, image: ctx.images.worker, command: ctx.argv, env, resources: worker, writesOutputs: true, ports: [{ name: "rendezvous", containerPort: DDP_PORT }] }),
    ctx.data,
    ctx.staging,
    ctx.runEnv,
  );
  const job = indexedJob(ctx, jobName, "worker", worker.count, template, true);
  return {
    objects: [job, headlessService(ctx, { name: "rendezvous", port: DDP_PORT })],
    primary: ref(job),
    pods: [{ role: "worker", count: worker.count, resources: worker, container: TRAIN_CONTAINER }],
    daemons: [],
    notes: [],
  };
}

/** TF_PS: a ps Job and a worker Job; TF_CONFIG and the AVES2 flags name every task's host. */
function nativeTFPS(ctx: RenderContext): Rendered {
  const ps = ctx.spec.resources.ps!;
  const worker = ctx.spec.resources.worker;
  const psJob = `${ctx.base}-ps`;
  const workerJob = `${ctx.base}-worker`;
  const psHosts = Array.from({ length: ps.count }, (_, i) => `${host(ctx, psJob, i)}:${TF_PORT}`);
  const workerHosts = Array.from({ length: worker.count }, (_, i) => `${host(ctx, workerJob, i)}:${TF_PORT}`);
  const tfConfig = (type: "ps" | "worker") =>
    JSON.stringify({ cluster: { ps: psHosts, worker: workerHosts }, task: { type, index: -1 }, environment: "cloud" }).replace('"index":-1', `"index":$(${INDEX_ENV})`);
  const template = (type: "ps" | "worker") =>
    podTemplate(
      role(ctx, {
        role: type,
        container: TRAIN_CONTAINER,
        image: type === "ps" ? ctx.images.ps : ctx.images.worker,
        command: [...ctx.argv, ...tfFlags(psHosts, workerHosts, type, envRef(INDEX_ENV))],
        env: [{ name: "TF_CONFIG", value: tfConfig(type) }],
        resources: type === "ps" ? ps : worker,
        writesOutputs: type === "worker",
        ports: [{ name: "tf", containerPort: TF_PORT }],
      }),
      ctx.data,
      ctx.staging,
      ctx.runEnv,
    );
  const workers = indexedJob(ctx, workerJob, "worker", worker.count, template("worker"), true);
  const servers = indexedJob(ctx, psJob, "ps", ps.count, template("ps"), false);
  return {
    objects: [workers, servers, headlessService(ctx, { name: "tf", port: TF_PORT })],
    primary: ref(workers),
    pods: [
      { role: "ps", count: ps.count, resources: ps, container: TRAIN_CONTAINER },
      { role: "worker", count: worker.count, resources: worker, container: TRAIN_CONTAINER },
    ],
    // parameter servers wait for work forever: the run ends with its workers
    daemons: [ref(servers)],
    notes: [],
  };
}

/**
 * HOROVOD: a launcher Job (rank 0 and mpirun, with a hostfile we render) and
 * a Job of sshd workers for the other ranks; an SSH key pair, generated at
 * submit into a Secret, lets mpirun reach them.
 */
function nativeHorovod(ctx: RenderContext): Rendered {
  const worker = ctx.spec.resources.worker;
  const slots = slotsPerWorker(worker.gpu);
  const launcherJob = `${ctx.base}-launcher`;
  const workerJob = `${ctx.base}-worker`;
  const sshSecret = `${ctx.base}-ssh`;
  const hostfile = [host(ctx, launcherJob, 0), ...Array.from({ length: worker.count - 1 }, (_, i) => host(ctx, workerJob, i))].map((h) => `${h} slots=${slots}\n`).join("");
  const secret: K8sObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { ...meta(ctx, sshSecret), annotations: { ...ctx.annotations, [ANNOTATION.dataFrom]: "an SSH key pair generated at submit (never printed)" } },
    type: "Opaque",
  };
  const configMap: K8sObject = { apiVersion: "v1", kind: "ConfigMap", metadata: meta(ctx, `${ctx.base}-mpi`), data: { hostfile } };
  const sshVolume = {
    name: "ssh",
    secret: {
      secretName: sshSecret,
      defaultMode: 0o600,
      items: [
        { key: "ssh-privatekey", path: "id_rsa" },
        { key: "ssh-publickey", path: "id_rsa.pub" },
        { key: "ssh-publickey", path: "authorized_keys" },
      ],
    },
  };
  const sshMount = { name: "ssh", mountPath: SSH_SECRET_MOUNT, readOnly: true };
  const mpiEnv: JsonObject[] = [
    { name: "OMPI_MCA_plm_rsh_args", value: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" },
    { name: "OMPI_ALLOW_RUN_AS_ROOT", value: "1" },
    { name: "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", value: "1" },
  ];
  const launcher = podTemplate(
    role(ctx, {
      role: "launcher",
      container: TRAIN_CONTAINER,
      image: ctx.images.worker,
      command: mpirun(ctx, worker.count, ["--hostfile", `${HOSTFILE_DIR}/hostfile`]),
      env: mpiEnv,
      resources: worker,
      writesOutputs: true,
      extraVolumes: [sshVolume, { name: "mpi", configMap: { name: `${ctx.base}-mpi` } }],
      extraMounts: [sshMount, { name: "mpi", mountPath: HOSTFILE_DIR, readOnly: true }],
    }),
    ctx.data,
    ctx.staging,
    ctx.runEnv,
  );
  const launcherObj = indexedJob(ctx, launcherJob, "launcher", 1, launcher, true);
  const objects: K8sObject[] = [launcherObj, headlessService(ctx, { name: "ssh", port: 22 }), secret, configMap];
  const daemons: ObjectRef[] = [];
  if (worker.count > 1) {
    const workers = podTemplate(
      role(ctx, {
        role: "worker",
        container: TRAIN_CONTAINER,
        image: ctx.images.worker,
        command: SSHD,
        env: [],
        resources: worker,
        writesOutputs: false,
        daemon: true,
        extraVolumes: [sshVolume],
        extraMounts: [sshMount],
      }),
      ctx.data,
      ctx.staging,
      ctx.runEnv,
    );
    const w = indexedJob(ctx, workerJob, "worker", worker.count - 1, workers, false);
    objects.push(w);
    daemons.push(ref(w));
  }
  return {
    objects,
    primary: ref(launcherObj),
    pods: [
      { role: "launcher", count: 1, resources: worker, container: TRAIN_CONTAINER },
      ...(worker.count > 1 ? [{ role: "worker", count: worker.count - 1, resources: worker, container: TRAIN_CONTAINER }] : []),
    ],
    daemons,
    notes: ["the worker image must have sshd and OpenMPI (Horovod images do)"],
  };
}

export function renderNative(ctx: RenderContext): Rendered {
  switch (ctx.spec.distribute) {
    case "PYTORCH_DDP":
      return nativeDDP(ctx);
    case "TF_PS":
      return nativeTFPS(ctx);
    case "HOROVOD":
      return nativeHorovod(ctx);
    default:
      throw new Error(`no native rendering for ${ctx.spec.distribute}`);
  }
}
