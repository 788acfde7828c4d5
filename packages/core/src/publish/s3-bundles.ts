import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Bundle, BundleInfo } from "../bundle/bundle.js";
import type { ComponentSource, RemoteVersion } from "../catalog/remote-catalog.js";
import { loadConfig } from "../config/config.js";
import { s3Settings } from "@aves2/storage/config";
import { UserError } from "../errors.js";
import { storeFor } from "@aves2/storage";
import { connect } from "@aves2/storage";
import { sleep } from "@aves2/storage";
import { FAST } from "@aves2/storage";
import { listAll } from "@aves2/storage";
import { send } from "@aves2/storage";
import type { S3Settings } from "@aves2/storage/config";
import { parseUri } from "@aves2/storage/uri";
import type { BundleStore } from "./publish.js";

/**
 * A published catalog in object storage, laid out so that jobs can use it as
 * it is:
 *   <base>/<name>/<version>/             the code folder (a job's source_code)
 *   <base>/<name>/<name>-<version>.tgz   the whole package, the registry's bytes
 *   <base>/index/<name>/<version>.json   one version's entry, written last: a
 *                                        version with an entry is complete
 *   <base>/index.json                    every entry in one file, for readers
 *                                        that want one request
 * Each publish writes its own entry object, so two publishes at once cannot
 * lose each other's version (a read-change-write of one index could). The
 * summary is then rewritten with a conditional PUT (If-Match, retried on 412);
 * a server that ignores conditions may let it miss a version for a while,
 * which readers make up from the entries' listing.
 */
export interface CatalogIndex {
  readonly updated: string;
  readonly components: Record<string, { readonly versions: Record<string, IndexEntry> }>;
}

export interface IndexEntry extends BundleInfo {
  /** Relative to the base. */
  readonly tarball: string;
  readonly code: string;
  readonly integrity: string;
  readonly shasum: string;
}

/** `s3://bucket` or `s3://bucket/prefix/` → the catalog's base (default prefix `components/`). */
export function catalogBase(uri: string, what: string): { bucket: string; prefix: string; href: string } {
  const u = parseUri(uri, what, process.cwd());
  if (u.scheme !== "s3") throw UserError.of(`"${uri}" is not an s3:// URI`, { path: what, hint: "write s3://bucket or s3://bucket/components/" });
  const prefix = u.key === "" ? "components/" : u.key.endsWith("/") ? u.key : `${u.key}/`;
  return { bucket: u.bucket, prefix, href: `s3://${u.bucket}/${prefix}` };
}

/** The code folder of a published version: what rendered jobs use as source_code. */
export function publishedCodeUri(base: string, name: string, version: string): string {
  return `${catalogBase(base, "--from").href}${name}/${version}/`;
}

export class S3Catalog {
  private readonly base: ReturnType<typeof catalogBase>;

  constructor(
    uri: string,
    private readonly settings: S3Settings,
    what = "--to",
  ) {
    this.base = catalogBase(uri, what);
  }

  get label(): string {
    return this.base.href;
  }

  private uri(key: string): string {
    return `s3://${this.base.bucket}/${key}`;
  }

  /** The object and its ETag, or undefined when there is none. */
  private async getObject(key: string): Promise<{ body: Buffer; etag?: string } | undefined> {
    const conn = await connect(this.settings);
    try {
      // reads are lookups (before a publish, for search/info): a dead endpoint should say so at once
      const got = await send(conn, { uri: this.uri(key), policy: FAST }, () => conn.transport.send({ method: "GET", bucket: this.base.bucket, key }));
      return { body: got.body, ...(got.headers.etag ? { etag: got.headers.etag } : {}) };
    } catch (e) {
      if (e instanceof UserError && /does not exist/.test(e.message) && !/bucket/i.test(e.message)) return undefined;
      throw e;
    }
  }

  /**
   * Writes an object. `condition`: an If-Match ETag, or "absent" for
   * If-None-Match: * ; resolves false when the server refused it for that (412).
   */
  private async putObject(key: string, body: Buffer, contentType: string, condition?: string): Promise<boolean> {
    const conn = await connect(this.settings);
    const md5 = createHash("md5").update(body).digest("base64");
    const when: Record<string, string> = condition === undefined ? {} : condition === "absent" ? { "if-none-match": "*" } : { "if-match": condition };
    return send(conn, { uri: this.uri(key) }, async () => {
      try {
        await conn.transport.send({ method: "PUT", bucket: this.base.bucket, key, body, headers: { "content-type": contentType, "content-md5": md5, ...when } });
        return true;
      } catch (e) {
        if (condition !== undefined && (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) return false;
        throw e;
      }
    });
  }

  private parse<T>(data: Buffer, key: string): T {
    try {
      return JSON.parse(data.toString("utf8")) as T;
    } catch {
      throw UserError.of(`${this.uri(key)} is not valid JSON`, { hint: "it is written by `component publish`; re-publish to rewrite it" });
    }
  }

  private entryKey(name: string, version: string): string {
    return `${this.base.prefix}index/${name}/${version}.json`;
  }

  /** The keys of every version's entry. */
  private async entryKeys(): Promise<string[]> {
    const conn = await connect(this.settings);
    const keys: string[] = [];
    const prefix = `${this.base.prefix}index/`;
    await listAll(conn.transport, { bucket: this.base.bucket, prefix }, (page) => keys.push(...page.objects.map((o) => o.key).filter((k) => k.endsWith(".json"))), (f) =>
      send(conn, { uri: this.uri(prefix), policy: FAST }, f),
    );
    return keys;
  }

  /**
   * The summary as stored, with its ETag for a conditional rewrite. Where
   * entries exist they are the record, so a summary that does not parse (a
   * server that shows an object while it is being written, as s3rver does)
   * is only a summary to rewrite; a catalog of a summary alone needs it whole.
   */
  private async summary(entries: number): Promise<{ index?: CatalogIndex; etag?: string } | undefined> {
    const key = `${this.base.prefix}index.json`;
    const got = await this.getObject(key);
    if (!got) return undefined;
    const etag = got.etag ? { etag: got.etag } : {};
    try {
      return { index: this.parse<CatalogIndex>(got.body, key), ...etag };
    } catch (e) {
      if (entries === 0) throw e;
      return etag;
    }
  }

  /** Every published version: the summary, with the entries it lacks read one by one. */
  async index(): Promise<CatalogIndex | undefined> {
    const keys = await this.entryKeys();
    const summary = await this.summary(keys.length);
    if (!summary?.index && keys.length === 0) return undefined;
    return this.withEntries(summary?.index, keys);
  }

  private async withEntries(index: CatalogIndex | undefined, keys: readonly string[]): Promise<CatalogIndex> {
    const components: Record<string, { versions: Record<string, IndexEntry> }> = {};
    for (const [name, c] of Object.entries(index?.components ?? {})) components[name] = { versions: { ...c.versions } };
    const missing = keys.filter((k) => {
      const [name, file] = k.slice(`${this.base.prefix}index/`.length).split(/\/(?=[^/]+$)/);
      return !components[name ?? ""]?.versions[(file ?? "").replace(/\.json$/, "")];
    });
    for (const key of missing) {
      const got = await this.getObject(key);
      if (!got) continue; // removed since the listing
      const entry = this.parse<IndexEntry>(got.body, key);
      const versions = components[entry.name]?.versions ?? {};
      components[entry.name] = { versions: { ...versions, [entry.version]: entry } };
    }
    return { updated: index?.updated ?? "", components };
  }

  /** Publishing into object storage. */
  bundleStore(): BundleStore {
    return {
      label: this.base.href,
      has: async (name, version) => {
        const entry = (await this.index())?.components[name]?.versions[version];
        return entry ? { integrity: entry.integrity } : undefined;
      },
      upload: (bundle) => this.upload(bundle),
      codeUri: (name, version) => `${this.base.href}${name}/${version}/`,
    };
  }

  private async upload(bundle: Bundle): Promise<void> {
    const { name, version } = bundle.info;
    const code = `${name}/${version}/`;
    const tarball = `${name}/${name}-${version}.tgz`;
    const codeUri = parseUri(`${this.base.href}${code}`, "--to", process.cwd());
    await storeFor(codeUri, "--to").stageOut(join(bundle.dir, "package", bundle.info.source), codeUri, `${name}@${version} code`, {
      s3: this.settings,
      marker: { component: `${name}@${version}` },
    });
    await this.putObject(`${this.base.prefix}${tarball}`, bundle.tarball, "application/gzip");
    const entry: IndexEntry = { ...bundle.info, tarball, code, integrity: bundle.integrity, shasum: bundle.shasum };
    const entryKey = this.entryKey(name, version);
    if (!(await this.putObject(entryKey, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), "application/json", "absent"))) {
      throw UserError.of(`${name}@${version} was published to ${this.base.href} by someone else at the same time`, { hint: "publish a new version" });
    }
    await this.rewriteSummary();
  }

  /** index.json again, from every entry; conditional, so that a publish at the same time is not overwritten. */
  private async rewriteSummary(): Promise<void> {
    const key = `${this.base.prefix}index.json`;
    for (let attempt = 1; ; attempt++) {
      const keys = await this.entryKeys();
      const current = await this.summary(keys.length);
      const merged = await this.withEntries(current?.index, keys);
      const body = Buffer.from(`${JSON.stringify({ ...merged, updated: new Date().toISOString() }, null, 2)}\n`);
      if (await this.putObject(key, body, "application/json", current?.etag ?? "absent")) return;
      // another publish rewrote it first: read it again (its entry is safe either way)
      if (attempt >= 8) return;
      await sleep(50 * attempt * Math.random());
    }
  }

  /** Consuming from object storage. */
  source(): ComponentSource {
    return {
      label: this.base.href,
      versions: async (name) => {
        const index = await this.index();
        if (!index) throw UserError.of(`no catalog at ${this.base.href} (no index.json)`, { path: "--from", hint: "`component publish --to s3://...` writes it" });
        const versions = index.components[name]?.versions;
        if (!versions) return undefined;
        return Object.values(versions).map((v): RemoteVersion => ({ name, version: v.version, tarball: v.tarball, integrity: v.integrity, shasum: v.shasum, code: `${this.base.href}${v.code}` }));
      },
      download: async (v) => {
        const data = (await this.getObject(`${this.base.prefix}${v.tarball}`))?.body;
        if (!data) throw UserError.of(`${this.base.href}${v.tarball} is listed in the index but missing`, { hint: "re-publish the version to repair the catalog" });
        return data;
      },
    };
  }
}

/** `--from s3://...`: published components from a catalog in object storage. */
export function s3IndexSource(uri: string, root: string): ComponentSource {
  return new S3Catalog(uri, s3Settings(loadConfig(root).s3), "--from").source();
}

