import { createHash, createHmac } from "node:crypto";
import { type Agent as HttpAgent, type IncomingMessage, request as httpRequest } from "node:http";
import { type Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { S3Credentials } from "./credentials.js";
import type { SocketPool } from "./reads.js";
import type { S3Settings } from "./settings.js";

/**
 * The object requests a transfer makes thousands of times, signed with SigV4
 * here: PUTs of an object or a part (and a multipart upload's start, end and
 * abort, multipart.ts) go on node's own keep-alive agents, GETs
 * of an object or a range on raw sockets (reads.ts). The AWS SDK spends
 * about a millisecond of CPU on each request in its middleware (endpoint
 * rules, schemas, XML); for 16 KB files that, not the network, was the limit.
 * The SDK is left with the preflight write check and a publish's index.
 *
 * Failures are thrown in the SDK's shape (`name` = the S3 error code,
 * `$metadata.httpStatusCode`), so retry.ts and errors.ts treat both alike.
 */

export interface WireAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

export interface WireRequest {
  readonly method: "PUT" | "POST" | "DELETE";
  readonly bucket: string;
  readonly key: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface WireTarget {
  readonly settings: S3Settings;
  readonly agents: WireAgents;
  /** Where object GETs go (see reads.ts). */
  readonly sockets: SocketPool;
  readonly credentials: () => Promise<S3Credentials>;
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `?k=v&...`, encoded as the signature's canonical query is, or "" for none. */
export function queryString(query: Readonly<Record<string, string>>): string {
  const keys = Object.keys(query);
  return keys.length ? `?${keys.map((k) => `${encode(k)}=${encode(query[k]!)}`).join("&")}` : "";
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

const signingKeys = new Map<string, Buffer>();

/** The derived key changes once a day per secret and region: computed once, not per request. */
function signingKey(secret: string, date: string, region: string): Buffer {
  const id = `${createHash("sha256").update(secret).digest("hex")}/${date}/${region}`;
  let k = signingKeys.get(id);
  if (!k) {
    k = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), "s3"), "aws4_request");
    if (signingKeys.size > 16) signingKeys.clear();
    signingKeys.set(id, k);
  }
  return k;
}

/** Where a bucket's objects are: path-style (`host/bucket/key`) or virtual-hosted (`bucket.host/key`). */
export function objectUrl(settings: S3Settings, bucket: string, key: string): { url: URL; path: string } {
  const url = new URL(settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`);
  const base = url.pathname.replace(/\/+$/, "");
  const keyPath = key.split("/").map(encode).join("/");
  // buckets with dots cannot be hostnames under a TLS wildcard certificate: those go path-style, as the SDK does
  if (settings.pathStyle || bucket.includes(".")) return { url, path: `${base}/${encode(bucket)}/${keyPath}` };
  url.hostname = `${bucket}.${url.hostname}`;
  return { url, path: `${base}/${keyPath}` };
}

/** Signs a request with AWS Signature Version 4 (headers, unsigned payload: Content-MD5, signed, covers the body). */
export function sign(
  method: string,
  host: string,
  path: string,
  query: Readonly<Record<string, string>>,
  headers: Record<string, string>,
  creds: S3Credentials,
  region: string,
  now = new Date(),
  payloadHash = "UNSIGNED-PAYLOAD",
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = {
    ...headers,
    host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": payloadHash,
    ...(creds.sessionToken ? { "x-amz-security-token": creds.sessionToken } : {}),
  };
  const names = Object.keys(all)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim().replace(/\s+/g, " ")]));
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${encode(k)}=${encode(query[k]!)}`)
    .join("&");
  const signed = names.join(";");
  const canonical = [method, path, canonicalQuery, names.map((n) => `${n}:${lower[n]}\n`).join(""), signed, payloadHash].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const signature = createHmac("sha256", signingKey(creds.secretAccessKey, date, region)).update(toSign).digest("hex");
  return { ...all, authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}` };
}

export type S3LikeError = Error & { $metadata: { httpStatusCode: number }; $fault: "client" | "server"; Code?: string };

export function s3Error(status: number, body: string): S3LikeError {
  const tag = (t: string) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(body)?.[1];
  const code = tag("Code") ?? (status === 404 ? "NotFound" : status === 403 ? "AccessDenied" : status >= 500 ? "InternalError" : `Http${status}`);
  const e = new Error(tag("Message") ?? `${status} ${code}`) as S3LikeError;
  e.name = code;
  e.Code = code;
  e.$metadata = { httpStatusCode: status };
  e.$fault = status >= 500 ? "server" : "client";
  return e;
}

/** The start of a response's body (an XML document, at most 16 KiB of it). */
export async function responseText(res: IncomingMessage): Promise<string> {
  let s = "";
  for await (const c of res) if (s.length < 16_384) s += String(c);
  return s;
}

/** Sockets idle this long are given up (the request is retried). */
const IDLE_MS = 120_000;

/**
 * Sends one object request and resolves with the response once its status is
 * a success (its body still to be read), or rejects with an S3-shaped error.
 */
export async function objectRequest(target: WireTarget, r: WireRequest): Promise<IncomingMessage> {
  const { url, path } = objectUrl(target.settings, r.bucket, r.key);
  const query = r.query ?? {};
  const qs = queryString(query);
  const headers: Record<string, string> = { ...r.headers, ...(r.body ? { "content-length": String(r.body.length) } : {}) };
  const signed = sign(r.method, url.host, path, query, headers, await target.credentials(), target.settings.region);
  const https = url.protocol === "https:";
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, method: r.method, path: `${path}${qs}`, headers: signed, agent: https ? target.agents.https : target.agents.http },
      resolve,
    );
    req.setTimeout(IDLE_MS, () => req.destroy(Object.assign(new Error(`no answer in ${IDLE_MS / 1000} s`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(r.body);
  });
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return res;
  throw s3Error(status, await responseText(res).catch(() => ""));
}

/** A response header's value, when it has one. */
export function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
