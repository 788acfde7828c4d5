import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { isMetric, isSummary, parseEventLine, type RunEvent } from "../../run/events.js";
import type { RunRequest } from "../../run/request.js";
import type { RunSpec, SpecJSON } from "../../run/spec.js";
import type { S3Settings } from "../../storage/s3/settings.js";
import { type Backend, type LogLine, newRunRecord, type RunHandle, type RunRecord, type RunState, type SubmitOptions, TERMINAL_STATES } from "../backend.js";
import { CANCEL_FILE, eventsFile, logFile, readRecordAt, resolveRunDir, runIds, writeRecord } from "../local/records.js";
import { ApiError, apiUserError, type RetryPolicy, sleep } from "./api-client.js";
import { type Connection, connect, loadKubeConfig, selectTarget } from "./connection.js";
import { assumedEngine, chooseEngine } from "./discovery.js";
import { type PodSource, polledPods, streamLogs } from "./logs.js";
import { LABEL, MANAGED_BY } from "./names.js";
import type { KubernetesOptions } from "./options.js";
import { type K8sObject, KUBEFLOW_KINDS, type ObjectRef, refOf, resourcePath } from "./objects.js";
import { type ClusterTarget, type KubernetesPlan, planKubernetes } from "./plan.js";
import { preflight } from "./preflight.js";
import { type LiveState, mainReplica, mapState, replicaOf } from "./status.js";
import { createAll, deleteObject, type SecretData, sshKeyPair } from "./submit.js";
import { validateObjects } from "./validate.js";
import { inform, type WatchStats } from "./watch.js";

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

/** What run.json keeps about a cluster run, so that status/logs/cancel find it again. Names, never secrets. */
export interface KubernetesDetails {
  readonly namespace: string;
  readonly context?: string;
  readonly server?: string;
  readonly engine: string;
  readonly primary: ObjectRef;
  readonly objects: readonly ObjectRef[];
  readonly daemons: readonly ObjectRef[];
  readonly replicas: readonly string[];
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

function details(r: RunRecord): KubernetesDetails {
  return r.details as unknown as KubernetesDetails;
}

const isTerminal = (s: RunState) => TERMINAL_STATES.includes(s);

/** Runs on a Kubernetes cluster: batch/v1 Jobs, Kubeflow jobs, or the operator-free engine. */
export class KubernetesBackend implements Backend<KubernetesPlan> {
  readonly name = "kubernetes";
  private readonly targets = new Map<string, ClusterTarget>();
  private readonly options = new Map<string, KubernetesOptions>();
  private conn?: Connection;
  /** Watch statistics of the last followed run (tests read them). */
  readonly watchStats: WatchStats = { lists: 0, watches: 0, reconnects: 0 };

  constructor(private readonly opts: KubernetesBackendOptions) {}

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  /**
   * The I/O the plan depends on: kubeconfig (context, namespace) and, unless
   * `offline` (render), the engine from API discovery. Done before plan().
   */
  async prepare(spec: RunSpec, request: RunRequest, opts: { readonly offline: boolean }): Promise<void> {
    const options = request.kubernetes ?? {};
    const stagingImage = options.stagingImage ?? defaultStagingImage(this.env);
    let target: ClusterTarget;
    if (opts.offline) {
      const loaded = await loadKubeConfig({ ...(options.context ? { context: options.context } : {}), env: this.env, required: false });
      const t = loaded ? selectTarget(loaded.kc, loaded.source, loaded.inCluster, { ...(options.context ? { context: options.context } : {}), ...(spec.namespace ? { namespace: spec.namespace } : {}) }) : undefined;
      const ns = t ?? { namespace: spec.namespace ?? "default", namespaceFrom: spec.namespace ? "--namespace" : "default (no kubeconfig)" };
      const e = assumedEngine(spec.distribute, options.engine);
      target = { ...(t?.context ? { context: t.context } : {}), ...(t?.server ? { server: t.server } : {}), namespace: ns.namespace, namespaceFrom: ns.namespaceFrom, engine: e.engine, engineWhy: e.why, stagingImage, contacted: false };
    } else {
      this.conn = await connect({ ...(options.context ? { context: options.context } : {}), ...(spec.namespace ? { namespace: spec.namespace } : {}), env: this.env, ...(this.opts.retry ? { retry: this.opts.retry } : {}) });
      let e: { engine: ClusterTarget["engine"]; why: string };
      try {
        e = await chooseEngine(this.conn.api, spec.distribute, options.engine);
      } catch (err) {
        throw apiUserError(err, "API discovery");
      }
      const c = this.conn;
      target = { ...(c.context ? { context: c.context } : {}), server: c.server, namespace: c.namespace, namespaceFrom: c.namespaceFrom, engine: e.engine, engineWhy: e.why, stagingImage, contacted: true };
    }
    this.targets.set(spec.runId, target);
    this.options.set(spec.runId, options);
  }

  plan(spec: RunSpec): KubernetesPlan {
    const target = this.targets.get(spec.runId);
    if (!target) throw new Error("the kubernetes backend plans after prepare()");
    return planKubernetes(spec, this.options.get(spec.runId) ?? {}, { runsDir: this.opts.runsDir, target, s3: this.opts.s3, libs: this.opts.libs });
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
        const { findCredentials } = await import("../../storage/s3/credentials.js");
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
    const d: KubernetesDetails = {
      namespace: plan.target.namespace,
      ...(plan.target.context ? { context: plan.target.context } : {}),
      ...(plan.target.server ? { server: plan.target.server } : {}),
      engine: plan.target.engine,
      primary: plan.primary,
      objects: plan.objects.map(refOf),
      daemons: plan.daemons,
      replicas: plan.replicas,
    };
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
    const follow = this.follow(plan, conn, opts);
    return { runId: plan.runId, wait: () => follow.done, cancel: follow.cancel };
  }

  /**
   * Follows a submitted run to its end, as `run` does: watches its jobs and
   * pods (for the state), streams every replica's log (AVES2_EVENT lines
   * become progress and metrics), and keeps run.json current.
   */
  private follow(plan: KubernetesPlan, conn: Connection, opts: SubmitOptions): { done: Promise<RunRecord>; cancel: () => Promise<void> } {
    const ac = new AbortController();
    const ns = plan.target.namespace;
    const selector = `${LABEL.runId}=${plan.runId}`;
    let jobs: readonly K8sObject[] = [];
    let pods: readonly K8sObject[] = [];
    let seenPrimary = false;
    let canceling = false;
    let live: LiveState = { state: "pending" };
    let resolveEnd!: () => void;
    const ended = new Promise<void>((r) => (resolveEnd = r));
    let record = readRecordAt(plan.runDir)!;
    const save = (patch: Partial<RunRecord>) => {
      record = { ...record, ...patch };
      writeRecord(plan.runDir, record);
    };
    const recompute = () => {
      const primary = jobs.find((o) => o.kind === plan.primary.kind && o.metadata.name === plan.primary.name);
      if (primary) seenPrimary = true;
      if (!primary && !seenPrimary) return;
      const others = jobs.filter((o) => o !== primary);
      // canceled here, or by `cancel` in another process (which deletes the job: that is no failure)
      const next = canceling || existsSync(join(plan.runDir, CANCEL_FILE)) ? { ...live, state: "canceled" as const, reason: "canceled by the user" } : mapState(plan, primary, others, pods);
      // a job may report its end before its pod's exit code arrives: that arriving later is news too
      if (next.state !== live.state || next.reason !== live.reason || next.exitCode !== live.exitCode) {
        live = next;
        const { state, reason, startedAt, endedAt, exitCode } = next;
        // a reason of the past (Unschedulable, an image pull back-off) is no reason any more
        const { reason: _old, ...rest } = record;
        record = { ...rest, state, ...(reason ? { reason } : {}), ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}), ...(exitCode !== undefined ? { exitCode } : {}) };
        writeRecord(plan.runDir, record);
      }
      if (isTerminal(live.state)) resolveEnd();
    };
    // the primary's kind: for the native engine that is Job, which covers every Job of the run
    const informers = [
      inform({ api: conn.api, path: resourcePath(plan.primary.kind, ns), kind: plan.primary, labelSelector: selector, signal: ac.signal, stats: this.watchStats, onChange: (o) => {
          jobs = o;
          recompute();
        } }),
      inform({ api: conn.api, path: resourcePath("Pod", ns), kind: { kind: "Pod", apiVersion: "v1" }, labelSelector: selector, signal: ac.signal, stats: this.watchStats, onChange: (o) => {
          pods = o;
          recompute();
        } }),
    ].map((p) => p.catch((e: unknown) => e));
    const podSource: PodSource = { current: () => pods, refresh: async () => undefined };

    const logs = new Map<string, WriteStream>();
    const events = createWriteStream(eventsFile(plan.runDir), { flags: "a" });
    const onLine = (replica: string, text: string) => {
      const event = parseEventLine(text);
      if (event) {
        events.write(`${JSON.stringify({ replica, ...event })}\n`);
        const patch = metricsPatch(record, event);
        if (patch) save(patch);
        opts.onEvent?.(event, replica);
        return;
      }
      let log = logs.get(replica);
      if (!log) {
        log = createWriteStream(logFile(plan.runDir, replica), { flags: "a" });
        logs.set(replica, log);
      }
      log.write(`${text}\n`);
      opts.onLog?.({ replica, stream: "stdout", text });
    };
    const containersOf = (pod: K8sObject) => [plan.pods.find((g) => replicaOf(pod).startsWith(`${g.role}-`))?.container ?? mainReplica(plan.pods).container];

    const done = (async (): Promise<RunRecord> => {
      const streaming = streamLogs({ api: conn.api, namespace: ns, pods: podSource, containersOf, follow: true, onLine, ended: async () => isTerminal(live.state), signal: ac.signal, ...(this.opts.pollMs ? { pollMs: this.opts.pollMs } : {}) }).catch((e: unknown) => e);
      const failed = Promise.race(informers.map((p) => p.then((e) => (e ? Promise.resolve(e) : new Promise<never>(() => undefined)))));
      const first = await Promise.race([ended.then(() => undefined), failed]);
      if (first) {
        ac.abort();
        throw apiUserError(first, `following ${plan.runId}`);
      }
      // the last lines have a while to arrive; the timer must not keep the process alive after that
      const drained = new AbortController();
      await Promise.race([streaming, sleep(30_000, drained.signal)]);
      drained.abort();
      if ((live.state === "succeeded" || live.state === "failed") && live.exitCode === undefined) {
        // the pods' watch may not have delivered the final container status yet: read it once
        const listed = await conn.api.request<{ items?: K8sObject[] }>("GET", resourcePath("Pod", ns), { query: { labelSelector: selector } }).catch(() => undefined);
        if (listed?.items) {
          pods = listed.items.map((p) => ({ ...p, kind: "Pod", apiVersion: "v1" }));
          recompute();
        }
      }
      ac.abort();
      await Promise.all(informers);
      await Promise.all([...logs.values(), events].map((s) => new Promise((r) => s.end(r))));
      if (plan.daemons.length && !canceling) await this.deleteDaemons(conn, plan.daemons, ns);
      const final = readRecordAt(plan.runDir) ?? record;
      return final;
    })();

    const cancel = async () => {
      canceling = true;
      await this.cancel(plan.runId);
      live = { ...live, state: "canceled" };
      record = readRecordAt(plan.runDir) ?? record;
      resolveEnd();
    };
    return { done, cancel };
  }

  private async deleteDaemons(conn: Connection, daemons: readonly ObjectRef[], ns: string): Promise<void> {
    for (const d of daemons) await deleteObject(conn.api, ns, d).catch(() => undefined);
  }

  private record(runId: string): { dir: string; record: RunRecord } {
    const dir = resolveRunDir(this.opts.runsDir, runId);
    const record = readRecordAt(dir);
    if (!record) throw UserError.of(`run ${runId} has no readable record`, { path: dir });
    if (record.backend !== "kubernetes") throw UserError.of(`run ${record.runId} ran on ${record.backend}, not on Kubernetes`, { hint: `add --backend ${record.backend}` });
    return { dir, record };
  }

  /** The run's objects and pods as the cluster has them now, mapped to a state. */
  private async live(conn: Connection, record: RunRecord): Promise<{ state: LiveState; pods: K8sObject[] }> {
    const d = details(record);
    const plan = record.plan as KubernetesPlan;
    const selector = `${LABEL.runId}=${record.runId}`;
    try {
      const primary = await conn.api.get<K8sObject>(resourcePath(d.primary.kind, d.namespace, d.primary.name));
      // list items of built-in kinds come without their kind
      const others = d.daemons.length
        ? ((await conn.api.request<{ items?: K8sObject[] }>("GET", resourcePath("Job", d.namespace), { query: { labelSelector: selector } })).items ?? []).filter((j) => j.metadata.name !== d.primary.name).map((j) => ({ ...j, kind: "Job", apiVersion: "batch/v1" }))
        : [];
      const pods = (await conn.api.request<{ items?: K8sObject[] }>("GET", resourcePath("Pod", d.namespace), { query: { labelSelector: selector } })).items ?? [];
      return { state: mapState(plan, primary, others, pods), pods };
    } catch (e) {
      throw apiUserError(e, `status of ${record.runId}`);
    }
  }

  /** The recorded run, brought up to date from the cluster while it has not ended. */
  async status(runId: string): Promise<RunRecord> {
    const { dir, record } = this.record(runId);
    if (isTerminal(record.state)) return record;
    const d = details(record);
    if (existsSync(join(dir, CANCEL_FILE))) return record;
    const conn = await this.connectTo(d);
    const { state, pods } = await this.live(conn, record);
    let metrics = record.metrics;
    const plan = record.plan as KubernetesPlan;
    // a detached run has nobody recording its metrics: read them from rank 0's log
    if (!metrics.summary && pods.length) {
      const main = mainReplica(plan.pods);
      const pod = pods.filter((p) => replicaOf(p) === `${main.role}-0`).pop();
      if (pod) {
        try {
          const res = await conn.api.stream(resourcePath("Pod", d.namespace, pod.metadata.name, "log"), { container: main.container });
          let text = "";
          for await (const c of res) text += c;
          const epochs: Record<string, unknown>[] = [];
          let summary: Record<string, unknown> | undefined;
          for (const line of text.split("\n")) {
            const e = parseEventLine(line);
            if (e && isMetric(e)) {
              const { type: _t, ...values } = e;
              epochs.push(values);
            } else if (e && isSummary(e)) summary = e.metrics;
          }
          if (epochs.length || summary) metrics = { epochs, ...(summary ? { summary } : {}) };
        } catch {
          // the container has not started: no metrics yet
        }
      }
    }
    const { state: s, reason, startedAt, endedAt, exitCode } = state;
    const { reason: _old, ...rest } = record;
    const next: RunRecord = {
      ...rest,
      state: s,
      metrics,
      ...(reason ? { reason } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(endedAt ? { endedAt } : isTerminal(s) ? { endedAt: new Date().toISOString() } : {}),
      ...(exitCode !== undefined ? { exitCode } : {}),
    };
    if (isTerminal(s) && d.daemons.length) await this.deleteDaemons(conn, d.daemons, d.namespace);
    writeRecord(dir, next);
    return next;
  }

  async cancel(runId: string): Promise<RunRecord> {
    const { dir, record } = this.record(runId);
    if (isTerminal(record.state)) return record;
    writeFileSync(join(dir, CANCEL_FILE), new Date().toISOString());
    const d = details(record);
    const conn = await this.connectTo(d);
    try {
      // the primary owns the rest (and its pods): deleting it deletes them
      await deleteObject(conn.api, d.namespace, d.primary, "Background");
      // anything left (an owner reference not honored, a half-made run) goes by label
      const selector = `${LABEL.runId}=${record.runId}`;
      for (const kind of new Set(d.objects.map((o) => o.kind))) {
        const l = await conn.api.get<{ items?: K8sObject[] }>(resourcePath(kind, d.namespace), { query: { labelSelector: selector } });
        for (const o of l?.items ?? []) await deleteObject(conn.api, d.namespace, refOf(o), "Background");
      }
    } catch (e) {
      throw apiUserError(e, `cancel ${record.runId}`);
    }
    const next: RunRecord = { ...record, state: "canceled", reason: "canceled by the user", endedAt: new Date().toISOString() };
    writeRecord(dir, next);
    return next;
  }

  /**
   * Submits the recorded objects again under the same run id (as AVES2's
   * start_job restarts a job): what is left of the last attempt is deleted
   * first, and waited for, so that a name still being deleted is not taken
   * for "already created".
   */
  async rerun(runId: string): Promise<RunRecord> {
    const { dir, record } = this.record(runId);
    const d = details(record);
    const plan = record.plan as KubernetesPlan;
    if (!plan.objects?.length) throw UserError.of(`run ${record.runId} was not submitted from here: there are no recorded objects to submit again`, { hint: "start it anew with `component run`" });
    const current = isTerminal(record.state) ? record : await this.status(runId);
    if (!isTerminal(current.state)) throw UserError.of(`run ${record.runId} is still ${current.state}`, { hint: `cancel it first (component cancel ${record.runId}), or wait for it to end` });
    await validateObjects(plan.objects);
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
      await createAll(conn.api, d.namespace, plan.objects, record.runId, data);
    } catch (e) {
      throw apiUserError(e, `rerun ${record.runId}`);
    }
    rmSync(join(dir, CANCEL_FILE), { force: true });
    for (const r of d.replicas) rmSync(logFile(dir, r), { force: true });
    rmSync(eventsFile(dir), { force: true });
    const { reason: _r, startedAt: _s, endedAt: _e, exitCode: _x, ...rest } = current;
    const next: RunRecord = { ...rest, state: "pending", metrics: { epochs: [] }, details: { ...current.details, submittedAt: new Date().toISOString(), attempts: Number(current.details.attempts ?? 1) + 1 } };
    writeRecord(dir, next);
    return next;
  }

  async logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void> {
    const { dir, record } = this.record(runId);
    const d = details(record);
    const plan = record.plan as KubernetesPlan;
    const onLine = (replica: string, text: string) => {
      if (!parseEventLine(text)) opts.onLog({ replica, stream: "stdout", text });
    };
    let conn: Connection | undefined;
    let pods: PodSource | undefined;
    try {
      conn = await this.connectTo(d);
      pods = polledPods(conn.api, d.namespace, record.runId, opts.signal);
      await pods.refresh();
    } catch (e) {
      // no cluster to ask (or no longer): what `run` saved here
      if (!(e instanceof UserError || e instanceof ApiError)) throw e;
      pods = undefined;
    }
    // no pods (not yet, or no longer): a run that goes on is waited for with -f; else what `run` saved here
    if (!conn || !pods || (pods.current().length === 0 && (!opts.follow || isTerminal(record.state) || isTerminal((await this.live(conn, record)).state.state)))) {
      await printSaved(dir, d.replicas, opts.onLog);
      return;
    }
    const c = conn;
    const cur = record;
    await streamLogs({
      api: c.api,
      namespace: d.namespace,
      pods,
      containersOf: (pod) => [plan.pods.find((g) => replicaOf(pod).startsWith(`${g.role}-`))?.container ?? mainReplica(plan.pods).container],
      follow: opts.follow,
      onLine,
      // the state only (status() would read the whole log for metrics, every poll)
      ended: async () => isTerminal((await this.live(c, cur)).state.state),
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
    const local = new Map(
      runIds(this.opts.runsDir)
        .map((id) => readRecordAt(join(this.opts.runsDir, id)))
        .filter((r): r is RunRecord => r?.backend === "kubernetes")
        .map((r) => [r.runId, r]),
    );
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

function resourceApiVersion(kind: string): string {
  return kind === "Job" ? "batch/v1" : kind === "MPIJob" ? "kubeflow.org/v2beta1" : "kubeflow.org/v1";
}

/** A run found on the cluster that has no record here (submitted from elsewhere). */
function fromObject(o: K8sObject, runId: string, state: LiveState, conn: Connection): RunRecord {
  const l = o.metadata.labels ?? {};
  const createdAt = o.metadata.annotations?.["aves2.io/created-at"] ?? o.metadata.creationTimestamp ?? "";
  const spec = { runId, name: o.metadata.annotations?.["aves2.io/run-name"] ?? runId, component: { name: l[LABEL.component] ?? "?", version: l[LABEL.version] ?? "?", dir: "" }, params: {}, inputs: {}, outputs: {}, code: "", resources: { worker: { count: 1, cpu: 0, mem: 0, gpu: 0 } }, distribute: "none", createdAt } as unknown as SpecJSON;
  return {
    runId,
    backend: "kubernetes",
    component: { name: spec.component.name, version: spec.component.version },
    state: state.state,
    ...(state.reason ? { reason: state.reason } : {}),
    createdAt,
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
    metrics: { epochs: [] },
    transfers: [],
    spec,
    plan: { backend: "kubernetes", runId, spec },
    details: { namespace: conn.namespace, ...(conn.context ? { context: conn.context } : {}), primary: refOf(o), recorded: false },
  };
}

function metricsPatch(record: RunRecord, event: RunEvent): Partial<RunRecord> | undefined {
  if (isMetric(event)) {
    const { type: _t, ...values } = event;
    return { metrics: { ...record.metrics, epochs: [...record.metrics.epochs, values] } };
  }
  if (isSummary(event)) return { metrics: { ...record.metrics, summary: event.metrics } };
  return undefined;
}

/** The logs `run` saved beside the record, for runs whose pods are gone. */
async function printSaved(dir: string, replicas: readonly string[], onLog: (l: LogLine) => void): Promise<void> {
  for (const replica of replicas) {
    const file = logFile(dir, replica);
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (!size) continue;
    const fh = await open(file, "r");
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    await fh.close();
    for (const text of buf.toString("utf8").replace(/\n$/, "").split("\n")) onLog({ replica, stream: "stdout", text });
  }
}
