import { UserError } from "../errors.js";
import { parseAccess, type PublishAccess } from "./access.js";
import { credentialAt, credentialFor, keyedCredentials, lookupKeys, nerfDart, type RegistryCredential } from "./auth.js";
import { Npmrc } from "./npmrc.js";

/**
 * Where to publish and fetch components, read the way npm reads it: a flag;
 * else `@scope:registry` for the scope's packages; else the plain registry
 * (`npm_config_registry`, then `registry` in .npmrc, the project's over the
 * user's). Credentials are kept per registry (see auth.ts).
 */
export interface RegistryConfig {
  readonly url: string;
  /** Where the URL came from, for messages. */
  readonly source: string;
  /** By the nerf dart they are stored under. Never printed. */
  readonly credentials: ReadonlyMap<string, RegistryCredential>;
  /** `always-auth=true`: requests to the registry must carry credentials; without any they are not sent at all. */
  readonly alwaysAuth: boolean;
  /** `access` in .npmrc, the default for publishing. */
  readonly access?: { readonly value: PublishAccess; readonly source: string };
}

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

function withSlash(u: string): string {
  return u.endsWith("/") ? u : `${u}/`;
}

function registryUrl(picked: { value: string; source: string }): string {
  const url = withSlash(picked.value);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    throw UserError.of(`the registry "${picked.value}" is not an http(s) URL`, { path: picked.source });
  }
  if (parsed.username || parsed.password) {
    throw UserError.of("the registry URL holds a user name or password", { path: picked.source, hint: "put credentials in .npmrc as //host/:_authToken=... or //host/:_auth=..., not in the URL" });
  }
  return url;
}

export function registryConfig(opts: { root: string; scope?: string; flag?: string; env?: NodeJS.ProcessEnv }): RegistryConfig {
  const env = opts.env ?? process.env;
  return configFrom(Npmrc.read(opts.root, env), { ...opts, env });
}

/** The same from .npmrc settings already read (tests). */
export function configFrom(rc: Npmrc, opts: { scope?: string; flag?: string; env?: NodeJS.ProcessEnv }): RegistryConfig {
  const env = opts.env ?? {};
  const envRegistry = env.npm_config_registry || env.NPM_CONFIG_REGISTRY;
  // the plain registry: the one npm uses for unscoped packages, and the only one unscoped credentials are for
  const plain = opts.flag
    ? { value: opts.flag, source: "--registry" }
    : envRegistry
      ? { value: envRegistry, source: "npm_config_registry" }
      : (rc.get("registry") ?? { value: DEFAULT_REGISTRY, source: "npm default" });
  // as npm does, a scope's registry wins over the plain one from any file or the environment (pnpm sets
  // npm_config_registry for every script it runs); only this command's own flag wins over it
  const scoped = !opts.flag && opts.scope ? rc.get(`${opts.scope}:registry`) : undefined;
  const picked = scoped ? { value: scoped.value, source: `${opts.scope}:registry in ${scoped.source}` } : plain;
  const url = registryUrl(picked);

  const credentials = keyedCredentials(rc);
  // npm before v9 also read `_authToken`, `_auth`, `username` + `_password` without a host: they belong to the plain registry
  const plainUrl = registryUrl(plain);
  if (!credentialFor(plainUrl, plainUrl, credentials)) {
    const unscoped = credentialAt(rc, "", nerfDart(plainUrl));
    if (unscoped) credentials.set(nerfDart(plainUrl), unscoped);
  }

  const access = rc.get("access") ?? (env.npm_config_access ? { value: env.npm_config_access, source: "npm_config_access" } : undefined);
  return {
    url,
    source: picked.source,
    credentials,
    alwaysAuth: alwaysAuth(rc, url),
    ...(access ? { access: { value: parseAccess(access.value, access.source), source: access.source } } : {}),
  };
}

/** `//host/:always-auth=true` for this registry, else a plain `always-auth=true`. */
function alwaysAuth(rc: Npmrc, url: string): boolean {
  for (const key of lookupKeys(url)) {
    const v = rc.get(`${key}:always-auth`);
    if (v) return v.value === "true";
  }
  return rc.get("always-auth")?.value === "true";
}
