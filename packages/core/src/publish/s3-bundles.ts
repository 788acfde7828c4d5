import { join } from "node:path";
import type { Bundle, BundleInfo } from "../bundle/bundle.js";
import type { ComponentSource, RemoteVersion } from "../catalog/remote-catalog.js";
import { loadConfig } from "../config/config.js";
import { s3Settings } from "../config/s3-config.js";
import { UserError } from "../errors.js";
import { storeFor } from "../storage/index.js";
import { connect } from "../storage/s3/connection.js";
import { FAST } from "../storage/retry.js";
import { readBytes } from "../storage/s3/reads.js";
import { send } from "../storage/s3/request.js";
import type { S3Settings } from "../storage/s3/settings.js";
import { parseUri } from "../storage/uri.js";
import type { BundleStore } from "./publish.js";

/**
 * A published catalog in object storage, laid out so that jobs can use it as
 * it is:
 *   <base>/<name>/<version>/          the code folder (a job's source_code)
 *   <base>/<name>/<name>-<version>.tgz the whole package, the registry's bytes
 *   <base>/index.json                  every version: what it is, its digest
 * The index is written last, so a version in the index is complete.
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

  private async getObject(key: string): Promise<Buffer | undefined> {
    const conn = await connect(this.settings);
    const uri = `s3://${this.base.bucket}/${key}`;
    try {
      // reads are lookups (before a publish, for search/info): a dead endpoint should say so at once
      const { body } = await send(conn, { uri, policy: FAST }, () => readBytes(conn.wire, { bucket: this.base.bucket, key }));
      return body;
    } catch (e) {
      if (e instanceof UserError && /does not exist/.test(e.message) && !/bucket/i.test(e.message)) return undefined;
      throw e;
    }
  }

  private async putObject(key: string, body: Buffer, contentType: string): Promise<void> {
    const conn = await connect(this.settings);
    const { sdk, client } = await conn.sdk();
    await send(conn, { uri: `s3://${this.base.bucket}/${key}` }, () =>
      client.send(new sdk.PutObjectCommand({ Bucket: this.base.bucket, Key: key, Body: body, ContentType: contentType })),
    );
  }

  async index(): Promise<CatalogIndex | undefined> {
    const data = await this.getObject(`${this.base.prefix}index.json`);
    if (!data) return undefined;
    try {
      return JSON.parse(data.toString("utf8")) as CatalogIndex;
    } catch {
      throw UserError.of(`${this.base.href}index.json is not valid JSON`, { hint: "it is written by `component publish`; re-publish to rewrite it" });
    }
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
    const index = (await this.index()) ?? { updated: "", components: {} };
    const entry: IndexEntry = { ...bundle.info, tarball, code, integrity: bundle.integrity, shasum: bundle.shasum };
    const next: CatalogIndex = {
      updated: new Date().toISOString(),
      components: { ...index.components, [name]: { versions: { ...index.components[name]?.versions, [version]: entry } } },
    };
    await this.putObject(`${this.base.prefix}index.json`, Buffer.from(`${JSON.stringify(next, null, 2)}\n`), "application/json");
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
        const data = await this.getObject(`${this.base.prefix}${v.tarball}`);
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

