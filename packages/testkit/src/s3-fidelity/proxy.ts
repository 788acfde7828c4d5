import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Clock } from "./clock.js";
import { listObjects } from "./listings.js";
import { completeUpload, createUpload, uploadPart } from "./multipart-uploads.js";
import { ObjectLayouts } from "./object-layouts.js";
import { readObject } from "./object-reads.js";
import { deleteObject, deleteObjects, putObject } from "./object-writes.js";
import type { ProxyState } from "./proxy-state.js";
import { readBody } from "./request-body.js";
import { relay, responseHeaders } from "./responses.js";
import { failure, isFailure, sendError } from "./s3-errors.js";
import { S3rverClient } from "./s3rver-client.js";
import { authenticate, type Verifier } from "./sigv4-verifier.js";
import { buildQuery, parseQuery } from "./wire-format.js";

/**
 * A TEST DOUBLE for a real S3 server (AWS S3, MinIO, Ceph RGW, Aliyun OSS),
 * built as an HTTP proxy in front of s3rver (the S3 test server, startS3Server):
 * s3rver stores and serves the objects; this proxy adds what real servers do
 * and s3rver does not, so a client is judged against real behaviour:
 *
 * - SigV4: every request must be signed (Authorization header or a presigned
 *   query) with a key of `credentials`; the signature is verified here from
 *   scratch (canonical request, string to sign, derived key) and a bad one gets
 *   403 SignatureDoesNotMatch, an unknown key 403 InvalidAccessKeyId, no
 *   signature 403 AccessDenied, a signed sha256 that is not the body's 400
 *   XAmzContentSHA256Mismatch. aws-chunked bodies (STREAMING-…) are decoded,
 *   their chunk signatures and trailing checksums checked. Content-MD5 and
 *   x-amz-checksum-crc32/sha1/sha256 are checked (400 BadDigest; s3rver ignores them).
 * - A clock of its own (`setClockOffset`): requests more than 15 minutes off
 *   get 403 RequestTimeTooSkewed, and every response's Date is that clock's.
 * - Buckets in other regions (`setBucketRegion`): 301 PermanentRedirect with
 *   `x-amz-bucket-region`, as AWS answers a request signed for another region.
 * - Old servers that ignore `list-type=2` (`ignoreListV2`) and a page size
 *   below 1000 (`setMaxKeys`), so a few dozen objects span pages.
 * - Real ETags: objects completed from a multipart upload (through the proxy, or
 *   `putMultipartObject`) have the `"<md5 of the parts' md5s>-N"` ETag, and
 *   `?partNumber=k` reads part k (206, x-amz-mp-parts-count); SSE-KMS objects
 *   (`putKmsObject`, a PUT with `x-amz-server-side-encryption: aws:kms`, or a
 *   bucket with `setBucketEncryption`) have ETags that are not the MD5 of the
 *   data. Completing an upload checks part order, part ETags and the 5 MiB
 *   minimum part size (InvalidPartOrder, InvalidPart, EntityTooSmall).
 * - Ranges as HTTP means them (s3rver answers `bytes=0-0` with the whole object
 *   and `bytes=-N` with the first N+1 bytes), 416 InvalidRange, and the
 *   conditional headers If-Match, If-None-Match, If-(Un)Modified-Since on
 *   reads, If-None-Match: * and If-Match on writes (s3rver ignores them all).
 *
 * Requests are path-style (`/bucket/key`). What reaches s3rver is re-signed as
 * its own account (s3rver checks no V4 signature, only the key and the time).
 */

export interface S3FidelityProxyOptions {
  /** Access key id → secret key accepted (default: s3rver's `S3RVER`/`S3RVER`). */
  readonly credentials?: Readonly<Record<string, string>>;
  /**
   * Access key id → the session token requests with that key must carry in
   * x-amz-security-token (temporary credentials); keys not listed may send any
   * token or none.
   */
  readonly sessionTokens?: Readonly<Record<string, string>>;
  /** The smallest size of every part but the last when an upload completes (default 5 MiB, as AWS). */
  readonly minPartSize?: number;
}

export interface S3FidelityProxy {
  /** The endpoint to give the client, `http://127.0.0.1:<port>` (path-style). */
  readonly url: string;
  /** Same as `url`. */
  readonly endpoint: string;
  /** Every request received, as "METHOD /path?query" exactly as sent. */
  readonly seen: string[];
  /** The proxy's clock = the real one + ms; checks x-amz-date and is sent as `Date`. */
  setClockOffset(ms: number): void;
  /** The proxy's notion of now. */
  now(): Date;
  /** The bucket lives in this region: requests signed for another get 301 (undefined: any region, the default). */
  setBucketRegion(bucket: string, region: string | undefined): void;
  /** Answer ListObjectsV2 requests as V1 listings (Marker/NextMarker, no continuation token), as some old servers do. */
  ignoreListV2(on: boolean): void;
  /** Listings return at most n keys a page, whatever max-keys asks (default 1000, as real servers). */
  setMaxKeys(n: number): void;
  /** Default encryption of a bucket: objects written to it from now on are SSE-KMS (undefined: none). */
  setBucketEncryption(bucket: string, sse: "aws:kms" | undefined): void;
  /**
   * Stores `body` as if uploaded in parts of `partSize` (the last one shorter):
   * its ETag is then the multipart `"<hex>-N"` and `?partNumber=k` reads part k.
   * Resolves with that ETag (quoted).
   */
  putMultipartObject(bucket: string, key: string, body: Buffer, partSize: number, opts?: { kms?: boolean }): Promise<string>;
  /** Stores `body` as an SSE-KMS object: its ETag (resolved, quoted) is 32 hex digits that are not its MD5. */
  putKmsObject(bucket: string, key: string, body: Buffer): Promise<string>;
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Sub-resources that make a bucket GET something other than a listing. */
const BUCKET_SUBRESOURCES = new Set([
  "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering", "inventory", "lifecycle", "location", "logging",
  "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
  "requestPayment", "tagging", "uploads", "versioning", "versions", "website",
]);
const OBJECT_SUBRESOURCES = new Set(["acl", "attributes", "legal-hold", "restore", "retention", "select", "tagging", "torrent", "uploadId", "uploads"]);

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export async function startS3FidelityProxy(target: string, opts: S3FidelityProxyOptions = {}): Promise<S3FidelityProxy> {
  const state: ProxyState = {
    clock: new Clock(),
    s3rver: new S3rverClient(new URL(target)),
    layouts: new ObjectLayouts(),
    encryption: new Map(),
    minPartSize: opts.minPartSize ?? 5 * MiB,
    listing: { v1Only: false, maxKeys: 1000 },
  };
  const { clock, s3rver, layouts } = state;
  const verifier: Verifier = { credentials: opts.credentials ?? { S3RVER: "S3RVER" }, sessionTokens: opts.sessionTokens, now: () => clock.now() };
  const seen: string[] = [];
  const regions = new Map<string, string>();

  const handle = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const rawUrl = req.url ?? "/";
    seen.push(`${req.method} ${rawUrl}`);
    const qi = rawUrl.indexOf("?");
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const rawQuery = qi < 0 ? "" : rawUrl.slice(qi + 1);
    const a = authenticate(verifier, req, rawPath, rawQuery);
    if (isFailure(a)) return sendError(clock, req, res, a);

    const segments = rawPath.split("/").slice(1);
    const bucket = decodeSegment(segments[0] ?? "");
    const key = segments.length > 1 ? decodeSegment(segments.slice(1).join("/")) : "";
    const region = bucket ? regions.get(bucket) : undefined;
    if (region && region !== a.region)
      return sendError(
        clock,
        req,
        res,
        failure(
          301,
          "PermanentRedirect",
          "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
          { Endpoint: `${bucket}.s3.${region}.amazonaws.com`, Bucket: bucket },
          { "x-amz-bucket-region": region },
        ),
      );

    // as S3, a client that waits for 100 Continue hears of a refusal before it sends the body
    if (expectsContinue) res.writeContinue();
    const params = parseQuery(rawQuery);
    const q = new Map(params);
    // what reaches s3rver carries no query signature
    const upQuery = a.presigned ? buildQuery(params.filter(([k]) => !/^x-amz-/i.test(k))) : rawQuery;
    const method = req.method ?? "GET";
    if (bucket && key) {
      const sub = [...q.keys()].some((k) => OBJECT_SUBRESOURCES.has(k));
      if (method === "PUT" && q.has("uploadId") && q.has("partNumber")) return uploadPart(state, req, res, a, q, rawPath, upQuery);
      if (method === "PUT" && !sub) return putObject(state, req, res, a, bucket, key, rawPath, upQuery);
      if (method === "POST" && q.has("uploads")) return createUpload(state, req, res, a, bucket, key, rawPath, upQuery);
      if (method === "POST" && q.has("uploadId")) return completeUpload(state, req, res, a, q, bucket, key, rawPath, upQuery);
      if ((method === "GET" || method === "HEAD") && !sub) return readObject(state, req, res, q, bucket, key, rawPath, upQuery);
      if (method === "DELETE" && (!sub || q.has("uploadId"))) return deleteObject(state, req, res, a, q, bucket, key, rawPath, upQuery);
    }
    if (bucket && !key && method === "GET" && ![...q.keys()].some((k) => BUCKET_SUBRESOURCES.has(k))) return listObjects(state, req, res, params, bucket, rawPath);
    if (bucket && !key && method === "POST" && q.has("delete")) return deleteObjects(state, req, res, a, bucket, rawPath, upQuery);
    if (bucket && !key && method === "DELETE" && !q.size) layouts.forgetBucket(bucket);
    // the rest s3rver answers itself, once the body is checked
    const b = await readBody(req, a, false);
    if (isFailure(b)) return sendError(clock, req, res, b);
    const up = await s3rver.request(method, rawPath, upQuery, s3rver.headers(req, b.data ? ["content-length"] : []), b.data ?? b.stream);
    relay(res, up, up.statusCode ?? 502, responseHeaders(clock, up));
  };

  const serve = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, expectsContinue).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      sendError(clock, req, res, failure(500, "InternalError", `the test proxy failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  };
  const server = createServer(serve(false));
  server.on("checkContinue", serve(true));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  return {
    url,
    endpoint: url,
    seen,
    setClockOffset: (ms) => {
      clock.offset = ms;
    },
    now: () => clock.now(),
    setBucketRegion: (bucket, region) => {
      if (region) regions.set(bucket, region);
      else regions.delete(bucket);
    },
    ignoreListV2: (on) => {
      state.listing.v1Only = on;
    },
    setMaxKeys: (n) => {
      state.listing.maxKeys = n;
    },
    setBucketEncryption: (bucket, sse) => {
      if (sse) state.encryption.set(bucket, sse);
      else state.encryption.delete(bucket);
    },
    putMultipartObject: async (bucket, key, data, partSize, o = {}) => {
      if (!(partSize > 0)) throw new Error("partSize must be positive");
      const upstreamEtag = await s3rver.put(bucket, key, data);
      return layouts.recordMultipart(bucket, key, upstreamEtag, data, partSize, o.kms);
    },
    putKmsObject: async (bucket, key, data) => layouts.recordKms(bucket, key, await s3rver.put(bucket, key, data), data),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        s3rver.destroy();
        server.close(() => r());
      }),
  };
}
