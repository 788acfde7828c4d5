import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where to publish and fetch components, read the way npm reads it: a flag,
 * then `npm_config_registry`, then `.npmrc` files (the project's over the
 * user's), scoped `@scope:registry` before the plain `registry`; the token
 * from `//host/path/:_authToken` (with `${ENV}` expansion), as npm does.
 */
export interface RegistryConfig {
  readonly url: string;
  /** Never printed; `auth` says whether there is one. */
  readonly token?: string;
  /** Where the URL came from, for messages. */
  readonly source: string;
}

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

function parseNpmrc(file: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  for (const raw of readFileSync(file, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^["']|["']$/g, "")
      .replace(/\$\{([^}]+)\}/g, (_, name: string) => env[name] ?? "");
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

function withSlash(u: string): string {
  return u.endsWith("/") ? u : `${u}/`;
}

export function registryConfig(opts: { root: string; scope?: string; flag?: string; env?: NodeJS.ProcessEnv }): RegistryConfig {
  const env = opts.env ?? process.env;
  const userrc = env.NPM_CONFIG_USERCONFIG || env.npm_config_userconfig || join(env.HOME || homedir(), ".npmrc");
  const files = [join(opts.root, ".npmrc"), userrc];
  const rcs = files.map((f) => ({ file: f, values: parseNpmrc(f, env) }));
  const fromRc = (key: string) => {
    for (const rc of rcs) {
      const v = rc.values.get(key);
      if (v) return { value: v, source: rc.file };
    }
    return undefined;
  };
  const envRegistry = env.npm_config_registry || env.NPM_CONFIG_REGISTRY;
  const picked = opts.flag
    ? { value: opts.flag, source: "--registry" }
    : envRegistry
      ? { value: envRegistry, source: "npm_config_registry" }
      : ((opts.scope ? fromRc(`${opts.scope}:registry`) : undefined) ?? fromRc("registry") ?? { value: DEFAULT_REGISTRY, source: "npm default" });
  const url = withSlash(picked.value);
  // npm matches `//host[:port]/path/:_authToken` against the registry URL without its protocol, longest path first
  const bare = url.replace(/^https?:/, "");
  let token: string | undefined;
  for (let path = bare; path.length > 2; path = path.replace(/[^/]*\/$/, "")) {
    token = fromRc(`${path}:_authToken`)?.value;
    if (token) break;
  }
  return { url, source: picked.source, ...(token ? { token } : {}) };
}
