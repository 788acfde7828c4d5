import { stat } from "node:fs/promises";
import { basename, join, posix } from "node:path";
import { UserError } from "./errors.js";
import { connect } from "./s3/connection.js";
import { headObject, listAll } from "./s3/lookups.js";
import { send } from "./s3/request.js";
import { folderPrefix } from "./s3/s3-store.js";
import { S3Tree } from "./s3/s3-tree.js";
import { DEFAULT_S3, type S3Settings } from "./s3/settings.js";
import type { Transfer, TransferProgress } from "./store.js";
import { pullObjects, pullTree, pushTree, type SyncResult, transferRecord } from "./sync.js";
import { ProgressTracker } from "./transfer-progress.js";
import { type DataUri, formatUri, parseUri } from "./uri.js";

/**
 * `component storage sync` and `storage ls`: the staging engine pointed at
 * two places a user names, like `aws s3 sync` (changed and new files only,
 * nothing deleted).
 */
export interface SyncUrisOptions {
  readonly cwd: string;
  readonly s3?: S3Settings;
  readonly progress?: TransferProgress;
  /** Write the completion marker (`_SUCCESS` with a manifest) last, as run outputs get. */
  readonly marker?: boolean;
}

type S3Uri = Extract<DataUri, { scheme: "s3" }>;

function side(raw: string, what: string, cwd: string): DataUri {
  const u = parseUri(raw, what, cwd);
  if (u.scheme !== "file" && u.scheme !== "s3") throw UserError.of(`${u.scheme}:// cannot be synced from here`, { path: what, hint: "use a local folder or s3://bucket/prefix/" });
  return u;
}

export async function syncUris(src: string, dst: string, opts: SyncUrisOptions): Promise<Transfer> {
  const from = side(src, "<src>", opts.cwd);
  const to = side(dst, "<dst>", opts.cwd);
  if ((from.scheme === "s3") === (to.scheme === "s3")) {
    throw UserError.of(`one side must be a local folder and the other s3://`, { path: `${src} → ${dst}`, hint: "e.g. component storage sync ./data s3://bucket/datasets/data/" });
  }
  // a missing local source is said before credentials or the network are looked at
  const source = from.scheme === "file" ? await stat(from.path).catch(() => undefined) : undefined;
  if (from.scheme === "file" && !source) throw UserError.of(`${from.path} does not exist`, { path: "<src>" });
  const conn = await connect(opts.s3 ?? DEFAULT_S3);
  const started = Date.now();
  const done = (direction: "in" | "out", uri: string, local: string, r: SyncResult, method: string) => transferRecord(direction, "sync", uri, local, r, method, started);

  if (to.scheme === "s3" && from.scheme === "file") {
    const s = source!;
    if (s.isFile()) {
      // one file (an archive of code, say): to the key named, or into the prefix
      const key = to.key === "" || to.key.endsWith("/") ? `${to.key}${basename(from.path)}` : to.key;
      if (!posix.basename(key)) throw UserError.of("no key to upload to", { path: "<dst>" });
      const tree = new S3Tree(conn, to.bucket, posix.dirname(key) === "." ? "" : `${posix.dirname(key)}/`, "<dst>");
      const t = new ProgressTracker({ name: "sync", direction: "out", uri: formatUri(to) }, opts.progress, () => tree.retries);
      t.totals(1, s.size);
      const existing = (await tree.list()).find((o) => o.rel === posix.basename(key));
      const same = existing ? await tree.sameContent(from.path, s.size, existing) : undefined;
      if (same) t.skipped(s.size);
      else {
        await tree.upload(from.path, posix.basename(key), s.size, (n) => t.addBytes(n));
        t.fileDone();
      }
      t.emit(true, true);
      const r: SyncResult = { files: same ? 0 : 1, bytes: same ? 0 : s.size, skipped: same ? 1 : 0, skippedBytes: same ? s.size : 0, unverified: 0, retries: tree.retries, seconds: 0 };
      return done("out", `s3://${to.bucket}/${key}`, from.path, r, "upload");
    }
    const tree = new S3Tree(conn, to.bucket, folderPrefix(to.key), "<dst>");
    const t = new ProgressTracker({ name: "sync", direction: "out", uri: tree.label }, opts.progress, () => tree.retries);
    return done("out", tree.label, from.path, await pushTree(from.path, tree, { tracker: t, ...(opts.marker ? { marker: {} } : {}) }), "upload");
  }

  const s3 = from as S3Uri;
  const local = (to as Extract<DataUri, { scheme: "file" }>).path;
  const dest = await stat(local).catch(() => undefined);
  if (dest && !dest.isDirectory()) throw UserError.of(`${local} exists and is not a folder`, { path: "<dst>" });
  if (s3.key !== "" && !s3.key.endsWith("/")) {
    // a key that is an object (not only a prefix) is downloaded as one file into the folder
    const head = await send(conn, { uri: formatUri(s3), what: "<src>" }, () => headObject(conn.transport, s3.bucket, s3.key)).catch(() => undefined);
    if (head) {
      const dir = posix.dirname(s3.key);
      const tree = new S3Tree(conn, s3.bucket, dir === "." ? "" : `${dir}/`, "<src>");
      const t = new ProgressTracker({ name: "sync", direction: "in", uri: formatUri(s3) }, opts.progress, () => tree.retries);
      const obj = { rel: posix.basename(s3.key), size: head.size, etag: head.etag, ...(head.lastModified ? { lastModified: head.lastModified } : {}) };
      return done("in", formatUri(s3), join(local, obj.rel), await pullObjects(tree, [obj], local, { tracker: t }), "download");
    }
  }
  const tree = new S3Tree(conn, s3.bucket, folderPrefix(s3.key), "<src>");
  const t = new ProgressTracker({ name: "sync", direction: "in", uri: tree.label }, opts.progress, () => tree.retries);
  const r = await pullTree(tree, local, { tracker: t });
  if (r.files + r.skipped === 0) throw UserError.of(`${tree.label} has no objects`, { path: "<src>", hint: "check the bucket and prefix with `component storage ls`" });
  return done("in", tree.label, local, r, "download");
}

export interface ListedEntry {
  /** The key, or the common prefix (ending in /) of a folder. */
  readonly key: string;
  readonly kind: "object" | "folder";
  readonly size?: number;
  readonly lastModified?: string;
  readonly etag?: string;
}

/** The objects and folders right under `raw` (or every object below it, `recursive`). */
export async function listUri(raw: string, opts: { cwd: string; s3?: S3Settings; recursive?: boolean }): Promise<ListedEntry[]> {
  const u = parseUri(raw, "<uri>", opts.cwd);
  if (u.scheme !== "s3") throw UserError.of("storage ls lists s3:// locations", { path: raw, hint: "for local folders use ls" });
  const conn = await connect(opts.s3 ?? DEFAULT_S3);
  const list = async (prefix: string) => {
    const out: ListedEntry[] = [];
    await listAll(
      conn.transport,
      { bucket: u.bucket, prefix, ...(opts.recursive ? {} : { delimiter: "/" }) },
      (page) => {
        for (const p of page.prefixes) out.push({ key: p, kind: "folder" });
        for (const o of page.objects) {
          if (!o.key) continue;
          out.push({ key: o.key, kind: "object", size: o.size, ...(o.lastModified ? { lastModified: o.lastModified.toISOString() } : {}), etag: o.etag });
        }
      },
      (f) => send(conn, { uri: formatUri(u), what: "<uri>" }, f),
    );
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  };
  // `s3://b/data` means the folder data/ when there is one (as for inputs), else what starts with "data"
  if (u.key && !u.key.endsWith("/")) {
    const asFolder = await list(`${u.key}/`);
    if (asFolder.length) return asFolder;
  }
  return list(u.key);
}
