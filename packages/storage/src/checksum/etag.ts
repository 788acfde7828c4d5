import { createHash } from "node:crypto";

/**
 * S3 ETags are the MD5 of the object for a single PUT, and
 * `md5(md5(part1) ‖ md5(part2) ‖ ...)-N` for a multipart upload (AWS, Ceph,
 * MinIO; some servers, s3rver among them, return the plain MD5 for both).
 * Objects are checked against whichever form the server gave.
 */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "").toLowerCase();
}

export function isPlainMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}

/** `<hex>-N` → N, else undefined. */
export function multipartCount(etag: string): number | undefined {
  const m = /^[0-9a-f]{32}-(\d+)$/.exec(etag);
  return m ? Number(m[1]) : undefined;
}

export function compositeEtag(partMd5s: readonly Buffer[]): string {
  const h = createHash("md5");
  for (const p of partMd5s) h.update(p);
  return `${h.digest("hex")}-${partMd5s.length}`;
}

export interface ObjectFacts {
  readonly size: number;
  readonly etag: string;
  /** Our own uploads carry the whole MD5 in `x-amz-meta-md5`. */
  readonly md5?: string;
  /** Encrypted objects (SSE-KMS, SSE-C) have ETags that are not MD5s. */
  readonly opaqueEtag?: boolean;
}

/**
 * Whether bytes with this MD5 (and these part MD5s of `partSize`) are the
 * object: `true` checked, `false` a mismatch, `undefined` when the ETag says
 * nothing we can check (then only the size was): an encrypted object, or a
 * multipart one whose part size the server did not tell. A part size is
 * never guessed: uploaders use 5, 8, 15, 16 MiB and more, and a wrong guess
 * would call a good object corrupt.
 */
export function matchesObject(obj: ObjectFacts, got: { md5?: string; parts?: readonly Buffer[]; partSize?: number }): boolean | undefined {
  if (obj.md5 && got.md5) return obj.md5 === got.md5;
  const etag = normalizeEtag(obj.etag);
  if (obj.opaqueEtag) return undefined;
  if (isPlainMd5(etag)) return got.md5 === undefined ? undefined : got.md5 === etag;
  const n = multipartCount(etag);
  if (n !== undefined && got.parts && got.partSize && got.parts.length === n) return compositeEtag(got.parts) === etag;
  return undefined;
}
