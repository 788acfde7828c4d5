import type { Dispatcher } from "undici";
import { encodeRfc3986 as encode, type RequestSigner } from "./signer.js";
import type { S3Settings } from "./settings.js";
import { xmlTag } from "./xml.js";

/**
 * Every S3 request goes here: signed with SigV4 (signer.ts),
 * sent on undici's keep-alive pools (dispatcher.ts), its body handed to the
 * caller piece by piece as it arrives (no stream in between), its answer's
 * framing checked by undici's strict parser (llhttp).
 *
 * What a real server may answer besides the object is handled once, here:
 * a bucket in another region (301 with x-amz-bucket-region, or 400
 * AuthorizationHeaderMalformed naming the region) is asked again in its
 * region, which is remembered for the connection; a clock the server finds
 * skewed (RequestTimeTooSkewed) is corrected by the server's Date and the
 * request signed again. Each is tried once; what persists is an error.
 *
 * Failures are thrown in the SDK's shape (`name` = the S3 error code,
 * `$metadata.httpStatusCode`), which retry.ts and errors.ts read.
 */

export interface S3Call {
  readonly method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  readonly bucket: string;
  /** "" for the bucket itself (a listing). */
  readonly key: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface S3Answer {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
}

export interface BodySink {
  /** The answer is a success and its body follows; throwing here drops the body. */
  head?(answer: S3Answer): void;
  /** The next piece of the body, to be used before this returns. */
  data(piece: Buffer): void;
}

export type S3LikeError = Error & {
  $metadata: { httpStatusCode: number };
  $fault: "client" | "server";
  Code?: string;
  /** The answer's headers (a redirect's region, a skewed server's date). */
  $headers?: Readonly<Record<string, string>>;
  /** The answer's body, at most 16 KiB of it. */
  $body?: string;
};

/** What is kept of an error answer's body (its XML names the error). */
const MAX_ERROR_BODY = 16 * 1024;


/** `?k=v&...`, encoded as the signature's canonical query is, or "" for none. */
export function queryString(query: Readonly<Record<string, string>>): string {
  const keys = Object.keys(query);
  return keys.length ? `?${keys.map((k) => `${encode(k)}=${encode(query[k]!)}`).join("&")}` : "";
}

/** Where a bucket's objects are: path-style (`host/bucket/key`) or virtual-hosted (`bucket.host/key`). */
export function objectUrl(settings: S3Settings, bucket: string, key: string, region = settings.region): { url: URL; path: string } {
  const url = new URL(settings.endpoint ?? `https://s3.${region}.amazonaws.com`);
  const base = url.pathname.replace(/\/+$/, "");
  const keyPath = key.split("/").map(encode).join("/");
  // buckets with dots cannot be hostnames under a TLS wildcard certificate: those go path-style, as the SDK does
  if (settings.pathStyle || bucket.includes(".")) return { url, path: `${base}/${encode(bucket)}/${keyPath}` };
  url.hostname = `${bucket}.${url.hostname}`;
  return { url, path: `${base}/${keyPath}` };
}

export function s3Error(status: number, body: string, headers: Readonly<Record<string, string>> = {}): S3LikeError {
  const code = xmlTag(body, "Code") ?? (status === 404 ? "NotFound" : status === 403 ? "AccessDenied" : status === 301 ? "PermanentRedirect" : status >= 500 ? "InternalError" : `Http${status}`);
  const e = new Error(xmlTag(body, "Message") ?? `${status} ${code}`) as S3LikeError;
  e.name = code;
  e.Code = code;
  e.$metadata = { httpStatusCode: status };
  e.$fault = status >= 500 ? "server" : "client";
  e.$headers = headers;
  e.$body = body;
  return e;
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/**
 * A header value with a line break would end the header early and let the
 * rest be read as headers of their own: refused before anything is sent.
 */
function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(value) || /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(name)) {
      throw Object.assign(new Error(`the request header ${JSON.stringify(name)} has a line break or control character in it`), { name: "InvalidHeader" });
    }
  }
}

/** The region a refusal says the bucket is in, when it says so. */
function regionOfRedirect(e: S3LikeError): string | undefined {
  const status = e.$metadata.httpStatusCode;
  if (status !== 301 && status !== 400 && status !== 307) return undefined;
  const region = e.$headers?.["x-amz-bucket-region"] ?? (e.name === "AuthorizationHeaderMalformed" ? xmlTag(e.$body ?? "", "Region") : undefined);
  return region && /^[a-z0-9-]+$/.test(region) ? region : undefined;
}

/** How far the server's clock is from this machine's, by its answer to a skewed request. */
function serverClockOffset(e: S3LikeError): number | undefined {
  const said = e.$headers?.date ?? xmlTag(e.$body ?? "", "ServerTime");
  const t = said ? new Date(said).getTime() : Number.NaN;
  return Number.isNaN(t) ? undefined : t - Date.now();
}

/** Errors of requests that failed before any answer came (see S3Transport.send). */
const unanswered = new WeakSet<object>();
const STALE = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/** Further off than S3 allows (15 minutes). */
const SKEW_LIMIT_MS = 15 * 60_000;

/**
 * A refusal for the clock: said in the body, or, for a HEAD (no body), a 403
 * from a server whose Date is further off this machine's than S3 allows.
 */
function isSkewed(e: S3LikeError): boolean {
  if (e.name === "RequestTimeTooSkewed") return true;
  const offset = serverClockOffset(e);
  return e.$metadata.httpStatusCode === 403 && !e.$body && offset !== undefined && Math.abs(offset) > SKEW_LIMIT_MS;
}

export class S3Transport {
  /** Buckets found in another region than the settings' (by a redirect). */
  private readonly regions = new Map<string, string>();

  constructor(
    readonly settings: S3Settings,
    private readonly dispatcher: Dispatcher,
    readonly signer: RequestSigner,
  ) {}

  regionOf(bucket: string): string {
    return this.regions.get(bucket) ?? this.settings.region;
  }

  /**
   * Sends one request. Resolves with the answer once its whole body went to
   * `sink`, or, without a sink, with the body gathered; rejects with an
   * S3-shaped error for an error answer, or with undici's error (a `code`
   * retry.ts knows) when the connection or the answer's framing failed.
   */
  async send(call: S3Call, sink?: BodySink): Promise<S3Answer & { body: Buffer }> {
    let redirected = false;
    let corrected = false;
    let resent = false;
    for (;;) {
      try {
        return await this.once(call, sink);
      } catch (e) {
        const err = e as S3LikeError;
        // a kept-alive connection the server closed just as it was taken: the request goes again at once, once
        if (unanswered.has(err) && !resent && STALE.has((err as { code?: string }).code ?? "")) {
          resent = true;
          continue;
        }
        if (!err.$metadata) throw e;
        const region = regionOfRedirect(err);
        if (region && !redirected && region !== this.regionOf(call.bucket)) {
          redirected = true;
          this.regions.set(call.bucket, region);
          continue;
        }
        if (isSkewed(err)) {
          const offset = serverClockOffset(err);
          if (!corrected && offset !== undefined) {
            corrected = true;
            this.signer.clockOffsetMs = offset;
            continue;
          }
          throw Object.assign(err, { name: "RequestTimeTooSkewed", clockOffsetMs: offset ?? this.signer.clockOffsetMs });
        }
        throw e;
      }
    }
  }

  private async once(call: S3Call, sink: BodySink | undefined): Promise<S3Answer & { body: Buffer }> {
    const region = this.regionOf(call.bucket);
    const { url, path } = objectUrl(this.settings, call.bucket, call.key, region);
    const query = call.query ?? {};
    const given = call.headers ?? {};
    checkHeaders(given);
    const headers = await this.signer.sign({ method: call.method, host: url.host, path, query, headers: given }, region);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      let answer: S3Answer | undefined;
      let ok = false;
      const pieces: Buffer[] = [];
      let kept = 0;
      this.dispatcher.dispatch(
        { origin: url.origin, path: `${path}${queryString(query)}`, method: call.method, headers, ...(call.body ? { body: call.body } : {}) },
        {
          onRequestStart() {},
          onResponseStart(controller, statusCode, raw) {
            answer = { status: statusCode, headers: headerRecord(raw as Record<string, string | string[] | undefined>) };
            ok = statusCode >= 200 && statusCode < 300;
            if (!ok || !sink?.head) return;
            try {
              sink.head(answer);
            } catch (e) {
              fail(e);
              controller.abort(e as Error);
            }
          },
          onResponseData(controller, chunk) {
            if (settled) return;
            if (ok && sink) {
              try {
                sink.data(chunk);
              } catch (e) {
                fail(e);
                controller.abort(e as Error);
              }
            } else if (ok || kept < MAX_ERROR_BODY) {
              pieces.push(chunk);
              kept += chunk.length;
            }
          },
          onResponseEnd() {
            if (settled || !answer) return;
            settled = true;
            const body = Buffer.concat(pieces);
            if (ok) resolve({ ...answer, body });
            else reject(s3Error(answer.status, body.subarray(0, MAX_ERROR_BODY).toString("utf8"), answer.headers));
          },
          onResponseError(_controller, e) {
            if (!answer) unanswered.add(e);
            fail(e);
          },
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
