import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { UserError } from "../errors.js";
import { Limiter } from "../pool.js";
import { findCredentials } from "./credentials.js";
import { endpointDispatcher, MAX_REQUESTS, proxyFor } from "./dispatcher.js";
import { endpointName, type S3Settings } from "./settings.js";
import { RequestSigner } from "./signer.js";
import { objectUrl, S3Transport } from "./transport.js";

export { MAX_REQUESTS };

export interface S3Connection {
  readonly settings: S3Settings;
  /** The endpoint as messages name it. */
  readonly endpoint: string;
  readonly credentialSource: string;
  /** The proxy every request goes through, for messages (no credentials), when one surely is. */
  readonly proxy?: string;
  /** Requests on the wire at once, across every transfer of this connection. */
  readonly requests: Limiter;
  readonly transport: S3Transport;
}

const connections = new Map<string, Promise<S3Connection>>();

/** What picks the credentials, the trust and the proxy: a changed environment gets its own connection. */
const ENV_KEYS = [
  "AWS_CA_BUNDLE",
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AVES2_CLIENT_CONFIG",
  "HOME",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
];

/** One connection per endpoint settings and environment, made on first use. */
export function connect(settings: S3Settings, env: NodeJS.ProcessEnv = process.env): Promise<S3Connection> {
  const key = JSON.stringify([settings, ...ENV_KEYS.map((k) => env[k])]);
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
  const url = objectUrl(settings, "bucket", "").url;
  const dispatcher = endpointDispatcher(url, env, trustedCas(settings, env));
  const proxy = proxyFor(url, env);
  // NO_PROXY may exempt the endpoint (undici decides): a proxy is only named when there is none
  const named = proxy && !(env.no_proxy ?? env.NO_PROXY) ? withoutCredentials(proxy) : undefined;
  return {
    settings,
    endpoint: endpointName(settings),
    credentialSource: creds.source,
    ...(named ? { proxy: named } : {}),
    requests: new Limiter(MAX_REQUESTS),
    transport: new S3Transport(settings, dispatcher, new RequestSigner(creds.provider)),
  };
}

/** A proxy URL as messages may show it: user and password left out. */
function withoutCredentials(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "the proxy set in the environment";
  }
}
