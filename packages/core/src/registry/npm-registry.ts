import { UserError } from "../errors.js";
import type { RegistryConfig } from "./npm-config.js";

/** The parts of a registry's package document we use. */
export interface Packument {
  readonly name: string;
  readonly versions: Record<string, { readonly version: string; readonly description?: string; readonly dist: { readonly tarball: string; readonly integrity?: string; readonly shasum: string }; readonly aves2?: unknown }>;
  readonly "dist-tags"?: Record<string, string>;
}

export interface SearchHit {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly keywords?: readonly string[];
}

/** npmjs puts `version` in search results; verdaccio only `dist-tags`. */
type RawHit = Omit<SearchHit, "version"> & { version?: string; "dist-tags"?: Record<string, string> };

/** `@scope/name` → `@scope%2fname`, as registries expect in paths. */
function pathOf(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

/** A registry client over fetch; every failure becomes a UserError that names the registry. */
export class NpmRegistry {
  constructor(private readonly config: RegistryConfig) {}

  get url(): string {
    return this.config.url;
  }

  private async request(path: string, init: RequestInit = {}, what = "reach"): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...(init.headers as Record<string, string>) };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    try {
      return await fetch(new URL(path, this.config.url), { ...init, headers, signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      // fetch refuses "unsafe" ports (1, 9, 22, ...) before connecting, saying only "bad port"
      const cause = c?.message === "bad port" ? `fetch refuses port ${new URL(this.config.url).port}; use another` : (c?.code ?? c?.message ?? ((e as Error).name || "network error"));
      throw UserError.of(`cannot ${what} the registry ${this.config.url} (${cause})`, {
        hint: `is it running? The registry comes from ${this.config.source}`,
      });
    }
  }

  private async fail(res: Response, action: string): Promise<never> {
    let detail = "";
    try {
      const body = (await res.json()) as { error?: string; reason?: string };
      detail = body.error ?? body.reason ?? "";
    } catch {
      // not JSON: the status says enough
    }
    if (res.status === 401 || res.status === 403) {
      throw UserError.of(`the registry ${this.config.url} refused to ${action} (${res.status}${detail ? `: ${detail}` : ""})`, {
        hint: this.config.token
          ? "the token in .npmrc is wrong or lacks the rights to publish"
          : `no token for this registry: run \`npm login --registry ${this.config.url}\` or add //host/:_authToken to .npmrc`,
      });
    }
    throw UserError.of(`the registry ${this.config.url} could not ${action}: ${res.status} ${res.statusText}${detail ? ` (${detail})` : ""}`);
  }

  /** The package document, or undefined when the registry has no such package. */
  async packument(name: string): Promise<Packument | undefined> {
    const res = await this.request(pathOf(name));
    if (res.status === 404) return undefined;
    if (!res.ok) return this.fail(res, `look up ${name}`);
    try {
      return (await res.json()) as Packument;
    } catch {
      throw UserError.of(`the registry ${this.config.url} answered for ${name} with something that is not JSON`);
    }
  }

  async download(url: string): Promise<Buffer> {
    const res = await this.request(url, {}, "download from");
    if (!res.ok) return this.fail(res, `download ${url}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** Publishes one version (the npm publish document: the manifest plus the tarball as an attachment). */
  async publish(manifest: Record<string, unknown> & { name: string; version: string }, tarball: Buffer, dist: { integrity: string; shasum: string }): Promise<void> {
    const file = `${manifest.name.replace(/^@[^/]+\//, "")}-${manifest.version}.tgz`;
    const tarballUrl = new URL(`${pathOf(manifest.name)}/-/${file}`, this.config.url).href;
    const body = {
      _id: manifest.name,
      name: manifest.name,
      description: manifest.description,
      "dist-tags": { latest: manifest.version },
      versions: { [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { ...dist, tarball: tarballUrl } } },
      _attachments: { [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length } },
    };
    const res = await this.request(pathOf(manifest.name), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, "publish to");
    if (res.status === 409) throw UserError.of(`${manifest.name}@${manifest.version} is already published on ${this.config.url}`, { hint: "bump the version (pnpm changeset, pnpm version-packages)" });
    if (!res.ok) return this.fail(res, `publish ${manifest.name}@${manifest.version}`);
  }

  async search(text: string, size = 50): Promise<SearchHit[]> {
    const res = await this.request(`-/v1/search?text=${encodeURIComponent(text)}&size=${size}`);
    if (!res.ok) return this.fail(res, "search");
    const body = (await res.json()) as { objects?: { package: RawHit }[] };
    return (body.objects ?? [])
      .map((o) => o.package)
      .filter((p) => typeof p?.name === "string")
      .map((p) => ({ ...p, version: p.version ?? p["dist-tags"]?.latest ?? "?" }));
  }
}
