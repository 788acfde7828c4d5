import { randomUUID } from "node:crypto";
import { clone, type HistoryEntry, KINDS, type K8sObj, type Kind, parseSelector, type Stored, statusBody, type Watcher } from "./types.js";

/** What the store reads each time (tests change them between steps). */
export interface StoreSettings {
  readonly gcDelayMs: number;
  readonly podTerminationMs: number;
}

/** Changes kept for watches from an older resourceVersion; older ones answer 410 Gone. */
const HISTORY = 5_000;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * The API server's storage: objects by kind, namespace and name, each change
 * a new resourceVersion sent to the watches that match it (and kept, so that
 * a watch resumed from an older version gets what happened since, DELETED
 * included). Deletion is as on a real cluster: a pod terminates for a while
 * (deletionTimestamp) before it is gone, and the garbage collector deletes
 * the dependents of a deleted owner later, not with it.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Stored>();
  readonly watchers = new Set<Watcher>();
  readonly history: HistoryEntry[] = [];
  readonly timers = new Set<NodeJS.Timeout>();
  rv = 100;
  /** Watches from a resourceVersion below this answer 410 Gone. */
  compacted = 0;
  /** Owners whose dependents wait for the garbage collector (held by a test). */
  private gcHeld = false;
  private readonly gcQueue: (() => void)[] = [];

  /** `onDelete`: told of every object gone (the controller stops its jobs, ends its pods' logs). */
  constructor(
    private readonly onDelete: (kind: Kind, ns: string | undefined, name: string) => void,
    private readonly settings: StoreSettings,
  ) {}

  kind(name: string): Kind {
    const k = KINDS.find((x) => x.kind === name);
    if (!k) throw new Error(`the Kubernetes test server has no kind ${name}`);
    return k;
  }

  key(k: Kind, ns: string | undefined, name: string): string {
    return `${k.plural}/${k.namespaced ? ns ?? "" : ""}/${name}`;
  }

  lookup(kind: Kind, ns: string | undefined, name: string): Stored | undefined {
    return this.objects.get(this.key(kind, ns, name));
  }

  all(): Stored[] {
    return [...this.objects.values()];
  }

  later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    this.timers.add(t);
  }

  put(kind: Kind, o: K8sObj, type?: "ADDED" | "MODIFIED"): K8sObj {
    const key = this.key(kind, o.metadata.namespace, o.metadata.name);
    const existing = this.objects.get(key);
    const obj: K8sObj = {
      ...o,
      metadata: {
        ...o.metadata,
        uid: o.metadata.uid ?? existing?.obj.metadata.uid ?? randomUUID(),
        creationTimestamp: o.metadata.creationTimestamp ?? existing?.obj.metadata.creationTimestamp ?? now(),
        resourceVersion: String(++this.rv),
      },
    };
    this.objects.set(key, { kind, obj });
    this.notify({ rv: this.rv, type: type ?? (existing ? "MODIFIED" : "ADDED"), kind, obj, ...(existing?.obj.metadata.labels ? { before: existing.obj.metadata.labels } : {}) });
    return obj;
  }

  /** Changes an object's status (or anything) in place, as a controller does. */
  update(kind: Kind, ns: string | undefined, name: string, f: (o: K8sObj) => void): K8sObj | undefined {
    const s = this.lookup(kind, ns, name);
    if (!s) return undefined;
    const o = clone(s.obj);
    f(o);
    return this.put(kind, o, "MODIFIED");
  }

  /**
   * DELETE, as the API answers it: the object as deleted (or, for a pod that
   * now terminates, with its deletionTimestamp). `gracePeriodSeconds: 0`
   * removes a pod at once.
   */
  remove(kind: Kind, ns: string | undefined, name: string, propagation: string, gracePeriodSeconds?: number): K8sObj | undefined {
    const s = this.lookup(kind, ns, name);
    if (!s) return undefined;
    if (kind.kind === "Pod" && gracePeriodSeconds !== 0 && this.settings.podTerminationMs > 0) {
      if (s.obj.metadata.deletionTimestamp) return s.obj;
      const grace = gracePeriodSeconds ?? Number((s.obj.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30);
      const terminating = this.update(kind, ns, name, (o) => {
        o.metadata.deletionTimestamp = now();
        o.metadata.deletionGracePeriodSeconds = grace;
      })!;
      // the kubelet stops the containers, then the pod is gone
      this.later(this.settings.podTerminationMs, () => this.removeNow(kind, ns, name, "Background"));
      return terminating;
    }
    if (propagation === "Foreground") {
      // the owner stays, being deleted, until its dependents are gone
      const marked = this.update(kind, ns, name, (o) => {
        o.metadata.deletionTimestamp = now();
        o.metadata.finalizers = [...(o.metadata.finalizers ?? []), "foregroundDeletion"];
      })!;
      this.collect(marked, "Foreground", () => this.removeNow(kind, ns, name, "Orphan"));
      return marked;
    }
    return this.removeNow(kind, ns, name, propagation);
  }

  private removeNow(kind: Kind, ns: string | undefined, name: string, propagation: string): K8sObj | undefined {
    const key = this.key(kind, ns, name);
    const s = this.objects.get(key);
    if (!s) return undefined;
    this.objects.delete(key);
    const gone = { ...s.obj, metadata: { ...s.obj.metadata, resourceVersion: String(++this.rv) } };
    this.notify({ rv: this.rv, type: "DELETED", kind, obj: gone });
    this.onDelete(kind, ns, name);
    if (propagation === "Orphan") {
      for (const d of this.dependents(s.obj)) {
        this.update(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== s.obj.metadata.uid);
        });
      }
    } else if (propagation !== "Foreground") this.collect(s.obj, "Background");
    return gone;
  }

  private dependents(owner: K8sObj): Stored[] {
    return [...this.objects.values()].filter((d) => (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid));
  }

  /** The garbage collector: a while after an owner is deleted, its dependents are (each in its own way: pods terminate first). */
  private collect(owner: K8sObj, propagation: "Background" | "Foreground", then?: () => void): void {
    const run = () => {
      for (const d of this.dependents(owner)) this.remove(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, "Background");
      if (!then) return;
      const wait = () => (this.dependents(owner).length === 0 ? then() : this.later(10, wait));
      wait();
    };
    const go = () => this.later(this.settings.gcDelayMs, run);
    if (this.gcHeld && propagation === "Background") this.gcQueue.push(go);
    else go();
  }

  /** Stops the garbage collector: dependents of deleted owners stay until releaseGarbageCollection(). */
  holdGarbageCollection(): void {
    this.gcHeld = true;
  }

  releaseGarbageCollection(): void {
    this.gcHeld = false;
    for (const go of this.gcQueue.splice(0)) go();
  }

  private notify(e: HistoryEntry): void {
    this.history.push(e);
    if (this.history.length > HISTORY) {
      const dropped = this.history.splice(0, this.history.length - HISTORY);
      this.compacted = Math.max(this.compacted, dropped[dropped.length - 1]!.rv);
    }
    for (const w of this.watchers) {
      const line = eventFor(w, e);
      if (line) w.res.write(`${JSON.stringify(line)}\n`);
    }
  }

  /** What a watch from `rv` missed: every change since, in order. */
  since(rv: number): HistoryEntry[] {
    return this.history.filter((e) => e.rv > rv);
  }

  matching(kind: Kind, ns: string | undefined, selector: string | undefined, fields: (o: K8sObj) => boolean = () => true): K8sObj[] {
    const sel = parseSelector(selector);
    return [...this.objects.values()].filter((s) => s.kind === kind && (!ns || s.obj.metadata.namespace === ns) && sel(s.obj.metadata.labels) && fields(s.obj)).map((s) => s.obj);
  }

  /** Forgets every resourceVersion up to now: open watches get an ERROR 410 event and end. */
  compact(): void {
    this.compacted = this.rv + 1;
    this.rv++;
    this.history.length = 0;
    for (const w of [...this.watchers]) {
      w.res.end(`${JSON.stringify({ type: "ERROR", object: statusBody(410, "Expired", "too old resource version") })}\n`);
      this.watchers.delete(w);
    }
  }
}

/**
 * The event a watcher gets for a change, as the API sends it: a change that
 * makes an object stop matching the watch's label selector is DELETED for it,
 * one that makes it start matching is ADDED.
 */
export function eventFor(w: Omit<Watcher, "res">, e: HistoryEntry): { type: string; object: K8sObj } | undefined {
  if (w.kind !== e.kind || (w.namespace && w.namespace !== e.obj.metadata.namespace) || !w.fields(e.obj)) return undefined;
  const now = w.selector(e.obj.metadata.labels);
  if (e.type !== "MODIFIED" || !e.before) return now ? { type: e.type, object: e.obj } : undefined;
  const was = w.selector(e.before);
  if (now) return { type: was ? "MODIFIED" : "ADDED", object: e.obj };
  return was ? { type: "DELETED", object: e.obj } : undefined;
}
