import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { defaultPathStyle, type S3Settings } from "../s3/settings.js";
import { aves2CfgPath, parseNestedIni, readAves2ClientConfig } from "./aves2-cfg.js";
import type { Setting } from "./setting.js";

/** The `s3:` mapping of aves2.config.yaml (project or user). */
export interface S3FileSettings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle?: boolean;
  readonly profile?: string;
}

export const S3_KEYS = ["endpoint", "region", "pathStyle", "profile"] as const;

/** Each S3 setting with where it came from (for `doctor`). Never credentials. */
export interface S3Config {
  readonly endpoint?: Setting<string>;
  readonly region: Setting<string>;
  readonly pathStyle: Setting<boolean>;
  readonly profile?: Setting<string>;
}

/** Checks the `s3:` value of a config file. */
export function readS3FileSettings(value: unknown, file: string): S3FileSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw UserError.of("s3 must be a mapping", { path: file, hint: `keys: ${S3_KEYS.join(", ")}` });
  const out: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(S3_KEYS as readonly string[]).includes(k)) throw UserError.of(`unknown setting "s3.${k}"`, { path: file, hint: `s3 settings are: ${S3_KEYS.join(", ")}` });
    if (k === "pathStyle") {
      if (typeof v !== "boolean") throw UserError.of("s3.pathStyle must be true or false", { path: file });
    } else if (typeof v !== "string" || !v) throw UserError.of(`s3.${k} must be a non-empty string`, { path: file });
    out[k] = v as string | boolean;
  }
  return out as S3FileSettings;
}

function checkEndpoint(value: string, source: string): string {
  let u: URL | undefined;
  try {
    u = new URL(value);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) {
    throw UserError.of(`S3 endpoint "${value}" is not an http(s) URL`, { path: source, hint: "write it as http://host:port or https://host" });
  }
  return value.replace(/\/+$/, "");
}

function bool(value: string, source: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw UserError.of(`"${value}" is not true or false`, { path: source });
}

/** The region of a profile in ~/.aws/config (the SDK's own file), if it names one. */
function profileRegion(profile: string, env: NodeJS.ProcessEnv): Setting<string> | undefined {
  const file = env.AWS_CONFIG_FILE || join(env.HOME || homedir(), ".aws", "config");
  if (!existsSync(file)) return undefined;
  try {
    const sections = parseNestedIni(readFileSync(file, "utf8"), file);
    const region = sections.get(profile === "default" ? "default" : `profile ${profile}`)?.get("region");
    return region ? { value: region, source: `${file} [${profile}]` } : undefined;
  } catch {
    return undefined; // the SDK reports a broken file better, when it is needed
  }
}

/**
 * flags > environment (the AWS SDK's own variables) > project > user >
 * the AVES2 client's aves2.cfg > defaults.
 */
export function resolveS3Config(
  layers: readonly { readonly s3?: S3FileSettings; readonly file: string }[],
  env: NodeJS.ProcessEnv = process.env,
): S3Config {
  const pick = <K extends keyof S3FileSettings>(k: K): Setting<NonNullable<S3FileSettings[K]>> | undefined => {
    for (const l of layers) if (l.s3?.[k] !== undefined) return { value: l.s3[k]!, source: `${l.file} (s3.${k})` };
    return undefined;
  };
  const envSetting = (...names: string[]): Setting<string> | undefined => {
    for (const n of names) if (env[n]) return { value: env[n]!, source: n };
    return undefined;
  };
  let endpoint = envSetting("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL") ?? pick("endpoint");
  if (!endpoint) {
    const cfgFile = aves2CfgPath(env);
    let cfg: ReturnType<typeof readAves2ClientConfig>;
    try {
      cfg = readAves2ClientConfig(cfgFile);
    } catch {
      cfg = undefined; // a broken aves2.cfg is reported when its credentials are needed, not by every command
    }
    if (cfg?.s3?.endpoint) endpoint = { value: cfg.s3.endpoint, source: `${cfgFile} [StorageConf][[S3]] S3Endpoint` };
  }
  if (endpoint) endpoint = { value: checkEndpoint(endpoint.value, endpoint.source), source: endpoint.source };
  const profile = envSetting("AWS_PROFILE") ?? pick("profile");
  const region = envSetting("AWS_REGION", "AWS_DEFAULT_REGION") ?? pick("region") ?? profileRegion(profile?.value ?? "default", env) ?? { value: "us-east-1", source: "default" };
  const ps = envSetting("AVES2_S3_PATH_STYLE");
  const pathStyle: Setting<boolean> = ps
    ? { value: bool(ps.value, ps.source), source: ps.source }
    : (pick("pathStyle") ?? { value: defaultPathStyle(endpoint?.value), source: endpoint ? "default for this endpoint" : "default" });
  return { ...(endpoint ? { endpoint } : {}), region, pathStyle, ...(profile ? { profile } : {}) };
}

export function s3Settings(c: S3Config): S3Settings {
  return {
    ...(c.endpoint ? { endpoint: c.endpoint.value } : {}),
    region: c.region.value,
    pathStyle: c.pathStyle.value,
    ...(c.profile ? { profile: c.profile.value } : {}),
  };
}
