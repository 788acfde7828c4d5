import { matchesDigest, type Bundle, buildBundle, packageName, removeBundle } from "../bundle/bundle.js";
import { UserError } from "../errors.js";
import type { Component } from "../manifest/types.js";
import { type PublishAccess, parseAccess, publishAccess } from "../registry/access.js";
import type { NpmRegistry } from "../registry/npm-registry.js";

/** Where a version's bundle also goes besides the registry (object storage). */
export interface BundleStore {
  readonly label: string;
  /** Whether this version is there already, and with which digest. */
  has(name: string, version: string): Promise<{ integrity?: string } | undefined>;
  upload(bundle: Bundle): Promise<void>;
  /** Where a version's code folder is (or will be) once uploaded: jobs' source_code. */
  codeUri(name: string, version: string): string;
}

export type StepState = "published" | "present" | "would publish" | "skipped" | "failed";

export interface PublishResult {
  readonly name: string;
  readonly version: string;
  readonly registry: StepState;
  readonly storage?: StepState;
  readonly integrity: string;
  /** How the registry was (or would be) told to share it. */
  readonly access?: PublishAccess;
  /** What went wrong, and how to finish. */
  readonly error?: string;
}

export interface PublishOptions {
  readonly registry: NpmRegistry;
  readonly storage?: BundleStore;
  readonly dryRun: boolean;
  readonly onlyNew: boolean;
  /** `--access public|restricted`; else package.json publishConfig.access, .npmrc `access`, or public for scoped names. */
  readonly access?: string;
}

/**
 * Publishes each component's current version to the registry, then to object
 * storage. A version present in both is refused (or skipped when `onlyNew`);
 * one present in the registry with the same bytes but missing from storage —
 * a publish that failed half-way — is completed.
 */
export async function publishComponents(
  components: readonly Component[],
  opts: PublishOptions & { libs: readonly string[] },
): Promise<PublishResult[]> {
  // a wrong --access is reported before anything is built
  if (opts.access !== undefined) parseAccess(opts.access, "--access");
  const results: PublishResult[] = [];
  for (const c of components) {
    const bundle = await buildBundle(c, opts.libs);
    try {
      results.push(await publishOne(c, bundle, opts));
    } finally {
      removeBundle(bundle);
    }
  }
  return results;
}

async function publishOne(c: Component, bundle: Bundle, opts: PublishOptions): Promise<PublishResult> {
  const access = publishAccess(bundle.manifest.name, { flag: opts.access, publishConfig: bundle.access, npmrc: opts.registry.access });
  const base = { name: c.name, version: c.version, integrity: bundle.integrity };
  const shared = access ? { access } : {};
  const onRegistry = (await opts.registry.packument(packageName(c.name)))?.versions[c.version];
  const inStorage = opts.storage ? await opts.storage.has(c.name, c.version) : undefined;
  const sameBytes = onRegistry ? matchesDigest(bundle.tarball, onRegistry.dist) : false;

  if (onRegistry && !sameBytes) {
    if (opts.onlyNew) return { ...base, registry: "present", ...(opts.storage ? { storage: inStorage ? "present" : "skipped" } : {}) };
    throw UserError.of(`${c.name}@${c.version} is already published on ${opts.registry.url} with different content`, {
      hint: "a published version is never overwritten: bump the version (pnpm changeset, pnpm version-packages)",
    });
  }
  if (onRegistry && (!opts.storage || inStorage)) {
    if (opts.onlyNew) return { ...base, registry: "present", ...(opts.storage ? { storage: "present" } : {}) };
    throw UserError.of(`${c.name}@${c.version} is already published${opts.storage ? ` (registry and ${opts.storage.label})` : ""}`, {
      hint: "a published version is never overwritten: bump the version (pnpm changeset, pnpm version-packages)",
    });
  }
  if (inStorage?.integrity && inStorage.integrity !== bundle.integrity) {
    throw UserError.of(`${c.name}@${c.version} is already in ${opts.storage!.label} with different content`, { hint: "bump the version" });
  }
  if (opts.dryRun) {
    return { ...base, ...(onRegistry ? { registry: "present" } : { registry: "would publish", ...shared }), ...(opts.storage ? { storage: inStorage ? "present" : "would publish" } : {}) };
  }

  let registry: StepState = "present";
  let published = {};
  if (!onRegistry) {
    // the registry's version document (not the tarball) records where the code lives in storage
    const manifest = opts.storage ? { ...bundle.manifest, aves2: { ...(bundle.manifest.aves2 as object), code: opts.storage.codeUri(c.name, c.version) } } : bundle.manifest;
    await opts.registry.publish(manifest, bundle.tarball, { integrity: bundle.integrity, shasum: bundle.shasum }, access);
    registry = "published";
    published = shared;
  }
  if (!opts.storage) return { ...base, registry, ...published };
  if (inStorage) return { ...base, registry, ...published, storage: "present" };
  try {
    await opts.storage.upload(bundle);
    return { ...base, registry, ...published, storage: "published" };
  } catch (e) {
    const why = e instanceof UserError ? e.problems.map((p) => p.message).join("; ") : (e as Error).message;
    return {
      ...base,
      registry,
      ...published,
      storage: "failed",
      error: `published to the registry, but the upload to ${opts.storage.label} failed: ${why}. Run \`component publish ${c.name}\` again to finish`,
    };
  }
}
