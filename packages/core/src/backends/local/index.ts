import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Setting } from "../../config/config.js";
import { s3Settings } from "@aves2/storage/config";
import { type Problem, UserError } from "../../errors.js";
import type { Launcher } from "../../launcher.js";
import { findPython } from "../../python/find.js";
import { sleep } from "@aves2/storage";
import type { RunSpec } from "../../run/spec.js";
import { cacheRoot, storeFor } from "@aves2/storage";
import type { S3Settings } from "@aves2/storage/config";
import { type RunRecord, TERMINAL_STATES } from "../../records/record.js";
import { claimRunDir, readRecordAt, resolveRunDir, runIds } from "../../records/run-store.js";
import { type Backend, type LogLine, type PlanDescription, type RunHandle, type RunSummary, type SubmitOptions, yamlDescription } from "../backend.js";
import type { BackendFactory } from "../declaration.js";
import type { OptionValues } from "../options.js";
import { attachRun } from "./attach.js";
import { supervisorRunning, withLiveness } from "./liveness.js";
import { type LocalPlan, type LocalPlanContext, planLocal } from "./plan.js";
import { RunFiles } from "./run-files.js";
import { requestCancel } from "./supervise.js";
import { releaseSupervisor, startSupervisor, SUPERVISOR_LOG } from "./supervisor-process.js";

export interface LocalBackendOptions {
  readonly runsDir: string;
  /** Explicit interpreter (config or AVES2_PYTHON); otherwise one is searched for. */
  readonly python?: Setting<string>;
  /** Shared Python packages copied beside the code. */
  readonly libs: readonly string[];
  /** How s3:// is reached (config); credentials are looked up when used. */
  readonly s3?: S3Settings;
}

/** The embedded default: runs on this machine, records under `.aves2/runs/<run-id>/`. */
export class LocalBackend implements Backend<LocalPlan, LocalPlanContext> {
  readonly name = "local";

  constructor(private readonly opts: LocalBackendOptions) {}

  /** Nothing to ask anyone: where runs are recorded, the libraries, the S3 settings. */
  async prepare(): Promise<LocalPlanContext> {
    return this.target();
  }

  private target(): LocalPlanContext {
    return { runsDir: this.opts.runsDir, libs: this.opts.libs, ...(this.opts.s3 ? { s3: this.opts.s3 } : {}) };
  }

  /** Pure (see planLocal). The local backend takes no options. */
  plan(spec: RunSpec, target: LocalPlanContext = this.target(), _options: OptionValues = {}): LocalPlan {
    return planLocal(spec, target);
  }

  describe(plan: LocalPlan): PlanDescription {
    return yamlDescription(plan, plan.processes.map((p) => p.replica));
  }

  /** Outputs where they were saved, else their folder in the run's; the record's place. */
  summarize(record: RunRecord): RunSummary {
    const plan = record.plan as Partial<LocalPlan>;
    const pids = (record.details.pids ?? {}) as Record<string, number>;
    const supervisor = record.details.supervisorPid as number | undefined;
    // while it goes: the processes that carry it (the supervisor survives the CLI that started it)
    const placement = !TERMINAL_STATES.includes(record.state) && supervisor ? `supervisor pid ${supervisor}${Object.entries(pids).map(([r, pid]) => `   ${r} pid ${pid}`).join("")}` : undefined;
    return {
      outputs: (plan.outputs ?? []).map((o) => ({ name: o.name, location: o.uri ?? o.dir })),
      notes: plan.runDir ? [`record: ${plan.runDir}/run.json   logs: component logs ${record.runId}`] : [],
      ...(placement ? { placement } : {}),
    };
  }

  /**
   * Everything that can be checked before a folder is created or a process
   * started; then, all being well, the run's folder is claimed (atomically:
   * runs started at once never share one).
   */
  async preflight(plan: LocalPlan, spec: RunSpec, launcher?: Launcher): Promise<string | undefined> {
    const problems: Problem[] = [];
    const collect = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        if (e instanceof UserError) problems.push(...e.problems);
        else throw e;
      }
    };
    let python: string | undefined;
    if (plan.python) await collect(async () => (python = (await findPython(plan.python!, this.opts.python)).path));
    // object storage is checked too (bucket, prefix, credentials, endpoint, write access), each check failing fast
    const s3 = plan.storage ? { s3: plan.storage.s3 } : {};
    for (const i of spec.inputs) await collect(() => storeFor(i.uri, `--input ${i.name}`).checkInput(i.uri, `--input ${i.name}`, s3));
    for (const o of spec.outputs) if (o.uri) await collect(() => storeFor(o.uri!, `--output ${o.name}`).checkOutput(o.uri!, `--output ${o.name}`, s3));
    if (spec.logDir) await collect(() => storeFor(spec.logDir!, "--log-dir").checkOutput(spec.logDir!, "--log-dir", s3));
    await collect(() => storeFor(spec.code, "--code").checkInput(spec.code, "--code", s3));
    await collect(() => storeFor({ scheme: "file", path: this.opts.runsDir }, "runs folder").checkOutput({ scheme: "file", path: this.opts.runsDir }, "runs folder"));
    // downloads from object storage are written to the content cache first
    const cache = { scheme: "file", path: cacheRoot() } as const;
    if ([spec.code, ...spec.inputs.map((i) => i.uri)].some((u) => u.scheme === "s3")) await collect(() => storeFor(cache, "AVES2_CACHE_DIR").checkOutput(cache, "download cache (AVES2_CACHE_DIR)"));
    if (problems.length === 0 && launcher?.preflight) {
      const dirs = new Map(spec.inputs.map((i) => [i.name, storeFor(i.uri, i.name).localPath?.(i.uri)]));
      problems.push(...((await launcher.preflight({ spec, inputDir: (n) => dirs.get(n) })) ?? []));
    }
    if (problems.length > 0) throw new UserError(problems);
    claimRunDir(plan.runDir);
    return python;
  }

  /**
   * A supervisor process of its own carries every run (see supervise.ts), so
   * that the death of this one never leaves processes behind a dead record.
   * Attached, this process follows the run from its files; detached, it
   * returns once the run is recorded.
   */
  async submit(plan: LocalPlan, spec: RunSpec, opts: SubmitOptions = {}): Promise<RunHandle> {
    let python: string | undefined;
    try {
      python = await this.preflight(plan, spec, opts.launcher);
    } catch (e) {
      releaseSupervisor();
      throw e;
    }
    const supervisor = await startSupervisor(plan, python);
    if (!opts.detach) return attachRun(plan, supervisor, opts, () => this.status(plan.runId));
    let exited = false;
    supervisor.once("exit", () => (exited = true));
    for (let i = 0; i < 200 && !exited && !readRecordAt(plan.runDir); i++) await sleep(50);
    const record = readRecordAt(plan.runDir);
    if (!record) throw new Error(`the supervisor of ${plan.runId} did not start (its messages: ${join(plan.runDir, SUPERVISOR_LOG)})`);
    return { runId: plan.runId, wait: async () => readRecordAt(plan.runDir) ?? record, cancel: async () => void (await this.cancel(plan.runId)) };
  }

  async status(runId: string): Promise<RunRecord> {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    const record = readRecordAt(dir);
    if (!record) throw UserError.of(`run ${runId} has no readable record`, { path: dir });
    if (record.backend !== "local") throw UserError.of(`run ${record.runId} ran on ${record.backend}, not locally`, { hint: `add --backend ${record.backend}` });
    return withLiveness(dir, record);
  }

  async list(): Promise<RunRecord[]> {
    return runIds(this.opts.runsDir)
      .map((id) => {
        const dir = join(this.opts.runsDir, id);
        const r = readRecordAt(dir);
        return r && withLiveness(dir, r);
      })
      .filter((r): r is RunRecord => r !== undefined && r.backend === "local")
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Removes an ended run's folder (record, logs, staged data, outputs kept there). */
  async delete(runId: string): Promise<RunRecord> {
    const record = await this.status(runId);
    if (!TERMINAL_STATES.includes(record.state)) throw UserError.of(`run ${record.runId} is ${record.state}`, { hint: `cancel it first: component cancel ${record.runId}` });
    rmSync(resolveRunDir(this.opts.runsDir, record.runId), { recursive: true, force: true });
    return record;
  }

  /**
   * Asks the run's supervisor to stop it (SIGTERM to its process groups,
   * SIGKILL after 8 s; asked again, at once) and waits until it has recorded
   * the end, outputs saved. Should the supervisor be gone, its processes are
   * stopped here (withLiveness).
   */
  async cancel(runId: string): Promise<RunRecord> {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    let record = await this.status(runId);
    if (TERMINAL_STATES.includes(record.state)) return record;
    requestCancel(dir);
    signalSupervisor(record);
    for (;;) {
      await sleep(200);
      record = readRecordAt(dir) ?? record;
      if (TERMINAL_STATES.includes(record.state)) return record;
      if (!supervisorRunning(record)) return withLiveness(dir, record);
    }
  }

  async logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void> {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    const replicas = ((await this.status(runId)).details.replicas as string[] | undefined) ?? ["worker-0"];
    const files = new RunFiles(dir, replicas);
    const sink = { onLog: opts.onLog };
    await files.drain(sink);
    while (opts.follow && !opts.signal?.aborted) {
      const r = readRecordAt(dir);
      const ended = !r || TERMINAL_STATES.includes(withLiveness(dir, r).state);
      await files.drain(sink);
      if (ended) break;
      await sleep(250);
    }
  }
}

/** The local backend of a context: its runs folder, the interpreter and S3 settings of the config. */
export const create: BackendFactory = (ctx) =>
  new LocalBackend({ runsDir: ctx.config.runsDir.value, libs: ctx.libs, ...(ctx.config.python ? { python: ctx.config.python } : {}), ...(ctx.config.s3 ? { s3: s3Settings(ctx.config.s3) } : {}) });

/** Wakes the supervisor of a run to read the cancel requests, if it is the very process recorded (pid and start time). */
function signalSupervisor(record: RunRecord): void {
  if (!supervisorRunning(record)) return;
  try {
    process.kill(record.details.supervisorPid as number, "SIGTERM");
  } catch {
    // it has just exited: the loop that waits for the end finds out
  }
}

