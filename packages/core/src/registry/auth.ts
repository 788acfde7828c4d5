import { UserError } from "../errors.js";
import type { Npmrc } from "./npmrc.js";

/**
 * Registry credentials, kept as npm keeps them: each under the "nerf dart" of
 * the registry it belongs to (`//host[:port]/path/`, the URL without its
 * protocol), so that a credential only ever goes to that registry. A package
 * document may point its tarballs anywhere; a tarball on another host gets
 * no credential (unless .npmrc has one for that host).
 */
export interface RegistryCredential {
  /** The nerf dart it is stored under, for messages: `//host:port/path/`. */
  readonly key: string;
  readonly kind: "token" | "basic";
  /** The Authorization header's value. Never printed. */
  readonly header: string;
  /** Every form of the secret, so that messages can be scrubbed of them. */
  readonly secrets: readonly string[];
  /** The .npmrc file it came from. */
  readonly source: string;
}

/** npm's nerf dart of a URL: `//host[:port]/path/`, without protocol, user, query, hash, or last segment. */
export function nerfDart(url: string): string {
  const u = new URL(url);
  return `//${u.host}${u.pathname.replace(/[^/]*$/, "")}`;
}

/**
 * The keys to look a URL's credential up under, longest first, as
 * npm-registry-fetch walks them: `//h/a/b.tgz`, `//h/a/`, `//h/a`, `//h/`, `//h`.
 */
export function lookupKeys(url: string): string[] {
  const u = new URL(url);
  const keys: string[] = [];
  for (let key = `//${u.host}${u.pathname}`; key.length > 2; key = key.replace(/([^/]+|\/)$/, "")) keys.push(key);
  return keys;
}

/** `user:password` as a credential; `how` names the settings it came from, for errors. */
function basic(key: string, userPass: string, source: string, how: string): RegistryCredential {
  if (!userPass.includes(":")) {
    throw UserError.of(`${how} for ${key} is not base64 of user:password`, { path: source, hint: "npm login writes it; or set _authToken instead" });
  }
  const encoded = Buffer.from(userPass, "utf8").toString("base64");
  const password = userPass.slice(userPass.indexOf(":") + 1);
  return { key, kind: "basic", header: `Basic ${encoded}`, secrets: [encoded, password], source };
}

/**
 * The credential stored under one key prefix (`//host/:` or, for the
 * default registry's unscoped settings, the empty prefix): a token first,
 * then username + `_password` (base64), then `_auth` (base64 user:pass), as
 * npm prefers them.
 */
export function credentialAt(npmrc: Npmrc, prefix: string, key: string): RegistryCredential | undefined {
  const token = npmrc.get(`${prefix}_authToken`);
  if (token) return { key, kind: "token", header: `Bearer ${token.value}`, secrets: [token.value], source: token.source };
  const user = npmrc.get(`${prefix}username`);
  const password = npmrc.get(`${prefix}_password`);
  if (user && password) {
    const decoded = Buffer.from(password.value, "base64").toString("utf8");
    return { ...basic(key, `${user.value}:${decoded}`, password.source, `${prefix}username and ${prefix}_password`), secrets: [password.value, decoded, Buffer.from(`${user.value}:${decoded}`).toString("base64")] };
  }
  const auth = npmrc.get(`${prefix}_auth`);
  if (auth) {
    const cred = basic(key, Buffer.from(auth.value, "base64").toString("utf8"), auth.source, `${prefix}_auth`);
    return { ...cred, secrets: [auth.value, ...cred.secrets] };
  }
  return undefined;
}

/** Every credential the .npmrc files hold, by the nerf dart (or `//host/path` key) it is stored under. */
export function keyedCredentials(npmrc: Npmrc): Map<string, RegistryCredential> {
  const out = new Map<string, RegistryCredential>();
  for (const setting of npmrc.keys()) {
    const m = /^(\/\/.+):(_authToken|_auth|username|_password)$/.exec(setting);
    if (!m) continue;
    // hosts are case-insensitive; the URL a credential is looked up by has its host lower-cased
    const key = m[1]!.replace(/^\/\/[^/]+/, (h) => h.toLowerCase());
    if (out.has(key)) continue;
    const cred = credentialAt(npmrc, `${m[1]}:`, key);
    if (cred) out.set(key, cred);
  }
  return out;
}

/**
 * The credential for a request to `url`, for a client of the registry at
 * `registry`: the one stored for the URL's own host and path, else — only
 * when the URL is on the registry's own origin — the registry's. Anything
 * else (a tarball on another host or port) gets none, and nothing goes over
 * plain http when the registry is https.
 */
export function credentialFor(url: string, registry: string, credentials: ReadonlyMap<string, RegistryCredential>): RegistryCredential | undefined {
  // .npmrc keys have no protocol; a package document of an https registry must not pull a secret over plain http
  if (new URL(url).protocol === "http:" && new URL(registry).protocol === "https:") return undefined;
  for (const key of lookupKeys(url)) {
    const cred = credentials.get(key);
    if (cred) return cred;
  }
  if (new URL(url).origin !== new URL(registry).origin) return undefined;
  for (const key of lookupKeys(registry)) {
    const cred = credentials.get(key);
    if (cred) return cred;
  }
  return undefined;
}

/** `text` with every secret of these credentials replaced, and any `user:password@` of a URL dropped. */
export function scrub(text: string, credentials: Iterable<RegistryCredential>): string {
  let out = text.replace(/\/\/[^/@\s:]+:[^/@\s]+@/g, "//***@");
  for (const c of credentials) for (const s of c.secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}
