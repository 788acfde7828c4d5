import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Aves2JobFile } from "../../aves2/job-file.js";
import { type Aves2Payload, jobToPayload, type S3StorageConf } from "../../aves2/payload.js";
import { specToJobFile } from "../../aves2/to-job.js";
import { type Problem, UserError } from "../../errors.js";
import { isMetric, isSummary, parseEventLine, type RunEvent } from "../../run/events.js";
import { deepFreeze } from "../../run/freeze.js";
import { type RunSpec, type SpecJSON, specToJSON } from "../../run/spec.js";
import { type Backend, type LogLine, newRunRecord, type Plan, type RunHandle, type RunRecord, type SubmitOptions, TERMINAL_STATES } from "../backend.js";
import { writeRecord } from "../local/records.js";
import { type Aves2Job, Aves2Client } from "./client.js";
import { aves2Records, findAves2Record } from "./records.js";
import type { Aves2Settings } from "./settings.js";
import { stateOf } from "./status-map.js";

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

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        res();
      },
      { once: true },
    );
  });

/** Submits to an AVES2 server through its REST API, as the AVES2 client does. */
export class Aves2Backend implements Backend<Aves2Plan> {
  readonly name = "aves2";

  constructor(private readonly opts: Aves2BackendOptions) {}

  private get pollMs(): number {
    return this.opts.pollMs ?? 2_000;
  }

  /** Pure: the job file and the payload-to-be, from the spec and the settings read when the backend was made. */
  plan(spec: RunSpec): Aves2Plan {
    const jobFile = specToJobFile(spec);
    const s3 = this.opts.settings.s3;
    const payload = jobToPayload(jobFile, {
      ...(this.opts.settings.namespace ? { namespace: this.opts.settings.namespace.value } : {}),
      s3: s3 ? { ...s3, S3SecretAccessKey: s3.S3SecretAccessKey ? REDACTED : "" } : null,
    });
    const host = this.opts.settings.host?.value;
    const plan: Aves2Plan = {
      backend: "aves2",
      runId: spec.runId,
      spec: specToJSON(spec),
      ...(host ? { endpoint: new URL("api/aves_job/", host.endsWith("/") ? host : `${host}/`).href } : {}),
      jobFile,
      payload,
    };
    return deepFreeze(plan);
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

/** A record updated with what the server says now: state, timings, reason. */
function observe(record: RunRecord, job: Aves2Job): RunRecord {
  const state = stateOf(job.status);
  const now = new Date().toISOString();
  const ended = TERMINAL_STATES.includes(state);
  const reason =
    state === "failed" ? (job.msg ? String(job.msg) : "the AVES2 job ended with FAILURE") : state === "canceled" ? (record.reason ?? (job.msg ? String(job.msg) : "canceled")) : undefined;
  const { reason: _r, ...rest } = record;
  return {
    ...rest,
    state,
    ...(state !== "pending" ? { startedAt: record.startedAt ?? now } : {}),
    ...(ended ? { endedAt: record.endedAt ?? now } : {}),
    ...(reason ? { reason } : {}),
    details: { ...record.details, status: job.status },
  };
}

function withEvent(record: RunRecord, event: RunEvent): RunRecord {
  if (isMetric(event)) {
    const { type: _t, ...values } = event;
    return { ...record, metrics: { ...record.metrics, epochs: [...record.metrics.epochs, values] } };
  }
  if (isSummary(event)) return { ...record, metrics: { ...record.metrics, summary: event.metrics } };
  return record;
}

/** A job this machine did not submit (or whose record is gone): what the server says of it. */
function serverOnlyRecord(job: Aves2Job, host: string): RunRecord {
  const runId = String(job.id);
  const name = String(job.job_name ?? job.name ?? `job ${runId}`);
  const createdAt = typeof job.create_time === "string" ? job.create_time : "";
  const spec = { runId, name, component: { name, version: "", dir: "" }, params: {}, inputs: {}, outputs: {}, code: "", resources: { worker: { count: 0, cpu: 0, mem: 0, gpu: 0 } }, distribute: "none", createdAt } as unknown as SpecJSON;
  return observe(
    {
      runId,
      backend: "aves2",
      component: { name, version: "" },
      state: "pending",
      createdAt,
      metrics: { epochs: [] },
      transfers: [],
      spec,
      plan: { backend: "aves2", runId, spec },
      details: { jobId: job.id, host, namespace: job.namespace, status: job.status, replicas: ["worker-0"], serverOnly: true },
    },
    job,
  );
}

/** The server sends the log as text lines ending in CRLF. */
function splitLog(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The lines of `next` not already printed from `prev`. The server returns the
 * log's last lines, so `next` either extends `prev` or is a later window of
 * the same log: the longest tail of `prev` that starts `next` is the overlap.
 */
export function newLines(prev: readonly string[], next: readonly string[]): string[] {
  if (prev.length === 0) return [...next];
  for (let k = Math.min(prev.length, next.length); k > 0; k--) {
    if (next[k - 1] !== prev[prev.length - 1]) continue;
    let same = true;
    for (let i = 0; i < k && same; i++) same = next[i] === prev[prev.length - k + i];
    if (same) return next.slice(k);
  }
  return [...next];
}
