import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { type ArchiveEntry, tarBytes } from "./archives.js";
import { isolatedEnv } from "./cli.js";
import type { RegistryServer } from "./registry-server.js";

/**
 * The third-party packages a workspace package needs, published into the test
 * registry from this workspace's own node_modules, so that `npm install` of
 * that package from the registry finds every dependency there and never needs
 * the internet (the registry has no uplinks). Each one is packed from the
 * folder pnpm installed it in (which holds exactly what its tarball held) and
 * published under its own name and version.
 */
export interface MirroredPackage {
  readonly name: string;
  readonly version: string;
  /** The folder it was packed from. */
  readonly dir: string;
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

/** Where `name` resolves from `dir`, as Node resolves it (pnpm's links followed), if it is installed. */
function resolveFrom(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

const isThirdParty = (dir: string) => dir.split(sep).includes("node_modules");

/**
 * Every third-party package that `npm install` of the packages in `dirs`
 * (workspace folders) installs: their dependencies, optional ones that are
 * installed here and peers that are not optional, through other workspace
 * packages too, transitively. An optional dependency or peer that is not
 * installed here is left out, as npm leaves it out.
 */
export function dependencyClosure(dirs: readonly string[]): MirroredPackage[] {
  const found = new Map<string, MirroredPackage>();
  const visited = new Set<string>();
  const missing: string[] = [];
  const visit = (dir: string) => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const m = manifestOf(dir);
    const optional = new Set([...Object.keys(m.optionalDependencies ?? {}), ...Object.entries(m.peerDependenciesMeta ?? {}).filter(([, v]) => v.optional).map(([k]) => k)]);
    for (const name of new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})])) {
      const at = resolveFrom(dir, name);
      if (!at) {
        if (!optional.has(name)) missing.push(`${m.name} → ${name}`);
        continue;
      }
      if (isThirdParty(at)) {
        const dep = manifestOf(at);
        found.set(`${dep.name}@${dep.version}`, { name: dep.name, version: dep.version, dir: at });
      }
      visit(at);
    }
  };
  for (const d of dirs) visit(realpathSync(d));
  if (missing.length) throw new Error(`not installed here, so not mirrored: ${missing.join(", ")} (run pnpm install)`);
  return [...found.values()];
}

/** The files of a package folder, as tarball entries under `package/`. */
function entriesOf(dir: string): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(p);
      } else if (e.isFile() || (e.isSymbolicLink() && statSync(p).isFile())) {
        out.push({ name: `package/${relative(dir, p).split(sep).join("/")}`, content: readFileSync(p), mode: statSync(p).mode & 0o111 ? 0o755 : 0o644 });
      }
    }
  };
  walk(dir);
  return out;
}

/** Publishes one package folder as `name@version`, as `npm publish` sends it. */
async function publishFolder(registry: RegistryServer, pkg: MirroredPackage): Promise<void> {
  const tgz = tarBytes(entriesOf(pkg.dir), { gzip: true });
  const manifest = manifestOf(pkg.dir);
  const file = `${pkg.name.replace(/^@[^/]+\//, "")}-${pkg.version}.tgz`;
  const doc = {
    _id: pkg.name,
    name: pkg.name,
    "dist-tags": { latest: pkg.version },
    versions: {
      [pkg.version]: {
        ...manifest,
        _id: `${pkg.name}@${pkg.version}`,
        dist: {
          shasum: createHash("sha1").update(tgz).digest("hex"),
          integrity: `sha512-${createHash("sha512").update(tgz).digest("base64")}`,
          tarball: `${registry.url}${pkg.name}/-/${file}`,
        },
      },
    },
    _attachments: { [file]: { content_type: "application/octet-stream", data: tgz.toString("base64"), length: tgz.length } },
  };
  const res = await fetch(`${registry.url}${pkg.name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${registry.token}` },
    body: JSON.stringify(doc),
  });
  if (!res.ok) throw new Error(`the test registry refused ${pkg.name}@${pkg.version}: ${res.status} ${await res.text()}`);
}

const byVersion = (a: MirroredPackage, b: MirroredPackage) => {
  const parts = (v: string) => v.split(/[.+-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const [pa, pb] = [parts(a.version), parts(b.version)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (typeof pa[i] === "number" && typeof pb[i] === "number") return (pa[i] as number) - (pb[i] as number);
    return String(pa[i] ?? "").localeCompare(String(pb[i] ?? ""));
  }
  return 0;
};

/**
 * Publishes into `registry` every third-party package that installing the
 * workspace packages in `dirs` needs (see dependencyClosure). The versions of
 * one name go in ascending order, so that its `latest` is the highest, as on
 * the public registry.
 */
export async function mirrorDependencies(registry: RegistryServer, dirs: readonly string[]): Promise<MirroredPackage[]> {
  const all = dependencyClosure(dirs);
  const byName = new Map<string, MirroredPackage[]>();
  for (const p of all) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const queue = [...byName.values()].map((versions) => versions.sort(byVersion));
  // a few at a time: each is a folder read, gzipped and sent; the versions of one name in order
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let versions = queue.shift(); versions; versions = queue.shift()) for (const p of versions) await publishFolder(registry, p);
    }),
  );
  return all;
}

/**
 * The environment for npm and pnpm in which the test registry is the only
 * registry: every package is asked of it; the user config is `home`/.npmrc
 * (the test writes it), the global one a file that does not exist, the cache
 * a new folder; and whatever would still go elsewhere (a tarball URL on
 * another host, an update check) is sent to `proxy`, where the test makes it
 * refused and recorded. 127.0.0.1 is reached directly.
 */
export function offlineNpmEnv(registry: RegistryServer, home: string, proxy: string): Record<string, string> {
  return {
    ...isolatedEnv(),
    HOME: home,
    NPM_CONFIG_USERCONFIG: join(home, ".npmrc"),
    NPM_CONFIG_GLOBALCONFIG: join(home, "no-global-npmrc"),
    npm_config_cache: join(home, ".npm"),
    npm_config_registry: registry.url,
    npm_config_proxy: proxy,
    npm_config_https_proxy: proxy,
    npm_config_noproxy: "127.0.0.1",
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    NO_PROXY: "127.0.0.1",
    npm_config_fetch_retries: "0",
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
}
