import { mkdir, rename, rm, stat, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "./errors.js";
import { MARKER, type ManifestFile, manifest, manifestText } from "./completion-marker.js";
import { type ContentCache, materialize } from "./content-cache.js";
import { writingTo } from "./disk-full.js";
import { walkFiles } from "./local-tree.js";
import { forEachLimited } from "./pool.js";
import { unsafeRelative } from "./relative-path.js";
import type { RemoteObject, RemoteTree } from "./remote.js";
import type { MarkerFacts, Transfer } from "./store.js";
import type { ProgressTracker } from "./transfer-progress.js";
import { bytes as size } from "./transfer-view.js";

/**
 * The sync engine: list both sides, move what differs (by size and ETag),
 * many files at once. Used by stage-in/stage-out of runs (here and, later,
 * inside pods) and by `component storage sync`.
 */

export interface SyncResult {
  /** Files moved. */
  readonly files: number;
  readonly bytes: number;
  /** Files already there unchanged. */
  readonly skipped: number;
  readonly skippedBytes: number;
  readonly unverified: number;
  readonly retries: number;
  readonly seconds: number;
  readonly marker?: string;
}

/** Files transferred at once; each large one also splits into parallel parts. */
export const FILE_CONCURRENCY = 32;

export interface PullOptions {
  readonly tracker?: ProgressTracker;
  /**
   * Objects go through this cache and are then linked (or copied, with
   * `writable`) into the folder; unchanged objects are not downloaded again.
   * Without a cache they are written to the folder directly, and files that
   * have the object's size and time are left alone (as `aws s3 sync` does).
   */
  readonly cache?: ContentCache;
  readonly writable?: boolean;
  readonly concurrency?: number;
  /** The binding the files are for (`data_dir`), as errors' path. */
  readonly what?: string;
}

/** The objects of a listing that are files to write, checked for names that would escape the folder. */
export function filesOf(remote: RemoteTree, objects: readonly RemoteObject[]): RemoteObject[] {
  const files = objects.filter((o) => !(o.rel.endsWith("/") && o.size === 0)); // folder placeholders
  const problems: string[] = [];
  const dirs = new Set<string>();
  for (const o of files) {
    const why = unsafeRelative(o.rel);
    if (why) problems.push(`"${o.rel}" ${why}`);
    const parts = o.rel.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  for (const o of files) if (dirs.has(o.rel)) problems.push(`"${o.rel}" is both an object and a folder of other objects`);
  if (problems.length) {
    throw UserError.of(`${remote.label} has keys that cannot be files in a folder: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`, {
      path: remote.label,
      hint: "rename those objects, or stage a prefix without them",
    });
  }
  return files;
}

/** Largest first, so that the end of a transfer is not one big file alone. */
function bySizeDesc<T extends { size: number }>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => b.size - a.size);
}

export async function pullTree(remote: RemoteTree, dir: string, opts: PullOptions = {}): Promise<SyncResult> {
  const started = Date.now();
  const files = filesOf(remote, await remote.list());
  return pullObjects(remote, files, dir, opts, started);
}

/** Downloads the given objects (already listed) under `dir`, each at its `rel`. */
export async function pullObjects(remote: RemoteTree, files: readonly RemoteObject[], dir: string, opts: PullOptions, started = Date.now()): Promise<SyncResult> {
  const t = opts.tracker;
  t?.totals(files.length, files.reduce((n, f) => n + f.size, 0));
  // a folder that is new has no files to compare with: no need to look at each one
  const fresh = (await stat(dir).catch(() => undefined)) === undefined;
  await mkdir(dir, { recursive: true });
  const made = new Set<string>([dir]);
  const ensureDir = async (d: string) => {
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  let moved = 0;
  let bytes = 0;
  let skipped = 0;
  let skippedBytes = 0;
  let unverified = 0;
  await forEachLimited(bySizeDesc(files), opts.concurrency ?? FILE_CONCURRENCY, async (obj) => {
    const dest = join(dir, obj.rel);
    await ensureDir(dirname(dest));
    let fetched = false;
    const get = async (to: string) => {
      let got = 0;
      try {
        const r = await remote.download(obj, to, (n) => {
          got += n;
          t?.addBytes(n);
        });
        if (!r.verified) unverified++;
      } catch (e) {
        t?.addBytes(-got);
        throw e;
      }
    };
    const doing = `downloading ${remote.label}${obj.rel} (${size(obj.size)})`;
    const what = opts.what ? { what: opts.what } : {};
    if (opts.cache) {
      const cache = opts.cache;
      const cached = cache.pathFor(remote.identity(obj), `${obj.size}:${obj.etag}`);
      if (!(await cache.has(cached, obj.size))) {
        const scratch = await cache.scratch(cached);
        try {
          await writingTo({ path: cached, doing, hint: cache.fullHint, ...what }, async () => {
            await get(scratch);
            await cache.commit(scratch, cached, obj.size);
          });
        } catch (e) {
          await cache.discard(scratch);
          throw e;
        }
        fetched = true;
      }
      if (!fresh) await rm(dest, { force: true });
      await writingTo({ path: dest, doing, ...what }, () => materialize(cached, dest, Boolean(opts.writable)));
    } else {
      const s = fresh ? undefined : await stat(dest).catch(() => undefined);
      const same = s?.isFile() && s.size === obj.size && obj.lastModified && Math.abs(s.mtimeMs - obj.lastModified.getTime()) < 1000;
      if (!same) {
        const scratch = `${dest}.aves2-part`;
        try {
          await writingTo({ path: dest, doing, ...what }, async () => {
            await get(scratch);
            await rename(scratch, dest);
          });
        } catch (e) {
          await rm(scratch, { force: true });
          throw e;
        }
        if (obj.lastModified) await utimes(dest, obj.lastModified, obj.lastModified);
        fetched = true;
      }
    }
    if (fetched) {
      moved++;
      bytes += obj.size;
      t?.fileDone();
    } else {
      skipped++;
      skippedBytes += obj.size;
      t?.skipped(obj.size);
    }
  });
  t?.emit(true, true);
  return { files: moved, bytes, skipped, skippedBytes, unverified, retries: remote.retries, seconds: (Date.now() - started) / 1000 };
}

export interface PushOptions {
  readonly tracker?: ProgressTracker;
  /**
   * Facts: write the completion marker last. `false`: remove an old marker
   * first and write none (the output is partial). Absent: leave markers alone
   * (a plain sync); a local `_SUCCESS` is then uploaded last.
   */
  readonly marker?: MarkerFacts | false;
  readonly concurrency?: number;
}

export async function pushTree(dir: string, remote: RemoteTree, opts: PushOptions = {}): Promise<SyncResult> {
  const started = Date.now();
  const t = opts.tracker;
  const [local, listing] = await Promise.all([walkFiles(dir), remote.list()]);
  const there = new Map(listing.map((o) => [o.rel, o]));
  const localMarker = local.find((f) => f.rel === MARKER);
  const files = local.filter((f) => f.rel !== MARKER);
  const last = opts.marker === undefined && localMarker ? [localMarker] : [];
  const all = [...files, ...last];
  t?.totals(all.length + (opts.marker ? 1 : 0), all.reduce((n, f) => n + f.size, 0));

  // a marker must never describe files that are about to change
  if (opts.marker !== undefined && there.has(MARKER)) await remote.remove(MARKER);

  const entries: ManifestFile[] = [];
  let moved = 0;
  let bytes = 0;
  let skipped = 0;
  let skippedBytes = 0;
  const one = async (f: (typeof local)[number]) => {
    const old = there.get(f.rel);
    const same = old && old.size === f.size ? await remote.sameContent(f.path, f.size, old) : undefined;
    if (same) {
      entries.push({ path: f.rel, size: f.size, md5: same });
      skipped++;
      skippedBytes += f.size;
      t?.skipped(f.size);
      return;
    }
    let sent = 0;
    try {
      const { md5 } = await remote.upload(f.path, f.rel, f.size, (n) => {
        sent += n;
        t?.addBytes(n);
      });
      entries.push({ path: f.rel, size: f.size, md5 });
    } catch (e) {
      t?.addBytes(-sent);
      throw e;
    }
    moved++;
    bytes += f.size;
    t?.fileDone();
  };
  await forEachLimited(bySizeDesc(files), opts.concurrency ?? FILE_CONCURRENCY, one);
  for (const f of last) await one(f);
  let marker: string | undefined;
  if (opts.marker) {
    await remote.putText(MARKER, manifestText(manifest(entries, opts.marker)), "application/json");
    marker = MARKER;
    t?.fileDone();
  }
  t?.emit(true, true);
  return { files: moved, bytes, skipped, skippedBytes, unverified: 0, retries: remote.retries, seconds: (Date.now() - started) / 1000, ...(marker ? { marker } : {}) };
}

/** What a run record (and `storage sync --json`) says of one finished transfer. */
export function transferRecord(direction: "in" | "out", name: string, uri: string, local: string, r: SyncResult, method: string, started: number): Transfer {
  return {
    direction,
    name,
    uri,
    local,
    files: r.files,
    bytes: r.bytes,
    seconds: (Date.now() - started) / 1000,
    method,
    skipped: r.skipped,
    skippedBytes: r.skippedBytes,
    ...(r.unverified ? { unverified: r.unverified } : {}),
    ...(r.retries ? { retries: r.retries } : {}),
    ...(r.marker ? { marker: r.marker } : {}),
  };
}
