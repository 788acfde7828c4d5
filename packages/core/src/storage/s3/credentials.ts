import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { aves2CfgPath, readAves2ClientConfig } from "../../config/aves2-cfg.js";
import { endpointName, type S3Settings } from "./settings.js";

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export interface CredentialChoice {
  readonly provider: () => Promise<S3Credentials>;
  /** Where they came from, for messages. Never the credentials themselves. */
  readonly source: string;
}

const HINT =
  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials (AWS_PROFILE), or S3AccessKeyId and S3SecretAccessKey under [StorageConf] [[S3]] in ~/.aves2/aves2.cfg";

/** Refreshes credentials that expire (assumed roles, SSO) a minute before they do. */
function memo(f: () => Promise<S3Credentials>): () => Promise<S3Credentials> {
  let current: Promise<S3Credentials> | undefined;
  return async () => {
    const c = current ? await current.catch(() => undefined) : undefined;
    if (c && (!c.expiration || c.expiration.getTime() - Date.now() > 60_000)) return c;
    current = f();
    return current;
  };
}

/**
 * The standard AWS chain without the parts that call out to the network on
 * their own (instance metadata): the environment, then the shared files
 * (~/.aws/credentials and ~/.aws/config, with their profiles), then the AVES2
 * client's aves2.cfg. When the endpoint itself came from aves2.cfg, its keys
 * are the ones meant for it and come before the shared files.
 */
export async function findCredentials(settings: S3Settings, env: NodeJS.ProcessEnv = process.env): Promise<CredentialChoice> {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id && secret) {
    const creds = { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
    return { provider: async () => creds, source: "AWS_ACCESS_KEY_ID in the environment" };
  }
  if (id || secret) {
    throw UserError.of(`${id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"} is set but ${id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"} is not`, { path: "environment", hint: "set both, or neither" });
  }

  const cfgFile = aves2CfgPath(env);
  const cfg = readAves2ClientConfig(cfgFile);
  const cfgKeys = cfg?.s3?.accessKeyId && cfg.s3.secretAccessKey ? { accessKeyId: cfg.s3.accessKeyId, secretAccessKey: cfg.s3.secretAccessKey } : undefined;
  const fromCfg = (): CredentialChoice => ({ provider: async () => cfgKeys!, source: `${cfgFile} [StorageConf] [[S3]]` });
  if (cfgKeys && cfg?.s3?.endpoint && cfg.s3.endpoint.replace(/\/+$/, "") === settings.endpoint) return fromCfg();

  const profile = settings.profile ?? env.AWS_PROFILE;
  const { fromIni } = await import("@aws-sdk/credential-provider-ini");
  const aws = join(env.HOME || homedir(), ".aws");
  const ini = fromIni({
    profile: profile ?? "default",
    filepath: env.AWS_SHARED_CREDENTIALS_FILE || join(aws, "credentials"),
    configFilepath: env.AWS_CONFIG_FILE || join(aws, "config"),
  });
  try {
    const first = await ini();
    let used = false;
    return {
      provider: memo(async () => {
        if (!used) {
          used = true;
          return first;
        }
        return ini();
      }),
      source: `AWS profile "${profile ?? "default"}"`,
    };
  } catch (e) {
    if (profile) {
      throw UserError.of(`AWS profile "${profile}" has no usable credentials: ${(e as Error).message}`, {
        path: env.AWS_PROFILE ? "AWS_PROFILE" : "s3.profile",
        hint: "check ~/.aws/credentials and ~/.aws/config, or unset the profile",
      });
    }
  }
  if (cfgKeys) return fromCfg();
  throw UserError.of(`no S3 credentials found for ${endpointName(settings)}`, { hint: HINT });
}
