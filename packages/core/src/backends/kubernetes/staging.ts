import { readFileSync } from "node:fs";
import { basename, relative, sep } from "node:path";
import type { Problem } from "../../errors.js";
import type { S3Settings } from "@aves2/storage/config";
import { type DataUri, formatUri } from "@aves2/storage/uri";
import type { RunSpec } from "../../run/spec.js";
import { logsUri } from "../../run/logs-location.js";
import { dnsLabel, literal } from "./names.js";
import type { JsonObject } from "./objects.js";
import { EVENTS_FILE, PATHS, TRAIN_LOG_DIR } from "./pod-paths.js";
import { uploaderScript } from "./pod-scripts.js";

/**
 * Data in the pod (see docker/staging/Dockerfile and the README's Kubernetes section):
 *
 * - The training container reads inputs from /aves2/data/<name>, writes
 *   outputs to /aves2/output/<name> and runs in /aves2/code.
 * - `s3://` inputs (and code) are downloaded by init containers running the
 *   staging image (`component storage sync`, the same engine local runs use);
 *   data bundled with the component (its default inputs, its source) is copied
 *   out of the staging image, which is built from this repository.
 * - `pvc://`, `hostpath://`, `nfs://` are volumes mounted in place.
 * - `s3://` outputs are uploaded by a second container of the pod, the
 *   uploader, once the training container has ended, success, failure or
 *   cancel: the training command runs under a small `sh` init (pod-scripts.ts)
 *   that forwards the stop signal to it, tees its log into
 *   /aves2/run/logs/train.log and writes its exit code to a shared emptyDir,
 *   which the uploader waits for. The upload ends with the completion marker
 *   (`_SUCCESS`) when training succeeded.
 * - The log folder (train.log, and events.jsonl: the AVES2_EVENT lines) is
 *   uploaded too, as local runs save theirs: to --log-dir, else beside the
 *   first s3:// output (logs/<run-id>/). `status` reads the metrics back from
 *   there when the pod's log, rotated by the kubelet, no longer holds them.
 * - Storage credentials come only from a Secret, by reference (`envFrom`).
 */

export const VOLUMES = { code: "aves2-code", data: "aves2-data", output: "aves2-output", run: "aves2-run" } as const;

/** Kubernetes expands $(VAR) in command and args: every argument (URIs, paths) reaches the shell as written. */
function args(...argv: string[]): string[] {
  return argv.map(literal);
}

const COPY_CODE = `set -e; src="$1"; shift; cp -R "$src/." ${PATHS.code}/; for lib in "$@"; do cp -R "$lib" ${PATHS.code}/; done`;
const SYNC_CODE = `set -e; uri="$1"; shift; component storage sync "$uri" ${PATHS.code}; for lib in "$@"; do cp -R "$lib" ${PATHS.code}/; done`;

export type Container = JsonObject;
export type Volume = JsonObject;
export type VolumeMount = JsonObject;

export interface StagingInput {
  readonly name: string;
  readonly uri: string;
  /** How it reaches the pod. */
  readonly via: "download" | "bundled" | "volume";
}

/** Everything about data that is the same in every pod of a run. */
export interface PodData {
  readonly volumes: readonly Volume[];
  /** Init containers (staging image): code first, then inputs. */
  readonly initContainers: readonly Container[];
  /** Mounts of the training container. */
  readonly mounts: readonly VolumeMount[];
  readonly inputDirs: readonly { readonly name: string; readonly dir: string }[];
  readonly outputDirs: readonly { readonly name: string; readonly dir: string }[];
  /** (local dir, s3 uri) pairs the uploader saves: the log folder first, when it is saved. */
  readonly uploads: readonly { readonly dir: string; readonly uri: string }[];
  /** Where the uploader saves events.jsonl (the run's AVES2_EVENT lines), when it saves the logs. */
  readonly eventsUri?: string;
  readonly needsS3Secret: boolean;
  readonly inputs: readonly StagingInput[];
  readonly notes: readonly string[];
}

export interface StagingContext {
  readonly stagingImage: string;
  /** A Secret with the S3 credentials, when one is needed and known. */
  readonly s3Secret?: string;
  readonly s3: S3Settings;
  /** Basenames of the shared libraries (aves2_runtime) copied beside the code. */
  readonly libs: readonly string[];
}

/** Limits on cpu too: a namespace whose ResourceQuota counts limits.cpu refuses any pod with a container that sets none. */
const STAGING_RESOURCES: JsonObject = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };

/** The non-secret settings of the S3 endpoint, as the storage engine reads them from its environment. */
export function s3Env(s3: S3Settings): JsonObject[] {
  return [
    ...(s3.endpoint ? [{ name: "AWS_ENDPOINT_URL_S3", value: s3.endpoint }] : []),
    { name: "AWS_REGION", value: s3.region },
    { name: "AVES2_S3_PATH_STYLE", value: String(s3.pathStyle) },
  ];
}

/** Where in the staging image a file of the component's folder is, or undefined when it is not in it. */
function bundledPath(spec: RunSpec, path: string): string | undefined {
  const rel = relative(spec.component.dir, path);
  if (rel.startsWith("..") || rel.startsWith(sep)) return undefined;
  const inside = rel.split(sep).filter(Boolean).join("/");
  return `${PATHS.image}/components/${basename(spec.component.dir)}${inside ? `/${inside}` : ""}`;
}

/**
 * RunSpec → volumes, staging containers and mounts. Pure. Problems (local
 * folders a cluster cannot read, missing credentials) are collected, not thrown.
 */
export function podData(spec: RunSpec, ctx: StagingContext, problems: Problem[]): PodData {
  const volumes: Volume[] = [
    { name: VOLUMES.code, emptyDir: {} },
    { name: VOLUMES.data, emptyDir: {} },
    { name: VOLUMES.output, emptyDir: {} },
    { name: VOLUMES.run, emptyDir: {} },
  ];
  const volumeNames = new Set<string>(Object.values(VOLUMES));
  const containerNames = new Set<string>();
  const byKey = new Map<string, string>();
  /** One volume per claim / host path / export, however many bindings use it. */
  const volumeFor = (uri: DataUri, readOnly: boolean): { volume: string; subPath?: string } => {
    const key = uri.scheme === "pvc" ? `pvc:${uri.claim}` : formatUri(uri);
    let name = byKey.get(key);
    if (!name) {
      const label = uri.scheme === "pvc" ? uri.claim : uri.scheme === "nfs" ? `${uri.server}${uri.path}` : uri.scheme === "hostpath" ? uri.path : "x";
      name = dnsLabel(uri.scheme, label, volumeNames);
      byKey.set(key, name);
      // read-only is a property of each mount (inputs), not of the volume: one claim or export
      // often holds both the inputs and the outputs of a run
      if (uri.scheme === "pvc") volumes.push({ name, persistentVolumeClaim: { claimName: uri.claim } });
      else if (uri.scheme === "hostpath") volumes.push({ name, hostPath: { path: uri.path, type: readOnly ? "Directory" : "DirectoryOrCreate" } });
      else if (uri.scheme === "nfs") volumes.push({ name, nfs: { server: uri.server, path: uri.path } });
    }
    return uri.scheme === "pvc" && uri.subPath ? { volume: name, subPath: uri.subPath.replace(/\/+$/, "") } : { volume: name };
  };

  const stageEnv = (): JsonObject => ({
    env: s3Env(ctx.s3),
    ...(ctx.s3Secret ? { envFrom: [{ secretRef: { name: ctx.s3Secret } }] } : {}),
  });
  let needsS3Secret = false;
  const initContainers: Container[] = [];
  const notes: string[] = [];
  const libs = ctx.libs.map((l) => `${PATHS.image}/lib/${l}`);

  // code
  const code = spec.code;
  const codeMount = { name: VOLUMES.code, mountPath: PATHS.code };
  if (code.scheme === "file") {
    const inImage = bundledPath(spec, code.path);
    if (!inImage) {
      problems.push({
        path: "--code",
        message: `${code.path} is a local folder, which a cluster cannot read`,
        hint: "upload it (component storage sync <dir> s3://bucket/code/) and pass --code s3://bucket/code/, or use pvc://, hostpath://, nfs://",
      });
    }
    initContainers.push({ name: "stage-code", image: ctx.stagingImage, command: args("sh", "-c", COPY_CODE, "stage-code", inImage ?? code.path, ...libs), volumeMounts: [codeMount], resources: STAGING_RESOURCES });
  } else if (code.scheme === "s3") {
    needsS3Secret = true;
    initContainers.push({ name: "stage-code", image: ctx.stagingImage, command: args("sh", "-c", SYNC_CODE, "stage-code", formatUri(code), ...libs), ...stageEnv(), volumeMounts: [codeMount], resources: STAGING_RESOURCES });
  } else {
    const v = volumeFor(code, true);
    initContainers.push({
      name: "stage-code",
      image: ctx.stagingImage,
      command: args("sh", "-c", COPY_CODE, "stage-code", `${PATHS.mnt}/code`, ...libs),
      volumeMounts: [codeMount, { name: v.volume, mountPath: `${PATHS.mnt}/code`, readOnly: true, ...(v.subPath ? { subPath: v.subPath } : {}) }],
      resources: STAGING_RESOURCES,
    });
  }
  containerNames.add("stage-code");

  // inputs
  const mounts: VolumeMount[] = [
    { name: VOLUMES.code, mountPath: PATHS.code },
    { name: VOLUMES.data, mountPath: PATHS.data },
    { name: VOLUMES.output, mountPath: PATHS.output },
    { name: VOLUMES.run, mountPath: PATHS.run },
  ];
  const inputDirs: { name: string; dir: string }[] = [];
  const inputs: StagingInput[] = [];
  for (const input of spec.inputs) {
    const dir = `${PATHS.data}/${input.name}`;
    inputDirs.push({ name: input.name, dir });
    const uri = input.uri;
    const what = `--input ${input.name}`;
    if (uri.scheme === "s3") {
      needsS3Secret = true;
      initContainers.push({
        name: dnsLabel("stage-in", input.name, containerNames),
        image: ctx.stagingImage,
        command: args("component", "storage", "sync", formatUri(uri), dir),
        ...stageEnv(),
        volumeMounts: [{ name: VOLUMES.data, mountPath: PATHS.data }],
        resources: STAGING_RESOURCES,
      });
      inputs.push({ name: input.name, uri: formatUri(uri), via: "download" });
    } else if (uri.scheme === "file") {
      const inImage = bundledPath(spec, uri.path);
      if (!inImage) {
        problems.push({
          path: what,
          message: `${uri.path} is a local folder, which a cluster cannot read`,
          hint: `upload it (component storage sync ${uri.path} s3://bucket/prefix/) and pass s3://..., or use pvc://claim/path, hostpath:///path, nfs://server/path`,
        });
        continue;
      }
      initContainers.push({
        name: dnsLabel("stage-in", input.name, containerNames),
        image: ctx.stagingImage,
        command: args("cp", "-R", inImage, dir),
        volumeMounts: [{ name: VOLUMES.data, mountPath: PATHS.data }],
        resources: STAGING_RESOURCES,
      });
      inputs.push({ name: input.name, uri: uri.path, via: "bundled" });
    } else {
      const v = volumeFor(uri, true);
      mounts.push({ name: v.volume, mountPath: dir, readOnly: true, ...(v.subPath ? { subPath: v.subPath } : {}) });
      inputs.push({ name: input.name, uri: formatUri(uri), via: "volume" });
    }
  }

  // outputs
  const outputDirs: { name: string; dir: string }[] = [];
  const uploads: { dir: string; uri: string }[] = [];
  for (const output of spec.outputs) {
    const dir = `${PATHS.output}/${output.name}`;
    outputDirs.push({ name: output.name, dir });
    const uri = output.uri;
    if (!uri) {
      notes.push(`output ${output.name} is not saved: it lives in the pod only (add --output ${output.name}=s3://... or pvc://...)`);
    } else if (uri.scheme === "s3") {
      needsS3Secret = true;
      uploads.push({ dir, uri: formatUri(uri) });
    } else if (uri.scheme === "file") {
      problems.push({
        path: `--output ${output.name}`,
        message: `${uri.path} is a local folder, which a cluster cannot write`,
        hint: "save it to s3://bucket/prefix/ (and download it with component storage sync), or to pvc://, hostpath://, nfs://",
      });
    } else {
      const v = volumeFor(uri, false);
      mounts.push({ name: v.volume, mountPath: dir, ...(v.subPath ? { subPath: v.subPath } : {}) });
    }
  }
  // the process contract: outputs are empty writable folders. Those on the pod's output emptyDir
  // (saved to s3://, or not saved) are made by the first init container; mounted ones exist.
  const emptyOutputs = spec.outputs.filter((o) => !o.uri || o.uri.scheme === "s3").map((o) => `${PATHS.output}/${o.name}`);
  const first = initContainers[0];
  if (first && emptyOutputs.length) {
    const command = first.command as string[];
    initContainers[0] = {
      ...first,
      command: [...command.slice(0, 2), `mkdir -p ${emptyOutputs.map((d) => `'${d}'`).join(" ")}; ${command[2]}`, ...command.slice(3)],
      volumeMounts: [...(first.volumeMounts as VolumeMount[]), { name: VOLUMES.output, mountPath: PATHS.output }],
    };
  }
  // the logs as local runs save them: --log-dir, else beside the first s3:// output
  let eventsUri: string | undefined;
  if (spec.logDir && spec.logDir.scheme !== "s3") {
    notes.push(`the log folder ${formatUri(spec.logDir)} is only written for s3:// on Kubernetes; logs stay readable with \`component logs\``);
  } else {
    const logs = logsUri(spec);
    if (logs) {
      needsS3Secret = true;
      uploads.unshift({ dir: TRAIN_LOG_DIR, uri: logs });
      eventsUri = `${logs.replace(/\/*$/, "/")}${EVENTS_FILE.slice(TRAIN_LOG_DIR.length + 1)}`;
    }
  }
  if (needsS3Secret && !ctx.s3Secret) {
    problems.push({
      path: "--s3-secret",
      message: "s3:// data on a cluster needs storage credentials, and no Secret was named",
      hint: "--s3-secret NAME (a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the namespace) or --create-secret (made from your local S3 credentials)",
    });
  }
  return { volumes, initContainers, mounts, inputDirs, outputDirs, uploads, ...(eventsUri ? { eventsUri } : {}), needsS3Secret, inputs, notes };
}

/** The uploader container of a pod whose outputs go to s3:// (none when nothing is uploaded). */
export function uploaderContainer(data: PodData, ctx: StagingContext, guardEnv: string | undefined, guardSource: JsonObject | undefined): Container | undefined {
  if (data.uploads.length === 0) return undefined;
  return {
    name: "stage-out",
    image: ctx.stagingImage,
    command: args("sh", "-c", uploaderScript(guardEnv), "stage-out", ...data.uploads.flatMap((u) => [u.dir, u.uri])),
    env: [...(guardEnv && guardSource ? [{ name: guardEnv, valueFrom: guardSource }] : []), ...s3Env(ctx.s3)],
    ...(ctx.s3Secret ? { envFrom: [{ secretRef: { name: ctx.s3Secret } }] } : {}),
    volumeMounts: [
      { name: VOLUMES.output, mountPath: PATHS.output },
      { name: VOLUMES.run, mountPath: PATHS.run },
    ],
    resources: STAGING_RESOURCES,
  };
}

function coreVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "latest";
  }
}

/** The staging image this version of the tool is published with (see docker/staging/Dockerfile). */
export function defaultStagingImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.AVES2_STAGING_IMAGE || `aves2/component-staging:${coreVersion()}`;
}
