import { UserError } from "../errors.js";
import type { PublishAccess } from "./access.js";
import { credentialFor, nerfDart, type RegistryCredential, scrub } from "./auth.js";
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

/** Redirects followed for one request, each with the credential for where it leads (if any). */
const MAX_REDIRECTS = 5;

/**
 * A registry client over fetch; every failure becomes a UserError that names
 * the registry. Each request carries the credential .npmrc has for its URL —
 * the registry's only on the registry's own origin — and redirects are
 * followed here, not by fetch, so that a hop to another host is judged the
 * same way. No secret reaches an error message.
 */
export class NpmRegistry {
  constructor(private readonly config: RegistryConfig) {}

  get url(): string {
    return this.config.url;
  }

  /** `access` from .npmrc, for publishing. */
  get access(): RegistryConfig["access"] {
    return this.config.access;
  }

  private credential(url: string): RegistryCredential | undefined {
    return credentialFor(url, this.config.url, this.config.credentials);
  }

  /** A UserError whose text is scrubbed of every secret the config holds. */
  private error(message: string, extra: { path?: string; hint?: string } = {}): UserError {
    const clean = (t: string) => scrub(t, this.config.credentials.values());
    return UserError.of(clean(message), { ...(extra.path ? { path: clean(extra.path) } : {}), ...(extra.hint ? { hint: clean(extra.hint) } : {}) });
  }

  private async request(path: string, init: RequestInit = {}, what = "reach"): Promise<Response> {
    let url = new URL(path, this.config.url);
    for (let hop = 0; ; hop++) {
      const res = await this.send(url, init, what);
      const location = res.headers.get("location");
      const follow = res.status >= 300 && res.status < 400 && location && (init.method ?? "GET") === "GET";
      if (!follow) return res;
      if (hop >= MAX_REDIRECTS) throw this.error(`the registry ${this.config.url} redirected more than ${MAX_REDIRECTS} times for ${url.href}`);
      await res.body?.cancel();
      url = new URL(location, url);
    }
  }

  private async send(url: URL, init: RequestInit, what: string): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...(init.headers as Record<string, string>) };
    const cred = this.credential(url.href);
    if (cred) headers.authorization = cred.header;
    else if (this.config.alwaysAuth && url.origin === new URL(this.config.url).origin) {
      throw this.error(`always-auth is set for the registry ${this.config.url}, but .npmrc has no credentials for it`, {
        hint: `add ${nerfDart(this.config.url)}:_authToken=... (or :_auth=...) to .npmrc, or run \`npm login --registry ${this.config.url}\``,
      });
    }
    try {
      return await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      // fetch refuses "unsafe" ports (1, 9, 22, ...) before connecting, saying only "bad port"
      const cause = c?.message === "bad port" ? `fetch refuses port ${url.port}; use another` : (c?.code ?? c?.message ?? ((e as Error).name || "network error"));
      const where = url.origin === new URL(this.config.url).origin ? `the registry ${this.config.url}` : `${url.origin} (for the registry ${this.config.url})`;
      throw this.error(`cannot ${what} ${where} (${cause})`, {
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
      const at = new URL(res.url || this.config.url);
      const cred = this.credential(at.href);
      const elsewhere = at.origin !== new URL(this.config.url).origin;
      throw this.error(`${elsewhere ? at.origin : `the registry ${this.config.url}`} refused to ${action} (${res.status}${detail ? `: ${detail}` : ""})`, {
        hint: cred
          ? `the ${cred.kind === "token" ? "token" : "user and password"} for ${cred.key} in ${cred.source} is wrong, expired, or lacks the rights to ${action.split(" ")[0]}`
          : elsewhere
            ? `it is not the registry's host, so the registry's credentials are not sent there; if it needs some, add //${at.host}/:_authToken=... to .npmrc`
            : `no token for this registry: run \`npm login --registry ${this.config.url}\` or add ${nerfDart(this.config.url)}:_authToken=... to .npmrc`,
      });
    }
    throw this.error(`the registry ${this.config.url} could not ${action}: ${res.status} ${res.statusText}${detail ? ` (${detail})` : ""}`);
  }

  /** The package document, or undefined when the registry has no such package. */
  async packument(name: string): Promise<Packument | undefined> {
    const res = await this.request(pathOf(name));
    if (res.status === 404) return undefined;
    if (!res.ok) return this.fail(res, `look up ${name}`);
    try {
      return (await res.json()) as Packument;
    } catch {
      throw this.error(`the registry ${this.config.url} answered for ${name} with something that is not JSON`);
    }
  }

  async download(url: string): Promise<Buffer> {
    const res = await this.request(url, {}, "download from");
    if (!res.ok) return this.fail(res, `download ${url}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * Publishes one version (the npm publish document: the manifest plus the
   * tarball as an attachment, and `access`, which npm's registry reads to
   * make a scoped package public or restricted).
   */
  async publish(manifest: Record<string, unknown> & { name: string; version: string }, tarball: Buffer, dist: { integrity: string; shasum: string }, access?: PublishAccess): Promise<void> {
    const file = `${manifest.name.replace(/^@[^/]+\//, "")}-${manifest.version}.tgz`;
    const tarballUrl = new URL(`${pathOf(manifest.name)}/-/${file}`, this.config.url).href;
    const body = {
      _id: manifest.name,
      name: manifest.name,
      description: manifest.description,
      "dist-tags": { latest: manifest.version },
      versions: { [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { ...dist, tarball: tarballUrl } } },
      ...(access ? { access } : {}),
      _attachments: { [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length } },
    };
    const res = await this.request(pathOf(manifest.name), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, "publish to");
    if (res.status === 409) throw this.error(`${manifest.name}@${manifest.version} is already published on ${this.config.url}`, { hint: "bump the version (pnpm changeset, pnpm version-packages)" });
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
