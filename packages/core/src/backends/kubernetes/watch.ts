import { createInterface } from "node:readline";
import { sleep } from "@aves2/storage";
import { ApiError, isTransient, type KubeApi } from "./api-client.js";
import type { K8sObject } from "./objects.js";

export interface WatchStats {
  /** Full lists (the first, and each after a 410 Gone). */
  lists: number;
  /** Watch connections opened. */
  watches: number;
  /** Watch connections that ended or broke and were opened again. */
  reconnects: number;
}

export interface InformerOptions {
  readonly api: KubeApi;
  /** The collection, e.g. `/apis/batch/v1/namespaces/ns/jobs`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly signal: AbortSignal;
  /** Called with every object known after each change (and after each list). */
  readonly onChange: (objects: readonly K8sObject[]) => void;
  /** Seconds the server keeps one watch open (it then ends it cleanly; we watch again). */
  readonly timeoutSeconds?: number;
  readonly stats?: WatchStats;
  /** The kind listed: the API leaves `kind`/`apiVersion` out of list items of built-in kinds, and they are put back. */
  readonly kind?: { readonly kind: string; readonly apiVersion: string };
  /**
   * A watch the user's role may not open (403 on watch, list allowed): told
   * once, then the collection is listed every `pollMs` instead. Without it
   * the 403 is thrown.
   */
  readonly onWatchForbidden?: (e: ApiError) => void;
  readonly pollMs?: number;
}

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: K8sObject & { code?: number; message?: string; reason?: string };
}

/**
 * list + watch, kept in step like an informer: a watch that ends or breaks is
 * opened again from the last resourceVersion seen (the server sends what
 * happened since, DELETED included); a 410 Gone (that version is no longer
 * kept) means a fresh list. Runs until `signal` aborts.
 */
export async function inform(opts: InformerOptions): Promise<void> {
  const { api, signal } = opts;
  const stats = opts.stats ?? { lists: 0, watches: 0, reconnects: 0 };
  const items = new Map<string, K8sObject>();
  const key = (o: K8sObject) => o.metadata.uid ?? o.metadata.name;
  const emit = () => opts.onChange([...items.values()]);
  const list = async (): Promise<string> => {
    const l = await api.request<{ items?: K8sObject[]; metadata?: { resourceVersion?: string } }>("GET", opts.path, {
      query: { labelSelector: opts.labelSelector },
      signal,
    });
    stats.lists++;
    items.clear();
    const k = opts.kind;
    for (const o of l.items ?? []) items.set(key(o), k ? { ...o, kind: o.kind ?? k.kind, apiVersion: o.apiVersion ?? k.apiVersion } : o);
    emit();
    return l.metadata?.resourceVersion ?? "";
  };

  let rv: string | undefined;
  let failures = 0;
  let polling = false;
  while (!signal.aborted) {
    try {
      if (polling) {
        await list();
        await sleep(opts.pollMs ?? 2_000, signal);
        continue;
      }
      if (rv === undefined) rv = await list();
      stats.watches++;
      const res = await api.stream(opts.path, { watch: 1, resourceVersion: rv, labelSelector: opts.labelSelector, allowWatchBookmarks: true, timeoutSeconds: opts.timeoutSeconds ?? 300 }, signal);
      let gone = false;
      const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
      const broken = new Promise<void>((resolve) => res.once("aborted", resolve));
      const read = (async () => {
        for await (const line of lines) {
          if (!line.trim()) continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch {
            continue; // a line cut by a broken connection
          }
          if (ev.type === "ERROR") {
            if (ev.object.code === 410) {
              gone = true;
              break;
            }
            throw new ApiError(ev.object.code ?? 500, ev.object.reason ?? "WatchError", ev.object.message ?? "watch error");
          }
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === "BOOKMARK") continue;
          if (ev.type === "DELETED") items.delete(key(ev.object));
          else items.set(key(ev.object), ev.object);
          failures = 0;
          emit();
        }
      })();
      // a read that fails after the connection broke must not go unhandled
      const outcome = await Promise.race([read.then(() => undefined, (e: unknown) => e), broken.then(() => undefined)]);
      res.destroy();
      if (outcome) throw outcome;
      if (gone) rv = undefined;
      else if (!signal.aborted) stats.reconnects++;
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof ApiError && e.status === 410) {
        rv = undefined;
        continue;
      }
      if (e instanceof ApiError && e.status === 403 && opts.onWatchForbidden && e.request?.query?.watch) {
        opts.onWatchForbidden(e);
        polling = true;
        continue;
      }
      if (!isTransient(e) && !(e instanceof Error && /aborted|ECONNRESET|socket hang up|premature close/i.test(e.message))) throw e;
      stats.reconnects++;
      failures++;
      await sleep(Math.min(250 * 2 ** Math.min(failures, 5), 8_000), signal);
    }
  }
}
