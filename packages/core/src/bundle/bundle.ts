import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { componentHeadline } from "../catalog/summary.js";
import type { Component } from "../manifest/types.js";

/** Scope of component packages on npm registries. */
export const COMPONENT_SCOPE = "@aves2-components";
export const COMPONENT_KEYWORD = "aves2-component";

/** npm's fixed timestamp for reproducible tarballs: the same files give the same bytes, so digests can be compared. */
const FIXED_MTIME = new Date("1985-10-26T08:15:00Z");

/** What a published version says about itself (package.json `aves2`, and the S3 index). */
export interface BundleInfo {
  readonly name: string;
  readonly version: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly framework: string;
  readonly distribute: readonly string[];
  readonly params: Component["params"];
  readonly inputs: readonly { name: string; description?: string; required?: boolean }[];
  readonly outputs: Component["outputs"];
  /** Folder of the code inside the package (it is also uploaded on its own, as a job's source_code). */
  readonly source: string;
}

export interface Bundle {
  readonly info: BundleInfo;
  /** The package as staged on disk: `<dir>/package/...`. */
  readonly dir: string;
  readonly tarball: Buffer;
  /** `sha512-<base64>`, as npm's dist.integrity. */
  readonly integrity: string;
  /** sha1 hex, as npm's dist.shasum. */
  readonly shasum: string;
  readonly manifest: Record<string, unknown> & { name: string; version: string };
  /** The component's package.json `publishConfig.access`, and that file (npm's place to make a package public or restricted). */
  readonly access?: { readonly value: string; readonly source: string };
}

export function packageName(component: string): string {
  return `${COMPONENT_SCOPE}/${component}`;
}

function skip(name: string): boolean {
  return name === "node_modules" || name === "__pycache__" || name.endsWith(".pyc") || name === ".DS_Store";
}

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !skip(e.name))
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), base) : e.isFile() ? [relative(base, join(dir, e.name))] : []))
    .sort();
}

export function bundleInfo(c: Component): BundleInfo {
  return {
    ...componentHeadline(c),
    params: c.params,
    // input defaults point into the package (sample data) and are rebased when it is unpacked
    inputs: c.inputs.map(({ default: _d, ...rest }) => rest),
    outputs: c.outputs,
    source: relative(c.dir, c.sourceDir),
  };
}

/**
 * Stages what a component publishes (its package.json `files`, with shared
 * Python libs copied into the code folder so the code runs on its own, as a
 * job's source_code) and packs it as an npm tarball with fixed timestamps.
 */
export async function buildBundle(c: Component, libs: readonly string[]): Promise<Bundle> {
  const pkgFile = join(c.dir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { files?: string[]; license?: string; publishConfig?: { access?: unknown } };
  const info = bundleInfo(c);
  const dir = join(tmpdir(), `aves2-bundle-${c.name}-${c.version}-${process.pid}-${Date.now()}`);
  const root = join(dir, "package");
  mkdirSync(root, { recursive: true });
  for (const entry of pkg.files ?? ["component.yaml", info.source, "README.md"]) {
    const from = join(c.dir, entry);
    if (existsSync(from)) cpSync(from, join(root, entry), { recursive: true, filter: (p) => !skip(p.split(/[/\\]/).pop()!) });
  }
  if (c.runtime.python) for (const lib of libs) cpSync(lib, join(root, info.source, lib.split(/[/\\]/).pop()!), { recursive: true, filter: (p) => !skip(p.split(/[/\\]/).pop()!) });

  const manifest = {
    name: packageName(c.name),
    version: c.version,
    description: c.title,
    license: pkg.license ?? "UNLICENSED",
    keywords: [COMPONENT_KEYWORD, c.category, c.framework],
    aves2: info,
  };
  writeFileSync(join(root, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  const tar = await import("tar");
  const files = filesUnder(root).map((f) => `package/${f}`);
  const chunks: Buffer[] = [];
  const stream = tar.create({ gzip: true, portable: true, mtime: FIXED_MTIME, cwd: dir, noDirRecurse: true }, files);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const tarball = Buffer.concat(chunks);
  return {
    info,
    dir,
    tarball,
    integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
    shasum: createHash("sha1").update(tarball).digest("hex"),
    manifest,
    ...(typeof pkg.publishConfig?.access === "string" ? { access: { value: pkg.publishConfig.access, source: `${pkgFile} publishConfig.access` } } : {}),
  };
}

export function removeBundle(b: Bundle): void {
  rmSync(b.dir, { recursive: true, force: true });
}

/** True when `data` has the digest npm recorded (sha512 integrity preferred, sha1 shasum otherwise). */
export function matchesDigest(data: Buffer, dist: { integrity?: string; shasum?: string }): boolean {
  if (dist.integrity?.startsWith("sha512-")) return `sha512-${createHash("sha512").update(data).digest("base64")}` === dist.integrity;
  if (dist.shasum) return createHash("sha1").update(data).digest("hex") === dist.shasum;
  return false;
}

