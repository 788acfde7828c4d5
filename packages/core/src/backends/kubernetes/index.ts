import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { isTerminal, newRunRecord, type RunRecord } from "../../records/record.js";
import { CANCEL_FILE, eventsFile, logFile, readRecordAt, readRecords, writeRecord } from "../../records/run-store.js";
import { type RetryPolicy, sleep } from "@aves2/storage";
import { parseEventLine } from "../../run/events.js";
import type { RunSpec } from "../../run/spec.js";
import type { S3Settings } from "@aves2/storage/config";
import type { Backend, LogLine, PlanDescription, RunHandle, RunSummary, SubmitOptions } from "../backend.js";
import type { BackendFactory } from "../declaration.js";
import { s3Settings } from "@aves2/storage/config";
import { ApiError, apiUserError } from "./api-client.js";
import { type Connection, connect, loadKubeConfig, selectTarget } from "./connection.js";
import { assumedEngine, chooseEngine } from "./discovery.js";
import { followRun } from "./follow.js";
import { type PodSource, polledPods, printSaved, streamLogs, trainingContainers } from "./logs.js";
import { LABEL, MANAGED_BY } from "./names.js";
import type { KubernetesOptions } from "./options.js";
import { type K8sObject, KUBEFLOW_KINDS, refOf, resourcePath } from "./objects.js";
import { type ClusterTarget, type KubernetesPlan, kubernetesManifest, planKubernetes } from "./plan.js";
import { preflight } from "./preflight.js";
import { details, fromObject, type KubernetesDetails, recordedRun, resourceApiVersion, submittedDetails } from "./run-record.js";
import { defaultStagingImage } from "./staging.js";
import { mapState } from "./status.js";
import { createAll, deleteObject, deleteRunObjects, type SecretData, sshKeyPair } from "./submit.js";
import { attemptOf, podSelector, withAttempt } from "./attempts.js";
import { currentVerdict, refreshRecord } from "./refresh.js";
import { validateObjects } from "./validate.js";
import type { WatchStats } from "./watch.js";

export { defaultStagingImage } from "./staging.js";
export type { KubernetesDetails } from "./run-record.js";

export interface KubernetesBackendOptions {
  readonly runsDir: string;
  /** Shared Python packages copied beside the code (their basenames, from the staging image). */
  readonly libs: readonly string[];
  /** The S3 endpoint's settings (no credentials): given to the staging containers. */
  readonly s3: S3Settings;
  readonly env?: NodeJS.ProcessEnv;
  /** For `runs --backend kubernetes`: which cluster and namespace to list. */
  readonly context?: string;
  readonly namespace?: string;
  readonly retry?: RetryPolicy;
  /** How often pods are looked at while following logs. */
  readonly pollMs?: number;
}

/** Runs on a Kubernetes cluster: batch/v1 Jobs, Kubeflow jobs, or the operator-free engine. */
export class KubernetesBackend implements Backend<KubernetesPlan, ClusterTarget> {
  readonly name = "kubernetes";
  private conn?: Connection;
  /** Watch statistics of the last followed run (tests read them). */
  readonly watchStats: WatchStats = { lists: 0, watches: 0, reconnects: 0 };

  constructor(private readonly opts: KubernetesBackendOptions) {}

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  /**
   * The I/O the plan depends on: kubeconfig (context, namespace) and, unless
   * `offline` (render), the engine from API discovery. The target is the
   * plan's input, as a value.
   */
  async prepare(spec: RunSpec, options: KubernetesOptions, ctx: { readonly offline: boolean }): Promise<ClusterTarget> {
    const stagingImage = options.stagingImage ?? defaultStagingImage(this.env);
    if (ctx.offline) {
      const loaded = await loadKubeConfig({ ...(options.context ? { context: options.context } : {}), env: this.env, required: false });
      const t = loaded ? selectTarget(loaded.kc, loaded.source, loaded.inCluster, { ...(options.context ? { context: options.context } : {}), ...(spec.namespace ? { namespace: spec.namespace } : {}) }) : undefined;
      const ns = t ?? { namespace: spec.namespace ?? "default", namespaceFrom: spec.namespace ? "--namespace" : "default (no kubeconfig)" };
      const e = assumedEngine(spec.distribute, options.engine);
      return { ...(t?.context ? { context: t.context } : {}), ...(t?.server ? { server: t.server } : {}), namespace: ns.namespace, namespaceFrom: ns.namespaceFrom, engine: e.engine, engineWhy: e.why, stagingImage, contacted: false };
    }
    const c = await connect({ ...(options.context ? { context: options.context } : {}), ...(spec.namespace ? { namespace: spec.namespace } : {}), env: this.env, ...(this.opts.retry ? { retry: this.opts.retry } : {}) });
    this.conn = c;
    let e: { engine: ClusterTarget["engine"]; why: string };
    try {
      e = await chooseEngine(c.api, spec.distribute, options.engine);
    } catch (err) {
      throw apiUserError(err, "API discovery");
    }
    return { ...(c.context ? { context: c.context } : {}), server: c.server, namespace: c.namespace, namespaceFrom: c.namespaceFrom, engine: e.engine, engineWhy: e.why, stagingImage, contacted: true };
  }

  /** Pure: every object of the run, from the spec, the target prepare() found and the options. */
  plan(spec: RunSpec, target: ClusterTarget, options: KubernetesOptions = {}): KubernetesPlan {
    return planKubernetes(spec, options, { runsDir: this.opts.runsDir, target, s3: this.opts.s3, libs: this.opts.libs });
  }

  /** `render` prints the manifests (YAML) under a header saying where and why; the objects are schema-checked as submit checks them. */
  describe(plan: KubernetesPlan): PlanDescription {
    return {
      replicas: plan.replicas,
      text: () => kubernetesManifest(plan),
      json: async () => {
        await validateObjects(plan.objects);
        return plan;
      },
    };
  }

  summarize(record: RunRecord): RunSummary {
    const plan = record.plan as Partial<KubernetesPlan>;
    const d = record.details as Partial<KubernetesDetails>;
    return {
      outputs: Object.entries(record.spec.outputs).map(([name, location]) => ({ name, location })),
      notes: plan.runDir ? [`record: ${plan.runDir}/run.json   logs: component logs ${record.runId}`] : [],
      ...(d.primary ? { placement: `Kubernetes: ${d.primary.kind} ${d.primary.name}   namespace: ${d.namespace}${d.context ? `   context: ${d.context}` : ""}${(d.attempts ?? 1) > 1 ? `   attempt: ${d.attempts}` : ""}` } : {}),
    };
  }

  private async connectTo(t: { context?: string; namespace: string }): Promise<Connection> {
    if (this.conn && this.conn.context === t.context && this.conn.namespace === t.namespace) return this.conn;
    this.conn = await connect({ ...(t.context ? { context: t.context } : {}), namespace: t.namespace, env: this.env, ...(this.opts.retry ? { retry: this.opts.retry } : {}) });
    return this.conn;
  }

  /** Fills the Secrets the plan creates: the local S3 credentials, an SSH key pair. Never written anywhere but the API. */
  private async secretData(plan: KubernetesPlan): Promise<SecretData> {
    const out: Record<string, Record<string, string>> = {};
    for (const name of plan.secrets.created) {
      if (name === plan.secrets.s3) {
        const { findCredentials } = await import("@aves2/storage");
        const creds = await (await findCredentials(this.opts.s3, this.env)).provider();
        out[name] = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}) };
      } else {
        const keys = sshKeyPair();
        out[name] = { "ssh-privatekey": keys.privateKey, "ssh-publickey": keys.publicKey };
      }
    }
    return out;
  }

  async submit(plan: KubernetesPlan, _spec: RunSpec, opts: SubmitOptions = {}): Promise<RunHandle> {
    if (existsSync(plan.runDir)) throw UserError.of("a run with this id already exists", { path: plan.runDir });
    await validateObjects(plan.objects);
    const conn = await this.connectTo(plan.target);
    const notes = plan.options.preflight === false ? ["preflight skipped (--no-preflight)"] : await preflight(conn.api, plan);
    const data = await this.secretData(plan);

    mkdirSync(join(plan.runDir, "logs"), { recursive: true });
    const d = submittedDetails(plan);
    let record: RunRecord = newRunRecord(plan, { ...d, ...(notes.length ? { preflight: notes } : {}) });
    writeRecord(plan.runDir, record);
    try {
      await createAll(conn.api, plan.target.namespace, plan.objects, plan.runId, data);
    } catch (e) {
      rmSync(plan.runDir, { recursive: true, force: true });
      throw apiUserError(e, "submit");
    }
    record = { ...record, details: { ...record.details, submittedAt: new Date().toISOString() } };
    writeRecord(plan.runDir, record);
    if (opts.detach) return { runId: plan.runId, wait: async () => readRecordAt(plan.runDir) ?? record, cancel: async () => void (await this.cancel(plan.runId)) };
    const follow = followRun(plan, conn, opts, { watchStats: this.watchStats, ...(this.opts.pollMs ? { pollMs: this.opts.pollMs } : {}), cancel: (id) => this.cancel(id) });
    return { runId: plan.runId, wait: () => follow.done, cancel: follow.cancel };
  }

  /** The recorded run, brought up to date from the cluster while it has not ended (refresh.ts). */
  async status(runId: string): Promise<RunRecord> {
    const { dir, record } = recordedRun(this.opts.runsDir, runId);
    if (isTerminal(record.state) || existsSync(join(dir, CANCEL_FILE))) return record;
    const conn = await this.connectTo(details(record));
    return refreshRecord({ api: conn.api, s3: this.opts.s3, env: this.env }, dir, record);
  }

  async cancel(runId: string): Promise<RunRecord> {
    const { dir, record } = recordedRun(this.opts.runsDir, runId);
    if (isTerminal(record.state)) return record;
    writeFileSync(join(dir, CANCEL_FILE), new Date().toISOString());
    const d = details(record);
    const conn = await this.connectTo(d);
    try {
      // its pods get SIGTERM and their grace period: the uploader saves what they wrote (pod-scripts.ts)
      await deleteRunObjects(conn.api, d.namespace, d.primary, d.objects, record.runId);
    } catch (e) {
      throw apiUserError(e, `cancel ${record.runId}`);
    }
    const next: RunRecord = { ...record, state: "canceled", reason: "canceled by the user", endedAt: new Date().toISOString() };
    writeRecord(dir, next);
    return next;
  }

  /**
   * Submits the recorded objects again under the same run id (as AVES2's
   * start_job restarts a job), as the next attempt: its pods carry the
   * attempt's number, and only they are the run's from now on (the last
   * attempt's pods may linger while the garbage collector and their grace
   * period take their time). The last attempt's objects are deleted first,
   * and waited for, so that a name still being deleted is not taken for
   * "already created".
   */
  async rerun(runId: string): Promise<RunRecord> {
    const { dir, record } = recordedRun(this.opts.runsDir, runId);
    const d = details(record);
    const plan = record.plan as KubernetesPlan;
    if (!plan.objects?.length) throw UserError.of(`run ${record.runId} was not submitted from here: there are no recorded objects to submit again`, { hint: "start it anew with `component run`" });
    const current = isTerminal(record.state) ? record : await this.status(runId);
    if (!isTerminal(current.state)) throw UserError.of(`run ${record.runId} is still ${current.state}`, { hint: `cancel it first (component cancel ${record.runId}), or wait for it to end` });
    const attempt = attemptOf(current) + 1;
    const objects = withAttempt(plan.objects, attempt);
    await validateObjects(objects);
    const conn = await this.connectTo(d);
    const data = await this.secretData(plan);
    try {
      for (const o of d.objects) await deleteObject(conn.api, d.namespace, o, "Background");
      const deadline = Date.now() + 60_000;
      for (const o of d.objects) {
        while (await conn.api.get(resourcePath(o.kind, d.namespace, o.name))) {
          if (Date.now() > deadline) throw UserError.of(`${o.kind} ${o.name} of the last attempt is still being deleted`, { hint: "try again in a minute" });
          await sleep(this.opts.pollMs ?? 500);
        }
      }
      await createAll(conn.api, d.namespace, objects, record.runId, data);
    } catch (e) {
      throw apiUserError(e, `rerun ${record.runId}`);
    }
    rmSync(join(dir, CANCEL_FILE), { force: true });
    for (const r of d.replicas) rmSync(logFile(dir, r), { force: true });
    rmSync(eventsFile(dir), { force: true });
    const { reason: _r, startedAt: _s, endedAt: _e, exitCode: _x, ...rest } = current;
    const next: RunRecord = { ...rest, state: "pending", metrics: { epochs: [] }, details: { ...current.details, submittedAt: new Date().toISOString(), attempts: attempt } };
    writeRecord(dir, next);
    return next;
  }

  async logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void> {
    const { dir, record } = recordedRun(this.opts.runsDir, runId);
    const d = details(record);
    const plan = record.plan as KubernetesPlan;
    const onLine = (replica: string, text: string) => {
      if (!parseEventLine(text)) opts.onLog({ replica, stream: "stdout", text });
    };
    let conn: Connection | undefined;
    let pods: PodSource | undefined;
    try {
      conn = await this.connectTo(d);
      pods = polledPods(conn.api, d.namespace, podSelector(record.runId, plan.objects, attemptOf(record)), opts.signal);
      await pods.refresh();
    } catch (e) {
      // a role that may not list the pods is told so, not shown what happens to be saved here
      if (e instanceof ApiError && e.status === 403) throw apiUserError(e, `logs of ${record.runId}`);
      // no cluster to ask (or no longer): what `run` saved here
      if (!(e instanceof UserError || e instanceof ApiError)) throw e;
      pods = undefined;
    }
    // no pods (not yet, or no longer): a run that goes on is waited for with -f; else what `run` saved here
    if (!conn || !pods || (pods.current().length === 0 && (!opts.follow || isTerminal(record.state) || isTerminal((await currentVerdict(conn.api, record)).state)))) {
      await printSaved(dir, d.replicas, opts.onLog);
      return;
    }
    const c = conn;
    const cur = record;
    await streamLogs({
      api: c.api,
      namespace: d.namespace,
      pods,
      containersOf: trainingContainers(plan.pods),
      follow: opts.follow,
      onLine,
      // the state only (status() would read the whole log for metrics, every poll)
      ended: async () => isTerminal((await currentVerdict(c.api, cur)).state),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(this.opts.pollMs ? { pollMs: this.opts.pollMs } : {}),
    }).catch((e) => {
      throw apiUserError(e, `logs of ${record.runId}`);
    });
    // the record learns how the run ended
    if (opts.follow && !opts.signal?.aborted) await this.status(record.runId).catch(() => undefined);
  }

  /** Runs in the namespace, found by label: those recorded here as recorded (updated), others from their objects. */
  async list(): Promise<RunRecord[]> {
    const conn = await connect({ ...(this.opts.context ? { context: this.opts.context } : {}), ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}), env: this.env, ...(this.opts.retry ? { retry: this.opts.retry } : {}) });
    const selector = `${LABEL.managedBy}=${MANAGED_BY},${LABEL.primary}=true`;
    const found: K8sObject[] = [];
    for (const kind of ["Job", ...KUBEFLOW_KINDS]) {
      try {
        const l = await conn.api.get<{ items?: K8sObject[] }>(resourcePath(kind, conn.namespace), { query: { labelSelector: selector } });
        found.push(...(l?.items ?? []).map((o) => ({ ...o, apiVersion: o.apiVersion ?? resourceApiVersion(kind), kind: o.kind ?? kind })));
      } catch (e) {
        throw apiUserError(e, `list ${kind}`);
      }
    }
    const local = new Map(readRecords(this.opts.runsDir, "kubernetes").map((r) => [r.runId, r]));
    const out: RunRecord[] = [];
    for (const o of found) {
      const runId = o.metadata.labels?.[LABEL.runId];
      if (!runId) continue;
      const rec = local.get(runId);
      const state = mapState({ primary: refOf(o), daemons: [], pods: (rec?.plan as KubernetesPlan | undefined)?.pods ?? [{ role: "worker", count: 1, resources: { count: 1, cpu: 1, mem: 1, gpu: 0 }, container: "train" }] }, o, [], []);
      if (rec) out.push(isTerminal(rec.state) ? rec : { ...rec, state: state.state, ...(state.reason ? { reason: state.reason } : {}) });
      else out.push(fromObject(o, runId, state, conn));
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}

/** The Kubernetes backend of a context: the S3 settings of the config; the cluster is found at prepare() (or, for `runs`, by list()). */
export const create: BackendFactory = (ctx) => {
  const env = ctx.env ?? process.env;
  const poll = Number(env.AVES2_POLL_INTERVAL_MS);
  return new KubernetesBackend({
    runsDir: ctx.config.runsDir.value,
    libs: ctx.libs,
    s3: s3Settings(ctx.config.s3),
    env,
    ...(ctx.kubernetes?.context ? { context: ctx.kubernetes.context } : {}),
    ...(ctx.kubernetes?.namespace ? { namespace: ctx.kubernetes.namespace } : {}),
    ...(poll > 0 ? { pollMs: poll } : {}),
  });
};
