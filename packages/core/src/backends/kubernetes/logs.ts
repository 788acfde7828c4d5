import { open, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { logFile } from "../../records/run-store.js";
import type { LogLine } from "../backend.js";
import { sleep } from "@aves2/storage";
import { ApiError, isTransient, type KubeApi } from "./api-client.js";
import { type K8sObject, resourcePath } from "./objects.js";
import type { PodGroup } from "./render-context.js";
import { mainReplica, replicaOf } from "./status.js";

/** Where the pods of a run come from: a poll of the API, or an informer's cache. */
export interface PodSource {
  current(): readonly K8sObject[];
  refresh(): Promise<void>;
}

/** The pods of a label selector (a run's current attempt's: attempts.ts podSelector), listed on each refresh. */
export function polledPods(api: KubeApi, namespace: string, labelSelector: string, signal?: AbortSignal): PodSource {
  let pods: readonly K8sObject[] = [];
  return {
    current: () => pods,
    refresh: async () => {
      const l = await api.request<{ items?: K8sObject[] }>("GET", resourcePath("Pod", namespace), { query: { labelSelector }, ...(signal ? { signal } : {}) });
      pods = l.items ?? [];
    },
  };
}

export interface LogStreamOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly pods: PodSource;
  /** The containers of a pod whose log is read (its role's training container). */
  readonly containersOf: (pod: K8sObject) => readonly string[];
  readonly follow: boolean;
  readonly onLine: (replica: string, text: string) => void;
  /** Whether the run has ended (then following stops once every log is drained). */
  readonly ended: () => Promise<boolean>;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
  /** Connections to a log that broke and were resumed. */
  readonly stats?: { resumed: number };
  /**
   * A log the user's role may not read (403 on pods/log): told once per
   * container, whose log is then left out. Without it the 403 ends the
   * streaming, as an error.
   */
  readonly onForbidden?: (e: ApiError) => void;
}

/** The container whose log is a pod's: its role's training container. */
export function trainingContainers(groups: readonly PodGroup[]): (pod: K8sObject) => readonly string[] {
  return (pod) => [groups.find((g) => replicaOf(pod).startsWith(`${g.role}-`))?.container ?? mainReplica(groups).container];
}

/** RFC3339Nano with its fraction padded to 9 digits, so timestamps compare as strings. */
export function tsKey(ts: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}${m[3]}`;
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: unknown; running?: unknown; terminated?: unknown };
}

function containerStatus(pod: K8sObject, name: string): ContainerStatus | undefined {
  const s = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[] };
  return s.containerStatuses?.find((c) => c.name === name);
}

const podDone = (pod: K8sObject) => ["Succeeded", "Failed"].includes(String((pod.status as { phase?: string } | undefined)?.phase));

/**
 * One container's log, across reconnects and restarts. Lines come with their
 * timestamps: a resumed stream asks from the last second seen and skips what
 * was already printed, so a lost connection never duplicates a line; after a
 * restart, the previous instance's tail is read first.
 */
class ContainerLog {
  private lastTs = "";
  /** Lines printed at exactly `lastTs` (timestamps can repeat). */
  private atLast = 0;
  private restarts = -1;

  constructor(
    private readonly o: LogStreamOptions,
    private readonly podName: string,
    private readonly uid: string,
    private readonly container: string,
    private readonly replica: string,
  ) {}

  private pod(): K8sObject | undefined {
    return this.o.pods.current().find((p) => (p.metadata.uid ?? p.metadata.name) === this.uid);
  }

  private emit(line: string): void {
    const sp = line.indexOf(" ");
    const ts = sp > 0 ? tsKey(line.slice(0, sp)) : "";
    const text = sp > 0 ? line.slice(sp + 1) : line;
    if (ts) {
      if (ts < this.lastTs) return;
      if (ts === this.lastTs) {
        if (this.skip > 0) {
          this.skip--;
          return;
        }
        this.atLast++;
      } else {
        this.lastTs = ts;
        this.atLast = 1;
        this.skip = 0;
      }
    }
    this.o.onLine(this.replica, text);
  }

  /** Lines at `lastTs` already printed, to skip when a resumed stream repeats them. */
  private skip = 0;

  private async read(follow: boolean, previous: boolean, signal: AbortSignal): Promise<void> {
    const sinceTime = this.lastTs ? `${this.lastTs.slice(0, 19)}Z` : undefined;
    this.skip = this.atLast;
    const res = await this.o.api.stream(
      resourcePath("Pod", this.o.namespace, this.podName, "log"),
      { container: this.container, timestamps: true, follow: follow || undefined, previous: previous || undefined, sinceTime },
      signal,
    );
    const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
    const broken = new Promise<void>((resolve) => res.once("aborted", resolve));
    const done = (async () => {
      for await (const line of lines) this.emit(line);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    const outcome = await Promise.race([done, broken.then(() => "broken" as const)]);
    res.destroy();
    if (outcome === "broken" || outcome) this.o.stats && this.o.stats.resumed++;
    if (outcome === "broken" || outcome) throw new ApiError(0, "ConnectionFailed", "log stream broke", undefined, undefined, "ECONNRESET");
  }

  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const pod = this.pod();
      if (!pod) return;
      const cs = containerStatus(pod, this.container);
      if (!cs?.state?.running && !cs?.state?.terminated) {
        if (podDone(pod) || !this.o.follow) return;
        await sleep(this.o.pollMs ?? 1000, signal);
        continue;
      }
      try {
        const restarts = cs.restartCount ?? 0;
        if (this.restarts >= 0 && restarts > this.restarts) await this.read(false, true, signal);
        this.restarts = restarts;
        const live = this.o.follow && Boolean(cs.state.running);
        await this.read(live, false, signal);
        failures = 0;
        if (live) {
          // the container ended (or restarted): look at the pod again before reading on, not in a loop of empty reads
          await sleep(this.o.pollMs ?? 1000, signal);
          await this.o.pods.refresh().catch(() => undefined);
        } else {
          if (!this.o.follow) return;
          if (podDone(pod)) return;
          // terminated but the pod goes on: wait for a restart
          await sleep(this.o.pollMs ?? 1000, signal);
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ApiError && e.status === 404) return;
        if (e instanceof ApiError && e.status === 403 && this.o.onForbidden) {
          this.o.onForbidden(e);
          return;
        }
        // 400: the container is not running (yet, or any more): look again
        if (!(e instanceof ApiError && (e.status === 400 || isTransient(e)))) throw e;
        failures++;
        await sleep(Math.min(200 * 2 ** Math.min(failures, 5), 5_000), signal);
        // the container may have restarted while the stream was down: a stale restart count would
        // read the new instance first, and the old one's last lines would then count as seen
        await this.o.pods.refresh().catch(() => undefined);
      }
    }
  }
}

/** Every replica's log, prefixed by the caller; with `follow`, until the run ends and every log is drained. */
export async function streamLogs(o: LogStreamOptions): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  o.signal?.addEventListener("abort", stop, { once: true });
  const running = new Map<string, { readonly p: Promise<void>; readonly uid: string; readonly container: string }>();
  const errors: unknown[] = [];
  try {
    for (;;) {
      await o.pods.refresh();
      const pods = [...o.pods.current()].sort((a, b) => replicaOf(a).localeCompare(replicaOf(b), undefined, { numeric: true }));
      for (const pod of pods) {
        for (const c of o.containersOf(pod)) {
          const key = `${pod.metadata.uid ?? pod.metadata.name}/${c}`;
          if (running.has(key)) continue;
          const log = new ContainerLog(o, pod.metadata.name, pod.metadata.uid ?? pod.metadata.name, c, replicaOf(pod));
          const p = log.run(ac.signal).catch((e) => void errors.push(e));
          running.set(key, { p, uid: pod.metadata.uid ?? pod.metadata.name, container: c });
          // without follow, one log after the other keeps each replica's lines together
          if (!o.follow) await p;
        }
      }
      if (errors.length) throw errors[0];
      if (!o.follow || ac.signal.aborted) break;
      if (await o.ended()) {
        // give the streams a moment to drain what the containers printed last; a container
        // still running once the run has ended (a parameter server, the survivors of a
        // failure) never ends its stream: it gets a short grace only
        await o.pods.refresh().catch(() => undefined);
        const now = new Map(o.pods.current().map((p) => [p.metadata.uid ?? p.metadata.name, p]));
        const stillRunning = (r: { uid: string; container: string }) => {
          const pod = now.get(r.uid);
          return pod !== undefined && !podDone(pod) && Boolean(containerStatus(pod, r.container)?.state?.running);
        };
        const streams = [...running.values()];
        const drained = new AbortController();
        const within = (ps: Promise<void>[], ms: number) => Promise.race([Promise.all(ps), sleep(ms, drained.signal)]);
        await Promise.all([within(streams.filter((r) => !stillRunning(r)).map((r) => r.p), 5_000), within(streams.filter(stillRunning).map((r) => r.p), 1_000)]);
        drained.abort();
        break;
      }
      await sleep(o.pollMs ?? 1000, ac.signal);
    }
  } finally {
    ac.abort();
    await Promise.all([...running.values()].map((r) => r.p));
    o.signal?.removeEventListener("abort", stop);
  }
  if (errors.length) throw errors[0];
}

/** The logs `run` saved beside the record, for runs whose pods are gone. */
export async function printSaved(dir: string, replicas: readonly string[], onLog: (l: LogLine) => void): Promise<void> {
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
