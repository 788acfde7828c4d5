import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { dirname, posix } from "node:path";
import { UserError } from "../errors.js";
import { unpackArchive } from "../archive/unpack.js";
import { ContentCache } from "../content-cache.js";
import { FAST } from "../retry/transfer.js";
import type { Store, StageOptions, Transfer } from "../store.js";
import { pullObjects, pullTree, pushTree, transferRecord } from "../sync.js";
import { ProgressTracker } from "../transfer-progress.js";
import { type DataUri, formatUri, isArchive } from "../uri.js";
import { connect, type S3Connection } from "./connection.js";
import { explainS3Error } from "./errors.js";
import { headObject, listPage } from "./lookups.js";
import { send } from "./request.js";
import { S3Tree } from "./s3-tree.js";
import { DEFAULT_S3, type S3Settings } from "./settings.js";

type S3Uri = Extract<DataUri, { scheme: "s3" }>;

function s3Of(uri: DataUri): S3Uri {
  if (uri.scheme !== "s3") throw new Error(`S3 store given ${uri.scheme}://`);
  return uri;
}

/** A key used as a folder: "" (the bucket) or ending with "/". */
export function folderPrefix(key: string): string {
  return key === "" || key.endsWith("/") ? key : `${key}/`;
}

function settingsOf(opts: StageOptions | undefined): S3Settings {
  return opts?.s3 ?? DEFAULT_S3;
}

/** Preflight requests fail fast: a wrong endpoint should not take minutes to say so. */
function probe<T>(conn: S3Connection, uri: string, what: string, f: () => Promise<T>): Promise<T> {
  return send(conn, { uri, what, policy: FAST }, f);
}

/**
 * s3:// on any S3-compatible endpoint. A key ending in .zip/.tar/.tar.gz/.tgz
 * is an archive (downloaded, then unpacked); any other key is a folder prefix.
 * Downloads go through the content cache, so a dataset used again is not
 * downloaded again; outputs are uploaded with a completion marker written last.
 */
export const s3Store: Store = {
  scheme: "s3",

  validate(uri, what, role) {
    const u = s3Of(uri);
    if (u.key === "" || u.key === "/") {
      throw UserError.of(`s3://${u.bucket} has no key or prefix after the bucket`, {
        path: what,
        hint: role === "input" ? "write s3://bucket/prefix/ (a folder) or s3://bucket/path/data.tar.gz (an archive)" : "write s3://bucket/prefix/",
      });
    }
    if (role === "output" && isArchive(u.key)) throw UserError.of(`s3://${u.bucket}/${u.key} names an archive; outputs are saved as folders`, { path: what, hint: "write s3://bucket/prefix/" });
  },

  async checkInput(uri, what, opts) {
    const u = s3Of(uri);
    s3Store.validate!(uri, what, "input");
    const conn = await connect(settingsOf(opts));
    const label = formatUri(u);
    if (isArchive(u.key)) {
      const head = await probe(conn, label, what, () => headObject(conn.transport, u.bucket, u.key)).catch((e) => {
        throw e instanceof UserError && /does not exist at/.test(e.message) ? UserError.of(`archive ${label} does not exist at ${conn.endpoint}`, { path: what }) : e;
      });
      if (!head.size) throw UserError.of(`archive ${label} is empty`, { path: what });
      return;
    }
    const prefix = folderPrefix(u.key);
    const page = await probe(conn, label, what, () => listPage(conn.transport, { bucket: u.bucket, prefix, maxKeys: 2 }));
    if (page.objects.length > 0) return;
    if (!u.key.endsWith("/")) {
      const single = await probe(conn, label, what, () => headObject(conn.transport, u.bucket, u.key)).catch(() => undefined);
      if (single) throw UserError.of(`${label} is a single object, not a folder`, { path: what, hint: "inputs are prefixes (folders) or archives (.zip, .tar, .tar.gz, .tgz)" });
    }
    throw UserError.of(`s3://${u.bucket}/${prefix} is empty: no objects under this prefix at ${conn.endpoint}`, { path: what, hint: "upload the data first, e.g. with `component storage sync <dir> s3://...`" });
  },

  async checkOutput(uri, what, opts) {
    const u = s3Of(uri);
    s3Store.validate!(uri, what, "output");
    const conn = await connect(settingsOf(opts));
    // the only sure way to know a prefix is writable is to write: a tiny object, removed at once
    const key = `${folderPrefix(u.key)}.aves2-write-check-${randomBytes(6).toString("hex")}`;
    const label = formatUri(u);
    await probe(conn, label, what, () => conn.transport.send({ method: "PUT", bucket: u.bucket, key, body: Buffer.alloc(0) })).catch((e) => {
      throw e instanceof UserError && /access denied/.test(e.message)
        ? UserError.of(`${label} is not writable: ${e.problems[0]!.message}`, { path: what, ...(e.problems[0]!.hint ? { hint: e.problems[0]!.hint } : {}) })
        : e;
    });
    await probe(conn, label, what, () => conn.transport.send({ method: "DELETE", bucket: u.bucket, key })).catch(() => undefined);
  },

  async stageIn(uri, dir, name, opts = {}): Promise<Transfer> {
    const started = Date.now();
    const u = s3Of(uri);
    const label = formatUri(u);
    const conn = await connect(settingsOf(opts));
    const cache = new ContentCache();
    await mkdir(dirname(dir), { recursive: true });
    if (isArchive(u.key)) {
      const tree = new S3Tree(conn, u.bucket, posix.dirname(u.key) === "." ? "" : `${posix.dirname(u.key)}/`, name);
      const head = await tree.req(label, () => headObject(conn.transport, u.bucket, u.key));
      const obj = { rel: posix.basename(u.key), size: head.size, etag: head.etag, ...(head.lastModified ? { lastModified: head.lastModified } : {}) };
      const tracker = new ProgressTracker({ name, direction: "in", uri: label }, opts.progress, () => tree.retries);
      const holder = `${dir}.download`;
      const r = await pullObjects(tree, [obj], holder, { cache, tracker, what: name });
      const cached = `${holder}/${obj.rel}`;
      try {
        await unpackArchive(cached, dir, { name: u.key, label, what: name });
      } finally {
        await rm(holder, { recursive: true, force: true });
      }
      return transferRecord("in", name, label, dir, r, "download+unpack", started);
    }
    const tree = new S3Tree(conn, u.bucket, folderPrefix(u.key), name);
    const tracker = new ProgressTracker({ name, direction: "in", uri: label }, opts.progress, () => tree.retries);
    const r = await pullTree(tree, dir, { cache, tracker, writable: Boolean(opts.writable), what: name });
    return transferRecord("in", name, label, dir, r, "download", started);
  },

  async stageOut(dir, uri, name, opts = {}): Promise<Transfer> {
    const started = Date.now();
    const u = s3Of(uri);
    const conn = await connect(settingsOf(opts));
    const tree = new S3Tree(conn, u.bucket, folderPrefix(u.key), name);
    const tracker = new ProgressTracker({ name, direction: "out", uri: tree.label }, opts.progress, () => tree.retries);
    const r = await pushTree(dir, tree, { tracker, ...(opts.marker !== undefined ? { marker: opts.marker } : {}) });
    return transferRecord("out", name, tree.label, dir, r, "upload", started);
  },
};

export { explainS3Error };
