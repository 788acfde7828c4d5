import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { crc32 } from "node:zlib";
import { type Failure, failure, isFailure } from "./s3-errors.js";
import { type Authn, decodeChunked, sha256 } from "./sigv4-verifier.js";
import { header, readAll } from "./wire-format.js";

/** A request's body: whole when it had to be read to be checked, else the stream itself. */
export type Body = { data?: Buffer; stream?: IncomingMessage };

const CHECKSUMS: Record<string, { name: string; of: (b: Buffer) => string }> = {
  "x-amz-checksum-crc32": {
    name: "CRC32",
    of: (b) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(b) >>> 0);
      return out.toString("base64");
    },
  },
  "x-amz-checksum-sha1": { name: "SHA1", of: (b) => createHash("sha1").update(b).digest("base64") },
  "x-amz-checksum-sha256": { name: "SHA256", of: (b) => createHash("sha256").update(b).digest("base64") },
};

/**
 * The request's body, checked as the payload mode says: streamed on when it
 * is unsigned and nothing else sums it, else read whole and checked.
 * `checksums`: whether x-amz-checksum-* are checked too (callers ask it for object data only).
 */
export async function readBody(req: IncomingMessage, a: Authn, checksums: boolean): Promise<Body | Failure> {
  const hex = /^[0-9a-fA-F]{64}$/.test(a.payloadHash);
  const chunked = a.payloadHash.startsWith("STREAMING-");
  const summed = header(req, "content-md5") !== undefined || (checksums && Object.keys(req.headers).some((h) => h in CHECKSUMS));
  const hasBody = header(req, "transfer-encoding") !== undefined || Number(header(req, "content-length") ?? 0) > 0;
  if (!hex && !chunked && !summed && hasBody) return { stream: req };
  let data = await readAll(req);
  if (hex && sha256(data) !== a.payloadHash.toLowerCase())
    return failure(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: a.payloadHash,
      S3ComputedContentSHA256: sha256(data),
    });
  const sums = new Map<string, string>();
  for (const h of Object.keys(CHECKSUMS)) {
    const v = header(req, h);
    if (v !== undefined) sums.set(h, v);
  }
  if (chunked) {
    const decoded = decodeChunked(data, a);
    if (isFailure(decoded)) return decoded;
    data = decoded.data;
    const declared = header(req, "x-amz-decoded-content-length");
    if (declared !== undefined && Number(declared) !== data.length) return failure(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header");
    for (const [k, v] of decoded.trailers) if (k in CHECKSUMS) sums.set(k, v);
  }
  const md5 = header(req, "content-md5");
  if (md5 !== undefined) {
    const given = Buffer.from(md5, "base64");
    if (given.length !== 16) return failure(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", { "Content-MD5": md5 });
    const actual = createHash("md5").update(data).digest();
    if (!actual.equals(given))
      return failure(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", { ExpectedDigest: given.toString("hex"), CalculatedDigest: actual.toString("base64") });
  }
  if (checksums)
    for (const [h, v] of sums) {
      const c = CHECKSUMS[h]!;
      if (c.of(data) !== v) return failure(400, "BadDigest", `The ${c.name} you specified did not match the calculated checksum.`);
    }
  return { data };
}
