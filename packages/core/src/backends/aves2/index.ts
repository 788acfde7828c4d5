import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Aves2JobFile } from "../../aves2/job-file.js";
import { type Aves2Payload, jobToPayload, type S3StorageConf } from "../../aves2/payload.js";
import { specToJobFile } from "../../aves2/to-job.js";
import { type Problem, UserError } from "../../errors.js";
import { parseEventLine, type RunEvent } from "../../run/events.js";
import { sleep } from "@aves2/storage";
import { deepFreeze } from "../../run/freeze.js";
import { inputSourceComments, type RunSpec, specToJSON } from "../../run/spec.js";
import { formatJobFile } from "../../aves2/format.js";
import { newRunRecord, type RunRecord, TERMINAL_STATES } from "../../records/record.js";
import { writeRecord } from "../../records/run-store.js";
import type { Backend, LogLine, Plan, PlanDescription, RunHandle, RunSummary, SubmitOptions } from "../backend.js";
import type { BackendFactory } from "../declaration.js";
import type { OptionValues } from "../options.js";
import { type Aves2Job, Aves2Client } from "./client.js";
import { newLines, splitLog } from "./log-window.js";
import { aves2Records, findAves2Record, observe, serverOnlyRecord, withEvent } from "./records.js";
import { type Aves2Settings, loadAves2Settings } from "./settings.js";
import { stateOf } from "./status-map.js";

export { newLines } from "./log-window.js";

export interface Aves2Plan extends Plan {
  readonly backend: "aves2";
  /** Where submit posts the job; absent when no server is configured (rendering needs none). */
  readonly endpoint?: string;
  /** The job as an AVES2 job file (what `render --backend aves2` prints). */
  readonly jobFile: Aves2JobFile;
  /** The exact body of the POST, except the S3 secret, shown as `***` and added only at submit. */
  readonly payload: Aves2Payload;
}

export interface Aves2BackendOptions {
  /** Runs submitted from here are recorded under `<runsDir>/<run-id>/run.json`, like local ones. */
  readonly runsDir: string;
  readonly settings: Aves2Settings;
  /** How often a followed job is polled. */
  readonly pollMs?: number;
}

export const REDACTED = "***";

/** Where an AVES2 run goes, from the settings read when the backend was made: no secrets (the S3 one is `***`). */
export interface Aves2Target {
  /** The server's job endpoint; absent when none is configured (rendering needs none). */
  readonly endpoint?: string;
  /** The namespace of jobs that name none. */
  readonly namespace?: string;
  readonly s3: S3StorageConf | null;
}

/** Submits to an AVES2 server through its REST API, as the AVES2 client does. */
export class Aves2Backend implements Backend<Aves2Plan, Aves2Target> {
  readonly name = "aves2";

  constructor(private readonly opts: Aves2BackendOptions) {}

  private get pollMs(): number {
    return this.opts.pollMs ?? 2_000;
  }

  /** The server and namespace from the settings (read when the backend was made): nothing is asked of the server before submit. */
  async prepare(): Promise<Aves2Target> {
    return this.target();
  }

  private target(): Aves2Target {
    const { host, namespace, s3 } = this.opts.settings;
    return {
      ...(host ? { endpoint: new URL("api/aves_job/", host.value.endsWith("/") ? host.value : `${host.value}/`).href } : {}),
      ...(namespace ? { namespace: namespace.value } : {}),
      s3: s3 ? { ...s3, S3SecretAccessKey: s3.S3SecretAccessKey ? REDACTED : "" } : null,
    };
  }

  /** Pure: the job file and the payload-to-be, from the spec, the target and the options (`--debug-job`). */
  plan(spec: RunSpec, target: Aves2Target = this.target(), options: OptionValues = {}): Aves2Plan {
    const asked = specToJobFile(spec);
    const jobFile = options.debug === true ? { ...asked, debug: true } : asked;
    const payload = jobToPayload(jobFile, { ...(target.namespace ? { namespace: target.namespace } : {}), s3: target.s3 });
    const plan: Aves2Plan = {
      backend: "aves2",
      runId: spec.runId,
      spec: specToJSON(spec),
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      jobFile,
      payload,
    };
    return deepFreeze(plan);
  }

  /** `render` prints the job file (with where chained inputs came from); `--json`, the whole plan with the payload. */
  describe(plan: Aves2Plan): PlanDescription {
    return {
      replicas: ["worker-0"],
      text: async () => [...inputSourceComments(plan.spec), formatJobFile(plan.jobFile)].join("\n"),
      json: async () => plan,
    };
  }

  summarize(record: RunRecord): RunSummary {
    const d = record.details;
    return {
      outputs: Object.entries(record.spec.outputs).map(([name, location]) => ({ name, location })),
      notes: d.jobId !== undefined ? [`AVES2 job ${d.jobId} on ${d.host}   logs: component logs ${record.runId}`] : [],
      ...(d.jobId !== undefined ? { placement: `AVES2 job: ${d.jobId} (${d.status}) on ${d.host}${d.namespace ? `   namespace: ${d.namespace}` : ""}` } : {}),
    };
  }

  private client(host?: string): Aves2Client {
    const s = this.opts.settings;
    const h = host ?? s.host?.value;
    const problems: Problem[] = [];
    if (!h) problems.push({ message: "no AVES2 server is configured", hint: `set host under [Aves2Server] in ${s.cfgFile}, AVES2_HOST, or --aves2-host` });
    if (!s.token) problems.push({ message: "no AVES2 API token is configured", hint: `set api_token under [Aves2Server] in ${s.cfgFile}, or AVES2_TOKEN` });
    if (problems.length > 0) throw new UserError(problems);
    return new Aves2Client({
      host: h!,
      token: s.token!.value,
      secrets: [s.token!.value, s.s3?.S3SecretAccessKey ?? ""],
      ...(host || !s.host ? {} : { hostSource: s.host.source }),
      tokenSource: s.token!.source,
    });
  }

  async submit(plan: Aves2Plan, spec: RunSpec, opts: SubmitOptions = {}): Promise<RunHandle> {
    // everything that can fail is checked before the job is posted: nothing is left half-submitted
    const client = this.client();
    const problems: Problem[] = [];
    const s3 = this.opts.settings.s3;
    const job = plan.jobFile;
    const usesOss = [job.running_spec.source_code, job.running_spec.log_dir, ...job.running_spec.input_args.map((a) => a.data_conf), ...job.running_spec.output_args.map((a) => a.data_conf)].some(
      (c) => c?.storage_mode === "OSSFile",
    );
    if (usesOss && !s3?.S3AccessKeyId) {
      problems.push({
        message: "the job uses s3:// storage but no S3 credentials are configured for AVES2",
        hint: `set S3Endpoint, S3AccessKeyId and S3SecretAccessKey under [StorageConf] [[S3]] in ${this.opts.settings.cfgFile}, or AVES2_S3_ENDPOINT / AVES2_S3_ACCESS_KEY_ID / AVES2_S3_SECRET_ACCESS_KEY`,
      });
    }
    if (opts.launcher?.preflight) problems.push(...((await opts.launcher.preflight({ spec, inputDir: () => undefined })) ?? []));
    const runDir = join(this.opts.runsDir, plan.runId);
    if (existsSync(runDir)) problems.push({ path: runDir, message: "a run with this id already exists" });
    if (problems.length > 0) throw new UserError(problems);
    try {
      mkdirSync(runDir, { recursive: true });
    } catch (e) {
      throw UserError.of(`cannot record the run: ${(e as Error).message}`, { path: this.opts.runsDir });
    }

    let created: Aves2Job;
    try {
      await client.clientCheck();
      created = await client.createJob(withSecret(plan.payload, s3));
    } catch (e) {
      rmSync(runDir, { recursive: true, force: true });
      throw e;
    }
    let record: RunRecord = newRunRecord(
      plan,
      { jobId: created.id, host: client.host, namespace: plan.payload.namespace, status: created.status, replicas: ["worker-0"] },
      stateOf(created.status),
    );
    writeRecord(runDir, record);
    if (opts.detach) return { runId: plan.runId, wait: async () => record, cancel: async () => void (await this.cancel(plan.runId)) };

    const stop = new AbortController();
    const done = this.follow(record, {
      onLog: (l) => opts.onLog?.(l),
      onEvent: (e) => opts.onEvent?.(e, "worker-0"),
      signal: stop.signal,
    }).then((r) => (record = r));
    return {
      runId: plan.runId,
      wait: () => done,
      cancel: async () => {
        await this.cancel(plan.runId);
      },
    };
  }

  /** Polls the job and its log until it ends; prints each log line once; keeps run.json current. */
  private async follow(
    start: RunRecord,
    opts: { onLog: (l: LogLine) => void; onEvent?: (e: RunEvent) => void; signal?: AbortSignal; fromLines?: readonly string[] },
  ): Promise<RunRecord> {
    let record = start;
    let seen: readonly string[] = opts.fromLines ?? [];
    const client = this.client(record.details.host as string | undefined);
    const jobId = record.details.jobId as string | number;
    for (;;) {
      record = await this.refresh(record, client);
      const ended = TERMINAL_STATES.includes(record.state);
      // before the job's pods exist (and after they are cleaned up) the server may have no log to give
      const text = await client.logs(jobId).catch((e) => {
        if (!(e instanceof UserError)) throw e;
        return undefined;
      });
      if (text !== undefined) {
        const lines = splitLog(text);
        for (const line of newLines(seen, lines)) {
          const event = parseEventLine(line);
          if (!event) opts.onLog({ replica: "worker-0", stream: "stdout", text: line });
          else if (opts.onEvent) {
            // only the run that submitted the job keeps its metrics: a second follower would count them twice
            record = withEvent(record, event);
            opts.onEvent(event);
          }
        }
        seen = lines;
        this.save(record);
      }
      if (ended || opts.signal?.aborted) return record;
      await sleep(this.pollMs, opts.signal);
    }
  }

  /** The server's view of a recorded job, saved into its record. */
  private async refresh(record: RunRecord, client: Aves2Client): Promise<RunRecord> {
    const job = await client.getJob(record.details.jobId as string | number);
    const updated = observe(record, job);
    if (!record.details.serverOnly) this.save(updated);
    return updated;
  }

  private save(record: RunRecord): void {
    if (record.details.serverOnly) return;
    const dir = join(this.opts.runsDir, record.runId);
    if (existsSync(dir)) writeRecord(dir, record);
  }

  /** A run by our id (or prefix) or by the server's job id, recorded here or not. */
  private async locate(id: string): Promise<{ record: RunRecord; client: Aves2Client }> {
    const recorded = findAves2Record(this.opts.runsDir, id);
    if (recorded) return { record: recorded, client: this.client(recorded.details.host as string | undefined) };
    if (!/^\d+$/.test(id)) {
      throw UserError.of(`no AVES2 run "${id}"`, { path: this.opts.runsDir, hint: "give a run id from `component runs` or an AVES2 job id" });
    }
    const client = this.client();
    return { record: serverOnlyRecord(await client.getJob(id), client.host), client };
  }

  async status(runId: string): Promise<RunRecord> {
    const { record, client } = await this.locate(runId);
    return record.details.serverOnly ? record : this.refresh(record, client);
  }

  async logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void> {
    const { record, client } = await this.locate(runId);
    const lines = splitLog(await client.logs(record.details.jobId as string | number));
    for (const text of lines) if (!parseEventLine(text)) opts.onLog({ replica: "worker-0", stream: "stdout", text });
    if (!opts.follow) return;
    const now = record.details.serverOnly ? record : await this.refresh(record, client);
    if (TERMINAL_STATES.includes(now.state)) return;
    await this.follow(now, { onLog: opts.onLog, ...(opts.signal ? { signal: opts.signal } : {}), fromLines: lines });
  }

  async cancel(runId: string): Promise<RunRecord> {
    const { record, client } = await this.locate(runId);
    await client.cancelJob(record.details.jobId as string | number);
    const after = await this.refresh({ ...record, reason: "canceled by the user" }, client);
    return after;
  }

  /**
   * Refuses a job that has not ended, as the local backend does: deleting or
   * restarting it would drop a running job's pods (and its outputs) unasked.
   * A job the server no longer has counts as ended.
   */
  private async ended(record: RunRecord, client: Aves2Client, verb: string): Promise<RunRecord> {
    let now: RunRecord;
    try {
      now = record.details.serverOnly ? record : await this.refresh(record, client);
    } catch (e) {
      if (e instanceof UserError && e.message.includes(`AVES2 job ${record.details.jobId} was not found`)) return record;
      throw e;
    }
    if (!TERMINAL_STATES.includes(now.state)) {
      throw UserError.of(`cannot ${verb} ${now.runId}: AVES2 job ${now.details.jobId} is ${now.state} (${now.details.status})`, {
        hint: `cancel it first: component cancel ${now.runId}`,
      });
    }
    return now;
  }

  /** Deletes the ended job on the server and its record here. */
  async delete(runId: string): Promise<RunRecord> {
    const { record: found, client } = await this.locate(runId);
    const record = await this.ended(found, client, "delete");
    const existed = await client.deleteJob(record.details.jobId as string | number);
    if (!record.details.serverOnly) rmSync(join(this.opts.runsDir, record.runId), { recursive: true, force: true });
    return existed ? record : { ...record, details: { ...record.details, alreadyGone: true } };
  }

  /** Starts the same job again on the server (AVES2's `start_job`); the run keeps its id. */
  async rerun(runId: string): Promise<RunRecord> {
    const { record: found, client } = await this.locate(runId);
    const record = await this.ended(found, client, "restart");
    await client.startJob(record.details.jobId as string | number);
    const { startedAt: _s, endedAt: _e, reason: _r, exitCode: _x, ...rest } = record;
    const reset: RunRecord = {
      ...rest,
      state: "pending",
      metrics: { epochs: [] },
      details: { ...record.details, status: "STARTING", restarts: Number(record.details.restarts ?? 0) + 1 },
    };
    this.save(reset);
    return this.refresh(reset, client);
  }

  async list(): Promise<RunRecord[]> {
    const client = this.client();
    const jobs = await client.listJobs();
    const recorded = aves2Records(this.opts.runsDir);
    const byJob = new Map(recorded.filter((r) => r.details.host === client.host).map((r) => [String(r.details.jobId), r]));
    const seen = new Set<string>();
    const out = jobs.map((job) => {
      const r = byJob.get(String(job.id));
      seen.add(String(job.id));
      if (!r) return serverOnlyRecord(job, client.host);
      const updated = observe(r, job);
      if (updated.state !== r.state || updated.details.status !== r.details.status) this.save(updated);
      return updated;
    });
    // recorded here, gone from the server's list (deleted elsewhere, or another server): shown as last known
    out.push(...recorded.filter((r) => !(r.details.host === client.host && seen.has(String(r.details.jobId)))));
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}

function withSecret(payload: Aves2Payload, s3: S3StorageConf | null): Aves2Payload {
  return { ...payload, storage_config: { ...payload.storage_config, config: s3 } };
}

/** The AVES2 backend of a context: the AVES2 client's config (~/.aves2/aves2.cfg, env, `--aves2-host`) is read here. */
export const create: BackendFactory = (ctx) => {
  const env = ctx.env ?? process.env;
  const poll = Number(env.AVES2_POLL_INTERVAL_MS);
  return new Aves2Backend({ runsDir: ctx.config.runsDir.value, settings: loadAves2Settings(ctx.aves2 ?? {}, env), ...(poll > 0 ? { pollMs: poll } : {}) });
};
