import { join } from "node:path";
import { type Problem, UserError } from "../../errors.js";
import { buildArgv } from "../../run/argv.js";
import { logsUri } from "../../run/logs-location.js";
import { deepFreeze } from "../../run/freeze.js";
import { type RunSpec, specToJSON } from "../../run/spec.js";
import { storeFor } from "@aves2/storage";
import { DEFAULT_S3 } from "@aves2/storage/config";
import type { S3Settings } from "@aves2/storage/config";
import { type DataUri, formatUri, isArchive } from "@aves2/storage/uri";
import type { Plan } from "../backend.js";

export interface LocalProcess {
  readonly replica: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Added to the inherited environment. `MASTER_PORT: "auto"` gets a free port at submit. */
  readonly env: Readonly<Record<string, string>>;
}

export interface LocalPlan extends Plan {
  readonly backend: "local";
  readonly runDir: string;
  /** When the command starts with python: the modules the interpreter chosen at submit must have. */
  readonly python?: { readonly modules: readonly string[]; readonly packages: Readonly<Record<string, string>> };
  /** The code is copied to `to` (downloaded, unpacked), with shared runtime libraries beside it. */
  readonly code: { readonly from: string; readonly to: string; readonly libs: readonly string[]; readonly stage: StageMethod };
  readonly inputs: readonly { readonly name: string; readonly uri: string; readonly to: string; readonly stage: StageMethod }[];
  /** Saved to `uri` after the run (also after a failure); a completion marker (`_SUCCESS`) is written last when it succeeded. */
  readonly outputs: readonly { readonly name: string; readonly dir: string; readonly uri?: string }[];
  /** Where the run's logs are saved after it ends: the job's log dir, or `logs/<run-id>/` beside the first output in object storage. */
  readonly logs?: { readonly uri: string };
  /** How s3:// is reached (no credentials: those are looked up when the run starts). */
  readonly storage?: { readonly s3: S3Settings };
  readonly processes: readonly LocalProcess[];
}

/** How an input reaches the run: `link` (a local folder), `copy`, `unpack` (a local archive), `download`, `download+unpack`. */
export type StageMethod = "link" | "copy" | "unpack" | "download" | "download+unpack";

export interface LocalPlanContext {
  readonly runsDir: string;
  /** Settings for s3:// URIs; recorded in the plan when the run uses any. */
  readonly s3?: S3Settings;
  /** Shared Python packages copied next to every component's code (e.g. aves2_runtime). */
  readonly libs: readonly string[];
}

const PYTHON_RE = /^python(3(\.\d+)?)?$/;

/** RunSpec → what the local backend would do. Pure: it only computes paths and argv. */
export function planLocal(spec: RunSpec, ctx: LocalPlanContext): LocalPlan {
  const problems: Problem[] = [];
  for (const i of spec.inputs) tryStore(() => storeFor(i.uri, `--input ${i.name}`).validate?.(i.uri, `--input ${i.name}`, "input"), problems);
  for (const o of spec.outputs) if (o.uri) tryStore(() => storeFor(o.uri!, `--output ${o.name}`).validate?.(o.uri!, `--output ${o.name}`, "output"), problems);
  tryStore(() => storeFor(spec.code, "--code").validate?.(spec.code, "--code", "input"), problems);
  if (spec.distribute === "TF_PS" || spec.distribute === "HOROVOD") {
    problems.push({ path: "--distribute", message: `${spec.distribute} cannot run on the local backend`, hint: "use --backend kubernetes or aves2" });
  }
  if (problems.length > 0) throw new UserError(problems);

  const runDir = join(ctx.runsDir, spec.runId);
  const src = join(runDir, "src");
  const inputs = spec.inputs.map((i) => ({ name: i.name, uri: formatUri(i.uri), to: join(runDir, "data", i.name), stage: stageMethod(i.uri, "link") }));
  const outputs = spec.outputs.map((o) => ({ name: o.name, dir: join(runDir, "output", o.name), ...(o.uri ? { uri: formatUri(o.uri) } : {}) }));
  const argv = buildArgv(
    spec.component.command,
    spec.params,
    inputs.map((i) => ({ name: i.name, dir: i.to })),
    outputs.map((o) => ({ name: o.name, dir: o.dir })),
  );
  const world = spec.distribute === "PYTORCH_DDP" ? spec.resources.worker.count : 1;
  const processes: LocalProcess[] = Array.from({ length: world }, (_, rank) => ({
    replica: `worker-${rank}`,
    argv,
    cwd: src,
    env: {
      ...Object.fromEntries((spec.env ?? []).map((e) => [e.name, e.value])),
      AVES2_RUN_ID: spec.runId,
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      ...(world > 1
        ? { MASTER_ADDR: "127.0.0.1", MASTER_PORT: "auto", RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(world) }
        : {}),
    },
  }));
  const py = spec.component.runtime.python;
  const logs = logsUri(spec);
  const usesS3 = [spec.code, ...spec.inputs.map((i) => i.uri), ...spec.outputs.flatMap((o) => (o.uri ? [o.uri] : [])), ...(spec.logDir ? [spec.logDir] : [])].some((u) => u.scheme === "s3");
  const plan: LocalPlan = {
    backend: "local",
    runId: spec.runId,
    spec: specToJSON(spec),
    runDir,
    ...(PYTHON_RE.test(spec.component.command[0] ?? "") && py ? { python: { modules: py.modules, packages: py.packages } } : {}),
    code: { from: formatUri(spec.code), to: src, libs: py ? ctx.libs : [], stage: stageMethod(spec.code, "copy") },
    inputs,
    outputs,
    ...(logs ? { logs: { uri: logs } } : {}),
    ...(usesS3 ? { storage: { s3: ctx.s3 ?? DEFAULT_S3 } } : {}),
    processes,
  };
  return deepFreeze(plan);
}

function stageMethod(uri: DataUri, folder: "link" | "copy"): StageMethod {
  const archive = isArchive(formatUri(uri));
  if (uri.scheme === "s3") return archive ? "download+unpack" : "download";
  return archive ? "unpack" : folder;
}


function tryStore(f: () => unknown, problems: Problem[]): void {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) problems.push(...e.problems);
    else throw e;
  }
}
