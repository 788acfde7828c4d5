import { createHash, createHmac } from "node:crypto";
import type { S3Credentials } from "./credentials.js";

/**
 * SigV4 for S3 requests, with the payload unsigned (Content-MD5 covers an
 * upload's body). Written here rather than taken from @smithy/signature-v4:
 * that signer loads @smithy/core's serde with it, 23 ms of every CLI command
 * that touches S3 (`storage ls` takes 170 in all; `pnpm bench staging` shows
 * both). It is checked against smithy's on randomized requests
 * (signer.test.ts), against AWS's documented example, and by the S3 fidelity
 * test server's own verifier on every request of the real-server tests.
 */

export interface Signable {
  readonly method: string;
  /** host[:port], as the Host header carries it. */
  readonly host: string;
  /** Already encoded, as it goes on the wire: S3 signs the path as sent, not encoded again. */
  readonly path: string;
  /** Not encoded. */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
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

/** The headers to send for `r` signed at `now`: the given ones plus host, date, payload hash, token and authorization. */
export function signRequest(r: Signable, creds: S3Credentials, region: string, now: Date, payloadHash = "UNSIGNED-PAYLOAD"): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) all[k.toLowerCase()] = v;
  Object.assign(all, { host: r.host, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash }, creds.sessionToken ? { "x-amz-security-token": creds.sessionToken } : {});
  const names = Object.keys(all).sort();
  const canonicalQuery = Object.entries(r.query)
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const signed = names.join(";");
  const canonicalHeaders = names.map((n) => `${n}:${all[n]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const canonical = [r.method, r.path, canonicalQuery, canonicalHeaders, signed, payloadHash].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const signature = createHmac("sha256", signingKey(creds.secretAccessKey, date, region)).update(toSign).digest("hex");
  return { ...all, authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}` };
}

/**
 * Signs with the connection's credentials, by a clock that can be set off
 * the machine's by what a server said its time is (RequestTimeTooSkewed).
 */
export class RequestSigner {
  /** Milliseconds to add to this machine's clock to get the server's. */
  clockOffsetMs = 0;

  constructor(private readonly credentials: () => Promise<S3Credentials>) {}

  async sign(r: Signable, region: string): Promise<Record<string, string>> {
    return signRequest(r, await this.credentials(), region, new Date(Date.now() + this.clockOffsetMs));
  }
}
