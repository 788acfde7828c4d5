import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** A setting and the file it came from (for messages; never the value itself when it is a secret). */
export interface NpmrcValue {
  readonly value: string;
  readonly source: string;
}

/**
 * The `.npmrc` files npm would read for a project, the project's over the
 * user's: `key=value` lines, `#`/`;` comments, quotes stripped, `${ENV}`
 * expanded, as npm reads them.
 */
export class Npmrc {
  private constructor(private readonly layers: readonly { file: string; values: ReadonlyMap<string, string> }[]) {}

  static read(root: string, env: NodeJS.ProcessEnv): Npmrc {
    const user = env.NPM_CONFIG_USERCONFIG || env.npm_config_userconfig || join(env.HOME || homedir(), ".npmrc");
    return new Npmrc([join(root, ".npmrc"), user].map((file) => ({ file, values: parse(file, env) })));
  }

  /** From settings already parsed (tests). */
  static of(...layers: { file: string; text: string; env?: NodeJS.ProcessEnv }[]): Npmrc {
    return new Npmrc(layers.map((l) => ({ file: l.file, values: parseText(l.text, l.env ?? {}) })));
  }

  get(key: string): NpmrcValue | undefined {
    for (const layer of this.layers) {
      const value = layer.values.get(key);
      if (value) return { value, source: layer.file };
    }
    return undefined;
  }

  /** Every key set in any file. */
  keys(): Set<string> {
    return new Set(this.layers.flatMap((l) => [...l.values.keys()]));
  }
}

function parse(file: string, env: NodeJS.ProcessEnv): Map<string, string> {
  return existsSync(file) ? parseText(readFileSync(file, "utf8"), env) : new Map();
}

function parseText(text: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
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
