import { Agent as HttpAgent } from "node:http";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import type { S3Client } from "@aws-sdk/client-s3";
import { UserError } from "../../errors.js";
import { Limiter } from "../pool.js";
import { type CredentialChoice, findCredentials } from "./credentials.js";
import { SocketPool } from "./reads.js";
import { endpointName, type S3Settings } from "./settings.js";
import type { WireTarget } from "./wire.js";

export type S3Sdk = typeof import("@aws-sdk/client-s3");

export interface S3Connection {
  /**
   * The AWS SDK and its client, loaded on first use: transfers go without it
   * (reads.ts, wire.ts, multipart.ts); the preflight write check and a
   * publish's catalog index use it.
   */
  sdk(): Promise<{ readonly sdk: S3Sdk; readonly client: S3Client }>;
  readonly settings: S3Settings;
  /** The endpoint as messages name it. */
  readonly endpoint: string;
  readonly credentialSource: string;
  /** Requests on the wire at once, across every transfer of this connection. */
  readonly requests: Limiter;
  /** What object GETs and PUTs need to go without the SDK (see wire.ts). */
  readonly wire: WireTarget;
}

/** Requests in flight per endpoint; sockets are kept above it so none waits for one. */
export const MAX_REQUESTS = 32;

/** Both node agents (ours and the SDK's): keep-alive, with the headroom MAX_REQUESTS speaks of. */
const AGENT = { keepAlive: true, maxSockets: MAX_REQUESTS * 2 };

function httpsAgent(ca: string[] | undefined): HttpsAgent {
  return new HttpsAgent({ ...AGENT, ...(ca ? { ca } : {}) });
}

const connections = new Map<string, Promise<S3Connection>>();

/**
 * One connection per endpoint settings, made on first use. Its SDK client is
 * made when a request first needs it: reads go without it.
 */
export function connect(settings: S3Settings, env: NodeJS.ProcessEnv = process.env): Promise<S3Connection> {
  // what picks the credentials is part of the key: a changed environment gets its own client
  const key = JSON.stringify([settings, env.AWS_CA_BUNDLE, env.AWS_ACCESS_KEY_ID, env.AWS_PROFILE, env.AWS_SHARED_CREDENTIALS_FILE, env.AWS_CONFIG_FILE, env.AVES2_CLIENT_CONFIG, env.HOME]);
  let c = connections.get(key);
  if (!c) {
    c = open(settings, env);
    connections.set(key, c);
    c.catch(() => connections.delete(key));
  }
  return c;
}

/**
 * The certificate authorities an https endpoint may chain to: node's own and,
 * as aws-cli reads it, a PEM bundle named by AWS_CA_BUNDLE (a private CA in
 * front of MinIO or Ceph). Undefined: node's defaults.
 */
function trustedCas(settings: S3Settings, env: NodeJS.ProcessEnv): string[] | undefined {
  const file = env.AWS_CA_BUNDLE;
  if (!file || !endpointName(settings).startsWith("https:")) return undefined;
  try {
    return [...rootCertificates, readFileSync(file, "utf8")];
  } catch (e) {
    throw UserError.of(`AWS_CA_BUNDLE names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`, {
      path: "AWS_CA_BUNDLE",
      hint: "point it at a PEM file of CA certificates, or unset it",
    });
  }
}

async function open(settings: S3Settings, env: NodeJS.ProcessEnv): Promise<S3Connection> {
  const creds = await findCredentials(settings, env);
  const ca = trustedCas(settings, env);
  const wireAgents = { http: new HttpAgent(AGENT), https: httpsAgent(ca) };
  let sdk: ReturnType<S3Connection["sdk"]> | undefined;
  return {
    sdk: () => (sdk ??= sdkClient(settings, creds.provider, ca)),
    settings,
    endpoint: endpointName(settings),
    credentialSource: creds.source,
    requests: new Limiter(MAX_REQUESTS),
    wire: { settings, agents: wireAgents, sockets: new SocketPool(ca), credentials: creds.provider },
  };
}

async function sdkClient(settings: S3Settings, credentials: CredentialChoice["provider"], ca: string[] | undefined): Promise<{ sdk: S3Sdk; client: S3Client }> {
  // the SDK's documented switch for its "use Node 22" notice: users of this CLI cannot act on it
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const sdk = await import("@aws-sdk/client-s3");
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, trace() {} };
  const client = new sdk.S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.pathStyle,
    credentials,
    // retries are ours (storage/retry.ts): per request, with a budget that rides out a restart
    maxAttempts: 1,
    // Content-MD5 and ETags check integrity everywhere; the newer CRC trailers are not understood by many S3-compatible servers
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    logger: quiet,
    requestHandler: {
      httpAgent: new HttpAgent(AGENT),
      httpsAgent: httpsAgent(ca),
      connectionTimeout: 5_000,
      requestTimeout: 120_000,
      logger: quiet,
    },
  });
  return { sdk, client };
}
