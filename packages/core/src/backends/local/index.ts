import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Setting } from "../../config/config.js";
import { s3Settings } from "@aves2/storage/config";
import { type Problem, UserError } from "../../errors.js";
import type { Launcher } from "../../launcher.js";
import { findPython } from "../../python/find.js";
import { sleep } from "@aves2/storage";
import type { RunSpec } from "../../run/spec.js";
import { storeFor } from "@aves2/storage";
import type { S3Settings } from "@aves2/storage/config";
import { type RunRecord, TERMINAL_STATES } from "../../records/record.js";
import { CANCEL_FILE, logFile, readRecordAt, resolveRunDir, runIds, writeRecord } from "../../records/run-store.js";
import { type Backend, type LogLine, type PlanDescription, type RunHandle, type RunSummary, type SubmitOptions, yamlDescription } from "../backend.js";
import type { BackendFactory } from "../declaration.js";
import type { OptionValues } from "../options.js";
import { executeLocal } from "./execute.js";
import { type LocalPlan, type LocalPlanContext, planLocal } from "./plan.js";
import { killGroup } from "./process-group.js";
import { isAlive, withLiveness } from "./liveness.js";

export interface LocalBackendOptions {
  readonly runsDir: string;
  /** Explicit interpreter (config or AVES2_PYTHON); otherwise one is searched for. */
  readonly python?: Setting<string>;
  /** Shared Python packages copied beside the code. */
  readonly libs: readonly string[];
  /** How s3:// is reached (config); credentials are looked up when used. */
  readonly s3?: S3Settings;
}

const PLAN_FILE = "plan.json";
const SUPERVISOR = join(dirname(fileURLToPath(import.meta.url)), "supervisor.js");

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
    return {
      outputs: (plan.outputs ?? []).map((o) => ({ name: o.name, location: o.uri ?? o.dir })),
      notes: plan.runDir ? [`record: ${plan.runDir}/run.json   logs: component logs ${record.runId}`] : [],
    };
  }

  /** Everything that can be checked before a folder is created or a process started. */
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
    if (problems.length === 0 && launcher?.preflight) {
      const dirs = new Map(spec.inputs.map((i) => [i.name, storeFor(i.uri, i.name).localPath?.(i.uri)]));
      problems.push(...((await launcher.preflight({ spec, inputDir: (n) => dirs.get(n) })) ?? []));
    }
    if (existsSync(plan.runDir)) problems.push({ path: plan.runDir, message: "a run with this id already exists" });
    if (problems.length > 0) throw new UserError(problems);
    return python;
  }

  async submit(plan: LocalPlan, spec: RunSpec, opts: SubmitOptions = {}): Promise<RunHandle> {
    const python = await this.preflight(plan, spec, opts.launcher);
    if (opts.detach) return this.submitDetached(plan, python);
    const exec = executeLocal(plan, python, opts);
    return { runId: plan.runId, wait: () => exec.done, cancel: exec.cancel };
  }

  /** A supervisor process of its own carries the run, so this one can exit. */
  private async submitDetached(plan: LocalPlan, python: string | undefined): Promise<RunHandle> {
    mkdirSync(plan.runDir, { recursive: true });
    writeFileSync(join(plan.runDir, PLAN_FILE), JSON.stringify({ plan, python }));
    const child = spawn(process.execPath, [SUPERVISOR, plan.runDir], { detached: true, stdio: "ignore" });
    child.unref();
    for (let i = 0; i < 100 && !readRecordAt(plan.runDir); i++) await sleep(50);
    const record = readRecordAt(plan.runDir);
    if (!record) throw new Error(`the supervisor of ${plan.runId} did not start`);
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

  async cancel(runId: string): Promise<RunRecord> {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    let record = await this.status(runId);
    if (TERMINAL_STATES.includes(record.state)) return record;
    writeFileSync(join(dir, CANCEL_FILE), new Date().toISOString());
    const pids = Object.values((record.details.pids ?? {}) as Record<string, number>);
    for (const pid of pids) killGroup(pid, "SIGTERM");
    for (let waited = 0; waited < 15_000; waited += 200) {
      await sleep(200);
      record = readRecordAt(dir) ?? record;
      if (TERMINAL_STATES.includes(record.state)) return record;
      if (waited === 8_000) for (const pid of pids) killGroup(pid, "SIGKILL");
      if (!isAlive(record.details.supervisorPid as number | undefined)) break;
    }
    // nobody is left to record the end: do it here
    record = { ...record, state: "canceled", reason: "canceled by the user", endedAt: new Date().toISOString() };
    writeRecord(dir, record);
    return record;
  }

  async logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void> {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    const replicas = ((await this.status(runId)).details.replicas as string[] | undefined) ?? ["worker-0"];
    const offsets = new Map(replicas.map((r) => [r, 0]));
    const partial = new Map(replicas.map((r) => [r, ""]));
    const drain = async () => {
      for (const replica of replicas) {
        const file = logFile(dir, replica);
        const size = (await stat(file).catch(() => undefined))?.size ?? 0;
        const from = offsets.get(replica)!;
        if (size <= from) continue;
        const fh = await open(file, "r");
        const buf = Buffer.alloc(size - from);
        await fh.read(buf, 0, buf.length, from);
        await fh.close();
        offsets.set(replica, size);
        const text = partial.get(replica)! + buf.toString("utf8");
        const lines = text.split("\n");
        partial.set(replica, lines.pop()!);
        for (const l of lines) opts.onLog({ replica, stream: "stdout", text: l });
      }
    };
    await drain();
    while (opts.follow && !opts.signal?.aborted) {
      const r = readRecordAt(dir);
      const ended = !r || TERMINAL_STATES.includes(withLiveness(dir, r).state);
      await drain();
      if (ended) break;
      await sleep(250);
    }
  }
}

/** The local backend of a context: its runs folder, the interpreter and S3 settings of the config. */
export const create: BackendFactory = (ctx) =>
  new LocalBackend({ runsDir: ctx.config.runsDir.value, libs: ctx.libs, ...(ctx.config.python ? { python: ctx.config.python } : {}), ...(ctx.config.s3 ? { s3: s3Settings(ctx.config.s3) } : {}) });

/** Entry of the detached supervisor (see supervisor.ts). */
export async function superviseFromDisk(runDir: string): Promise<void> {
  const { plan, python } = JSON.parse(await readFile(join(runDir, PLAN_FILE), "utf8")) as { plan: LocalPlan; python?: string };
  const exec = executeLocal(plan, python);
  process.on("SIGTERM", () => void exec.cancel());
  await exec.done;
}

