import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { parseYaml } from "../manifest/yaml-source.js";
import { readS3FileSettings, resolveS3Config, type S3Config, type S3FileSettings, type Setting } from "@aves2/storage/config";

export type { Setting } from "@aves2/storage/config";

export interface Config {
  /** Interpreter for local runs; unset = search for one that has the modules. */
  readonly python?: Setting<string>;
  /** Where local run records live. */
  readonly runsDir: Setting<string>;
  readonly backend: Setting<string>;
  /** Object storage (s3://): endpoint, region, addressing, profile. Never credentials. */
  readonly s3: S3Config;
  /** Files that were read, in order of precedence (lowest first). */
  readonly files: readonly string[];
}

const KEYS = ["python", "runsDir", "backend"] as const;
type Key = (typeof KEYS)[number];

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "aves2", "config.yaml");
}

function readConfigFile(file: string): Partial<Record<Key, string>> & { s3?: S3FileSettings } {
  if (!existsSync(file)) return {};
  const { data } = parseYaml(readFileSync(file, "utf8"), file);
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw UserError.of("must be a YAML mapping", { path: file });
  const out: Partial<Record<Key, string>> & { s3?: S3FileSettings } = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === "s3") {
      out.s3 = readS3FileSettings(v, file);
      continue;
    }
    if (!(KEYS as readonly string[]).includes(k)) {
      throw UserError.of(`unknown setting "${k}"`, { path: file, hint: `settings are: ${KEYS.join(", ")}, s3` });
    }
    if (typeof v !== "string") throw UserError.of(`${k} must be a string`, { path: file });
    out[k as Key] = v;
  }
  return out;
}

/** flags > environment > project aves2.config.yaml > user config > built-in defaults. */
export function loadConfig(root: string, flags: Partial<Record<Key, string>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const userFile = userConfigPath(env);
  const projectFile = join(root, "aves2.config.yaml");
  const user = readConfigFile(userFile);
  const project = readConfigFile(projectFile);
  const fromEnv: Partial<Record<Key, string>> = {
    ...(env.AVES2_PYTHON ? { python: env.AVES2_PYTHON } : {}),
    ...(env.AVES2_RUNS_DIR ? { runsDir: env.AVES2_RUNS_DIR } : {}),
    ...(env.AVES2_BACKEND ? { backend: env.AVES2_BACKEND } : {}),
  };
  const pick = (k: Key): Setting<string> | undefined => {
    if (flags[k]) return { value: flags[k]!, source: `--${k}` };
    if (fromEnv[k]) return { value: fromEnv[k]!, source: `AVES2_${k === "runsDir" ? "RUNS_DIR" : k.toUpperCase()}` };
    if (project[k]) return { value: project[k]!, source: projectFile };
    if (user[k]) return { value: user[k]!, source: userFile };
    return undefined;
  };
  const runs = pick("runsDir");
  const python = pick("python");
  return {
    ...(python ? { python } : {}),
    runsDir: runs ? { value: resolve(root, runs.value), source: runs.source } : { value: join(root, ".aves2", "runs"), source: "default" },
    backend: pick("backend") ?? { value: "local", source: "default" },
    s3: resolveS3Config([{ s3: project.s3, file: projectFile }, { s3: user.s3, file: userFile }], env),
    files: [userFile, projectFile].filter((f) => existsSync(f)),
  };
}
