import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { aves2CfgPath, readAves2ClientConfig } from "../config/aves2-cfg.js";
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
  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials (AWS_PROFILE), or S3AccessKeyId and S3SecretAccessKey under [StorageConf] [[S3]] in ~/.aves2/aves2.cfg; " +
  "on AWS the SDK's own sources work too: a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as EKS sets for a service account), " +
  "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, as ECS and EKS Pod Identity set) and EC2 instance metadata";

/**
 * How long the SDK may wait on the EC2 instance metadata service, per request.
 * Off EC2 (a laptop) nothing answers there; the SDK asks for an IMDSv2 token
 * and then once more without one (IMDSv1), so failing costs at most twice
 * this. On EC2 it answers in milliseconds.
 */
const IMDS_TIMEOUT_MS = 500;
/** The container endpoints (ECS agent, EKS Pod Identity agent): the SDK's own timeout, one retry. */
const CONTAINER_TIMEOUT_MS = 1000;
/** How long one request to a container endpoint may take before it is cut off (see capContainerRequests). */
const CONTAINER_CAP_MS = 900;

/** Where the SDK asks for container credentials, if it does. */
function containerUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return `http://169.254.170.2${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
  return env.AWS_CONTAINER_CREDENTIALS_FULL_URI || undefined;
}

/**
 * The SDK's container provider (fromHttp, on @smithy/node-http-handler 4.x)
 * gives its request a timeout that only warns: an endpoint that takes the
 * connection and never answers (a hung agent) would hold the command
 * forever. While `f` runs, requests to that endpoint are cut off after
 * CONTAINER_CAP_MS, just under the SDK's own timeout, so its warning never
 * comes either; the SDK then fails them as it would any other error.
 */
async function capContainerRequests<T>(url: string | undefined, f: () => Promise<T>): Promise<T> {
  let target: URL | undefined;
  try {
    target = url ? new URL(url) : undefined;
  } catch {
    target = undefined; // the SDK says what is wrong with it
  }
  if (!target) return f();
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const path = `${target.pathname}${target.search}`;
  const onStart = (message: unknown) => {
    const req = (message as { request?: ClientRequest }).request;
    if (!req || req.host !== host || req.path !== path) return;
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${CONTAINER_CAP_MS} ms`)), CONTAINER_CAP_MS);
    timer.unref();
    req.once("close", () => clearTimeout(timer));
  };
  subscribe("http.client.request.start", onStart);
  try {
    return await f();
  } finally {
    unsubscribe("http.client.request.start", onStart);
  }
}

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

/** Only the four values: not the SDK's bookkeeping ($source, accountId). */
function plain(c: S3Credentials): S3Credentials {
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    ...(c.expiration ? { expiration: c.expiration } : {}),
  };
}

// --- where credentials the SDK found came from, in words ---------------------

const webIdentitySource = (env: NodeJS.ProcessEnv) => `web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, role ${env.AWS_ROLE_ARN})`;
/** The SDK prefers the relative URI (ECS) when both are set. */
const containerSource = (env: NodeJS.ProcessEnv) =>
  `container credentials (${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI"})`;
const IMDS_SOURCE = "EC2 instance metadata";
const usesContainer = (env: NodeJS.ProcessEnv) => Boolean(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI);

/**
 * The SDK marks the credentials it returns with the features that made them
 * (`$source`, for its user agent): which provider answered. Instance and
 * container metadata of the older kind set none.
 */
function describeSdkCredentials(c: object, profile: string, env: NodeJS.ProcessEnv): string | undefined {
  const flags = (c as { $source?: Record<string, unknown> }).$source ?? {};
  const has = (...names: string[]) => names.some((n) => n in flags);
  const named = `AWS profile "${profile}"`;
  if (has("CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN")) return webIdentitySource(env);
  if (has("CREDENTIALS_HTTP")) return containerSource(env);
  if (has("CREDENTIALS_PROFILE_SOURCE_PROFILE", "CREDENTIALS_PROFILE_NAMED_PROVIDER", "CREDENTIALS_STS_ASSUME_ROLE")) return `role assumed with ${named}`;
  if (has("CREDENTIALS_PROFILE_PROCESS", "CREDENTIALS_PROCESS")) return `credential_process of ${named}`;
  if (has("CREDENTIALS_PROFILE_SSO", "CREDENTIALS_PROFILE_SSO_LEGACY", "CREDENTIALS_SSO", "CREDENTIALS_SSO_LEGACY")) return `SSO of ${named}`;
  if (has("CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN")) return `web identity token of ${named}`;
  if (has("CREDENTIALS_PROFILE_LOGIN")) return `console login of ${named}`;
  if (has("CREDENTIALS_PROFILE")) return named;
  return undefined;
}

/** How the SDK's chain says that no provider had any. */
const EXHAUSTED = /Could not load credentials from any providers/;

/** An error's own words, on one line, without "Error: " prefixes. */
function words(e: unknown): string {
  const err = e as { name?: unknown; message?: unknown };
  const message = typeof err?.message === "string" ? err.message : String(e);
  const name = typeof err?.name === "string" && !/^(Error|\w*ProviderError)$/.test(err.name) ? `${err.name}: ` : "";
  return `${name}${message}`
    .replace(/\s+/g, " ")
    .replace(/^(\w*Error: )+/, "")
    .trim();
}

/**
 * What the SDK's chain logs as it goes (it says so only to a logger it is
 * given): which provider it reached, and the errors it passed over.
 */
class Trail {
  lines: string[] = [];
  readonly logger = {
    trace: () => undefined,
    info: () => undefined,
    // the SDK's warnings are meant for its own users; ours say it in words
    warn: () => undefined,
    error: () => undefined,
    debug: (...args: unknown[]) => {
      this.lines.push(args.map(String).join(" "));
      if (this.lines.length > 200) this.lines.splice(0, 100);
    },
  };
  /** The provider the chain reached last: "fromTokenFile", "fromInstanceMetadata", ... */
  stage(): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const m = /(?:defaultProvider|remoteProvider)::(\S+)/.exec(this.lines[i]!);
      if (m) return m[1];
    }
    return undefined;
  }
  /** The first error passed over after the chain reached `stage`. */
  errorAfter(stage: string): string | undefined {
    const from = this.lines.findIndex((l) => l.includes(`::${stage}`));
    if (from < 0) return undefined;
    for (const l of this.lines.slice(from)) {
      const m = /^@smithy\/property-provider (?:->|\(!\)) ([\s\S]*)$/.exec(l);
      if (m && !EXHAUSTED.test(m[1]!)) return words({ message: m[1] });
    }
    return undefined;
  }
}

/**
 * Everything after the environment, the shared files and aves2.cfg: the AWS
 * SDK's own chain (web identity, container credentials, SSO, credential_process,
 * EC2 instance metadata), loaded only when it is reached. Like the S3 client
 * would, it reads the process environment, whatever `env` findCredentials was
 * given; the shared files are the ones `env` names.
 */
async function fromSdkChain(settings: S3Settings, files: { filepath: string; configFilepath: string }): Promise<CredentialChoice | undefined> {
  const env = process.env;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && !env.AWS_ROLE_ARN) {
    // the SDK would pass over it in silence
    throw UserError.of("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not", { path: "environment", hint: "set both (EKS does, for a service account with an IAM role), or neither" });
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
  const trail = new Trail();
  // the SDK asks the container endpoint or instance metadata, never both
  const remote = usesContainer(env) ? { timeout: CONTAINER_TIMEOUT_MS, maxRetries: 1 } : { timeout: IMDS_TIMEOUT_MS, maxRetries: 0 };
  // STS (web identity, assumed roles) in the bucket's region when the bucket is on AWS; else the SDK's own choice (AWS_REGION, the profile's, us-east-1)
  const sts = settings.endpoint ? {} : { parentClientConfig: { region: settings.region } };
  const chain = defaultProvider({ ...files, ...remote, ...sts, logger: trail.logger });
  const profile = env.AWS_PROFILE || "default";

  const describeStage = (stage: string | undefined): string => {
    if (stage === "fromTokenFile") return webIdentitySource(env);
    if (stage?.startsWith("fromHttp") || stage === "fromContainerMetadata" || (stage === "remoteProvider" && usesContainer(env))) return containerSource(env);
    if (stage === "fromInstanceMetadata" || stage === "remoteProvider") return IMDS_SOURCE;
    if (stage === "fromIni") return `AWS profile "${profile}"`;
    if (stage === "fromProcess") return `credential_process of AWS profile "${profile}"`;
    if (stage === "fromSSO") return "SSO";
    if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return webIdentitySource(env);
    return usesContainer(env) ? containerSource(env) : "the AWS SDK's credential chain";
  };
  const failed = (source: string, why: string | undefined, hint: string) =>
    UserError.of(`${source} gave no S3 credentials for ${endpointName(settings)}${why ? `: ${why}` : ""}`, { hint });
  const HINT_BROKEN = {
    web: "check the token file and the role's trust policy (on EKS: the service account's eks.amazonaws.com/role-arn), or unset AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN",
    container: "check the task role (ECS) or the pod identity association (EKS), or unset the AWS_CONTAINER_CREDENTIALS_* variables",
    other: "check that source, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
  };
  const hintFor = (source: string) => (source.startsWith("web identity") ? HINT_BROKEN.web : source.startsWith("container") ? HINT_BROKEN.container : HINT_BROKEN.other);

  /** Undefined: no source the SDK knows has any. */
  const resolve = async (refresh: boolean): Promise<{ creds: S3Credentials; source: string } | undefined> => {
    trail.lines = [];
    try {
      const c = await capContainerRequests(containerUrl(env), () => chain(refresh ? { forceRefresh: true } : undefined));
      const source = describeSdkCredentials(c, profile, env) ?? (usesContainer(env) ? containerSource(env) : IMDS_SOURCE);
      return { creds: plain(c), source };
    } catch (e) {
      if (e instanceof UserError) throw e;
      const exhausted = EXHAUSTED.test((e as Error)?.message ?? "");
      if (!exhausted) {
        const source = describeStage(trail.stage());
        throw failed(source, words(e), hintFor(source));
      }
      // each provider passed: a container endpoint that is set but did not answer is still an error
      if (usesContainer(env)) {
        const source = containerSource(env);
        // a refused connection is in the trail; an error status is not
        throw failed(source, trail.errorAfter("fromHttp/fromContainerMetadata") ?? `${containerUrl(env)} did not answer with credentials`, hintFor(source));
      }
      if (env.AWS_EC2_METADATA_SERVICE_ENDPOINT && !(env.AWS_EC2_METADATA_DISABLED && env.AWS_EC2_METADATA_DISABLED !== "false")) {
        throw failed(`${IMDS_SOURCE} (AWS_EC2_METADATA_SERVICE_ENDPOINT ${env.AWS_EC2_METADATA_SERVICE_ENDPOINT})`, undefined, "check that address, or unset AWS_EC2_METADATA_SERVICE_ENDPOINT");
      }
      return undefined;
    }
  };

  const first = await resolve(false);
  if (!first) return undefined;
  let pending: S3Credentials | undefined = first.creds;
  return {
    provider: memo(async () => {
      if (pending) {
        const c = pending;
        pending = undefined;
        return c;
      }
      const again = await resolve(true);
      if (!again) throw UserError.of(`${first.source} gave no S3 credentials for ${endpointName(settings)} any more`, { hint: hintFor(first.source) });
      return again.creds;
    }),
    source: first.source,
  };
}

/**
 * The standard AWS chain: the environment, then the shared files
 * (~/.aws/credentials and ~/.aws/config, with their profiles), then the AVES2
 * client's aves2.cfg, then the rest of the AWS SDK's own chain (web identity,
 * container credentials, EC2 instance metadata). When the endpoint itself came
 * from aves2.cfg, its keys are the ones meant for it and come before the
 * shared files.
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

  const profile = settings.profile ?? (env.AWS_PROFILE || undefined);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { fromIni } = await import("@aws-sdk/credential-provider-ini");
  const aws = join(env.HOME || homedir(), ".aws");
  const files = { filepath: env.AWS_SHARED_CREDENTIALS_FILE || join(aws, "credentials"), configFilepath: env.AWS_CONFIG_FILE || join(aws, "config") };
  const ini = fromIni({ profile: profile ?? "default", ...files });
  try {
    const first = await ini();
    let used = false;
    return {
      provider: memo(async () => {
        if (!used) {
          used = true;
          return plain(first);
        }
        return plain(await ini());
      }),
      source: describeSdkCredentials(first, profile ?? "default", env) ?? `AWS profile "${profile ?? "default"}"`,
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
  const sdk = await fromSdkChain(settings, files);
  if (sdk) return sdk;
  throw UserError.of(`no S3 credentials found for ${endpointName(settings)}`, { hint: HINT });
}
