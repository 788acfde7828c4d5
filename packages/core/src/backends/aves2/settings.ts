import type { Setting } from "../../config/config.js";
import { aves2CfgPath, readAves2ClientConfig } from "@aves2/storage/config";
import type { S3StorageConf } from "../../aves2/payload.js";

/**
 * Where the AVES2 backend finds its server and credentials: flags > env >
 * the AVES2 client's `~/.aves2/aves2.cfg` (or AVES2_CLIENT_CONFIG). The
 * token and the S3 secret are held here for submit only; nothing prints them.
 */
export interface Aves2Settings {
  readonly cfgFile: string;
  readonly host?: Setting<string>;
  readonly token?: Setting<string>;
  readonly username?: Setting<string>;
  /** Jobs without a namespace of their own go here (else `default`). */
  readonly namespace?: Setting<string>;
  /** Sent to the server for OSSFile data, as the client does; null when none is configured. */
  readonly s3: S3StorageConf | null;
}

export interface Aves2Overrides {
  /** `--aves2-host` */
  readonly host?: string;
}

export function loadAves2Settings(overrides: Aves2Overrides = {}, env: NodeJS.ProcessEnv = process.env): Aves2Settings {
  const cfgFile = aves2CfgPath(env);
  const cfg = readAves2ClientConfig(cfgFile);
  const pick = (flag: string | undefined, flagName: string, envName: string, fromFile: string | undefined, key: string): Setting<string> | undefined => {
    if (flag) return { value: flag, source: flagName };
    if (env[envName]) return { value: env[envName]!, source: envName };
    if (fromFile) return { value: fromFile, source: `${cfgFile} (${key})` };
    return undefined;
  };
  const s3 = {
    S3Endpoint: env.AVES2_S3_ENDPOINT ?? cfg?.s3?.endpoint,
    S3AccessKeyId: env.AVES2_S3_ACCESS_KEY_ID ?? cfg?.s3?.accessKeyId,
    S3SecretAccessKey: env.AVES2_S3_SECRET_ACCESS_KEY ?? cfg?.s3?.secretAccessKey,
  };
  const host = pick(overrides.host, "--aves2-host", "AVES2_HOST", cfg?.server?.host, "Aves2Server.host");
  const token = pick(undefined, "", "AVES2_TOKEN", cfg?.server?.apiToken, "Aves2Server.api_token");
  const username = pick(undefined, "", "AVES2_USERNAME", cfg?.user?.username, "UserInfo.username");
  const namespace = pick(undefined, "", "AVES2_NAMESPACE", cfg?.user?.namespace, "UserInfo.namespace");
  return {
    cfgFile,
    ...(host ? { host } : {}),
    ...(token ? { token } : {}),
    ...(username ? { username } : {}),
    ...(namespace ? { namespace } : {}),
    s3: Object.values(s3).some(Boolean)
      ? { S3Endpoint: s3.S3Endpoint ?? "", S3AccessKeyId: s3.S3AccessKeyId ?? "", S3SecretAccessKey: s3.S3SecretAccessKey ?? "" }
      : null,
  };
}
