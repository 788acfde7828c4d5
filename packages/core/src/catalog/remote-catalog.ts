import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { COMPONENT_KEYWORD, matchesDigest, packageName } from "../bundle/bundle.js";
import { UserError } from "../errors.js";
import { loadComponent } from "../manifest/load.js";
import type { Component } from "../manifest/types.js";
import type { NpmRegistry } from "../registry/npm-registry.js";
import { unpackArchive } from "@aves2/storage";
import { cacheRoot } from "@aves2/storage";
import { componentDir, componentNames, parseComponentRef } from "./catalog.js";
import { didYouMean } from "./suggest.js";

/** A published version, as a registry or an S3 index lists it. */
export interface RemoteVersion {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
  readonly integrity?: string;
  readonly shasum?: string;
  /** The version's code folder in object storage, when it was published there. */
  readonly code?: string;
}

/** Where published components come from. */
export interface ComponentSource {
  /** Names it in messages. */
  readonly label: string;
  /** Every published version of `name`, or undefined when the source has no such component. */
  versions(name: string): Promise<readonly RemoteVersion[] | undefined>;
  download(v: RemoteVersion): Promise<Buffer>;
}

export function registrySource(registry: NpmRegistry): ComponentSource {
  return {
    label: registry.url,
    async versions(name) {
      const doc = await registry.packument(packageName(name));
      if (!doc) return undefined;
      return Object.values(doc.versions).map((v) => {
        const code = (v.aves2 as { code?: unknown } | undefined)?.code;
        return { name, version: v.version, tarball: v.dist.tarball, integrity: v.dist.integrity, shasum: v.dist.shasum, ...(typeof code === "string" ? { code } : {}) };
      });
    },
    download: (v) => registry.download(v.tarball),
  };
}

/** Written last into a cached version: its digest, and where its code is published. */
const VERIFIED = ".aves2-verified.json";

function loadCached(dir: string): Component {
  const c = loadComponent(dir);
  const { code } = JSON.parse(readFileSync(join(dir, VERIFIED), "utf8")) as { code?: string };
  return code ? { ...c, publishedCode: code } : c;
}

/**
 * `name` or `name@version`: the local catalog's component when it has that
 * version; otherwise the published one, downloaded once, checked against the
 * digest the source recorded, and unpacked under the user's cache.
 */
export async function resolveComponent(root: string, ref: string, source: () => ComponentSource): Promise<Component> {
  const { name, version } = parseComponentRef(ref);
  const local = componentDir(root, name);
  if (local && !ref.includes("/")) {
    const c = loadComponent(local);
    if (!version || c.version === version) return c;
  }
  const cached = version ? cacheDir(name, version) : undefined;
  if (cached && existsSync(join(cached, VERIFIED))) return loadCached(cached);

  const src = source();
  const versions = await src.versions(name);
  if (!versions || versions.length === 0) {
    const known = componentNames(root);
    throw UserError.of(`unknown component "${name}": not in this catalog, nor published on ${src.label}`, { hint: didYouMean(name, known) ?? "`component search <text>` finds published components" });
  }
  const wanted = version ? versions.find((v) => v.version === version) : latest(versions);
  if (!wanted) {
    throw UserError.of(`${name}@${version} is not published on ${src.label}`, { hint: `published versions: ${versions.map((v) => v.version).join(", ")}` });
  }
  return loadCached(await fetchVersion(wanted, src));
}

function latest(versions: readonly RemoteVersion[]): RemoteVersion {
  const key = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(8, "0") : p)).join(".");
  return [...versions].sort((a, b) => key(b.version).localeCompare(key(a.version)))[0]!;
}

export function cacheDir(name: string, version: string): string {
  return join(cacheRoot(), "components", name, version, name);
}

async function fetchVersion(v: RemoteVersion, src: ComponentSource): Promise<string> {
  const data = await src.download(v);
  if (!matchesDigest(data, v)) {
    throw UserError.of(`the tarball of ${v.name}@${v.version} from ${src.label} does not match its recorded digest (${v.integrity ?? v.shasum})`, {
      hint: "it was altered after publishing, or the download was corrupted: refusing to run it",
    });
  }
  const target = cacheDir(v.name, v.version);
  const work = join(tmpdir(), `aves2-fetch-${v.name}-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    const file = join(work, "bundle.tgz");
    writeFileSync(file, data);
    await unpackArchive(file, join(work, "unpacked"), { name: "bundle.tgz", label: `${v.name}@${v.version}` });
    const pkg = join(work, "unpacked", "package");
    linkCore(pkg);
    writeFileSync(join(pkg, VERIFIED), `${JSON.stringify({ digest: v.integrity ?? v.shasum, ...(v.code ? { code: v.code } : {}) })}\n`);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(pkg, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

/** A launcher imports @aves2/core; outside a workspace it resolves to the core that runs it. */
function linkCore(pkgDir: string): void {
  const core = dirname(createRequire(import.meta.url).resolve("@aves2/core/package.json"));
  mkdirSync(join(pkgDir, "node_modules", "@aves2"), { recursive: true });
  symlinkSync(core, join(pkgDir, "node_modules", "@aves2", "core"), "dir");
}

/** Published components matching `text` (the registry's search, limited to catalog packages). */
export async function searchRegistry(registry: NpmRegistry, text: string): Promise<{ name: string; version: string; description?: string }[]> {
  const hits = await registry.search(text);
  return hits
    .filter((h) => h.name.startsWith("@aves2-components/") || h.keywords?.includes(COMPONENT_KEYWORD))
    .map((h) => ({ name: h.name.replace(/^@aves2-components\//, ""), version: h.version, ...(h.description ? { description: h.description } : {}) }));
}

