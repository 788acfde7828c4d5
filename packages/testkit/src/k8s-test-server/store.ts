import { randomUUID } from "node:crypto";
import { clone, KINDS, type K8sObj, type Kind, parseSelector, type Stored, statusBody, type Watcher } from "./types.js";

/**
 * The API server's storage: objects by kind, namespace and name, each change
 * a new resourceVersion sent to the watches that match it, and deletion that
 * follows ownerReferences as the garbage collector does.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Stored>();
  readonly watchers = new Set<Watcher>();
  rv = 100;
  /** Watches from a resourceVersion below this answer 410 Gone. */
  compacted = 0;

  /** `onDelete`: told of every object deleted (the controller stops its jobs, ends its pods' logs). */
  constructor(private readonly onDelete: (kind: Kind, ns: string | undefined, name: string) => void) {}

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

  put(kind: Kind, o: K8sObj, type?: "ADDED" | "MODIFIED"): K8sObj {
    const key = this.key(kind, o.metadata.namespace, o.metadata.name);
    const existing = this.objects.get(key);
    const obj: K8sObj = {
      ...o,
      metadata: {
        ...o.metadata,
        uid: o.metadata.uid ?? existing?.obj.metadata.uid ?? randomUUID(),
        creationTimestamp: o.metadata.creationTimestamp ?? existing?.obj.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        resourceVersion: String(++this.rv),
      },
    };
    this.objects.set(key, { kind, obj });
    this.notify(type ?? (existing ? "MODIFIED" : "ADDED"), kind, obj);
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

  remove(kind: Kind, ns: string | undefined, name: string, propagation: string): K8sObj | undefined {
    const key = this.key(kind, ns, name);
    const s = this.objects.get(key);
    if (!s) return undefined;
    this.objects.delete(key);
    const gone = { ...s.obj, metadata: { ...s.obj.metadata, resourceVersion: String(++this.rv) } };
    this.notify("DELETED", kind, gone);
    this.onDelete(kind, ns, name);
    // the garbage collector: dependents go with their owner, unless orphaned
    for (const d of [...this.objects.values()]) {
      const refs = d.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === s.obj.metadata.uid)) continue;
      if (propagation === "Orphan") this.update(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, (o) => {
          o.metadata.ownerReferences = refs.filter((r) => r.uid !== s.obj.metadata.uid);
        });
      else this.remove(d.kind, d.obj.metadata.namespace, d.obj.metadata.name, propagation);
    }
    return gone;
  }

  private notify(type: string, kind: Kind, obj: K8sObj): void {
    for (const w of this.watchers) {
      if (w.kind !== kind || (w.namespace && w.namespace !== obj.metadata.namespace) || !w.selector(obj.metadata.labels)) continue;
      w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
    }
  }

  matching(kind: Kind, ns: string | undefined, selector: string | undefined): K8sObj[] {
    const sel = parseSelector(selector);
    return [...this.objects.values()].filter((s) => s.kind === kind && (!ns || s.obj.metadata.namespace === ns) && sel(s.obj.metadata.labels)).map((s) => s.obj);
  }

  /** Forgets every resourceVersion up to now: open watches get an ERROR 410 event and end. */
  compact(): void {
    this.compacted = this.rv + 1;
    this.rv++;
    for (const w of [...this.watchers]) {
      w.res.end(`${JSON.stringify({ type: "ERROR", object: statusBody(410, "Expired", "too old resource version") })}\n`);
      this.watchers.delete(w);
    }
  }
}
