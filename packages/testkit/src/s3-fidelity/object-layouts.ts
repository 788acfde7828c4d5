import { createHash, randomBytes } from "node:crypto";

/**
 * What the proxy says about an object that s3rver stores with a plain MD5 ETag:
 * s3rver knows neither multipart ETags nor KMS, so the proxy keeps the real
 * server's view of such objects beside it.
 */
export interface Override {
  /** s3rver's ETag of the data this was recorded for: if it changes, the object was replaced. */
  readonly upstreamEtag: string;
  readonly etag: string;
  /** Part sizes of a multipart object. */
  readonly parts?: readonly number[];
  readonly kms?: boolean;
}

export interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly kms: boolean;
  /** Some part went around the proxy (or was copied): its ETag and size are unknown. */
  untracked: boolean;
  readonly parts: Map<number, { etag: string; md5: string; size: number }>;
}

const KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-1111-2222-3333-444444444444";

/** An ETag without quotes or weak mark, to compare ETags however they are written. */
export function bare(etag: string): string {
  return etag.trim().replace(/^W\//, "").replace(/"/g, "");
}

/** KMS ETags are not the MD5 of anything the client knows: random hex stands in for them. */
export function randomEtagHex(): string {
  return randomBytes(16).toString("hex");
}

/** AWS's multipart ETag digits: the MD5 of the parts' binary MD5s. */
export function multipartEtagHex(partMd5s: readonly Buffer[]): string {
  return createHash("md5").update(Buffer.concat(partMd5s)).digest("hex");
}

/** The headers S3 sends about the encryption of an SSE-KMS object. */
export function sseHeaders(o: Pick<Override, "kms"> | undefined): Record<string, string | undefined> {
  return o?.kms ? { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY_ARN } : {};
}

export type PartAnswer = { error: "out-of-range"; partCount: number } | { range: { start: number; end: number } | undefined; partsCount: number | undefined };

/**
 * Where part `n` of an object of `size` bytes lies: an object not uploaded in
 * parts is one part, as S3 has it, and gets no x-amz-mp-parts-count.
 */
export function partOf(o: Override | undefined, size: number, n: number): PartAnswer {
  const layout = o?.parts ?? [size];
  if (n > layout.length) return { error: "out-of-range", partCount: layout.length };
  const start = layout.slice(0, n - 1).reduce((s, x) => s + x, 0);
  const partsCount = o?.parts ? layout.length : undefined;
  const range = layout[n - 1]! > 0 ? { start, end: start + layout[n - 1]! - 1 } : undefined;
  return { range, partsCount };
}

/** The overrides by object and the multipart uploads begun through the proxy. */
export class ObjectLayouts {
  private readonly overrides = new Map<string, Override>();
  readonly uploads = new Map<string, Upload>();

  private static id(bucket: string, key: string): string {
    return `${bucket}\u0000${key}`;
  }

  /** The override as recorded, whatever s3rver holds now. */
  recorded(bucket: string, key: string): Override | undefined {
    return this.overrides.get(ObjectLayouts.id(bucket, key));
  }

  /** The override of an object whose s3rver ETag is `upstreamEtag`, dropped when the object was replaced behind the proxy. */
  effective(bucket: string, key: string, upstreamEtag: string | undefined): Override | undefined {
    const o = this.overrides.get(ObjectLayouts.id(bucket, key));
    if (!o) return undefined;
    if (upstreamEtag === undefined || bare(o.upstreamEtag) !== bare(upstreamEtag)) {
      this.overrides.delete(ObjectLayouts.id(bucket, key));
      return undefined;
    }
    return o;
  }

  set(bucket: string, key: string, o: Override): void {
    this.overrides.set(ObjectLayouts.id(bucket, key), o);
  }

  forget(bucket: string, key: string): void {
    this.overrides.delete(ObjectLayouts.id(bucket, key));
  }

  forgetBucket(bucket: string): void {
    for (const k of [...this.overrides.keys()]) if (k.startsWith(`${bucket}\u0000`)) this.overrides.delete(k);
  }

  /**
   * Records `data`, stored at s3rver with `upstreamEtag`, as if uploaded in parts
   * of `partSize` (the last one shorter); returns its ETag (quoted).
   */
  recordMultipart(bucket: string, key: string, upstreamEtag: string, data: Buffer, partSize: number, kms: boolean | undefined): string {
    const sizes: number[] = [];
    const md5s: Buffer[] = [];
    for (let at = 0; at < data.length || sizes.length === 0; at += partSize) {
      const part = data.subarray(at, Math.min(at + partSize, data.length));
      sizes.push(part.length);
      md5s.push(createHash("md5").update(part).digest());
    }
    const hex = kms ? randomEtagHex() : multipartEtagHex(md5s);
    const etag = `"${hex}-${sizes.length}"`;
    this.set(bucket, key, { upstreamEtag, etag, parts: sizes, ...(kms ? { kms: true } : {}) });
    return etag;
  }

  /** Records `data`, stored at s3rver with `upstreamEtag`, as SSE-KMS; returns its ETag (quoted), which is never its MD5. */
  recordKms(bucket: string, key: string, upstreamEtag: string, data: Buffer): string {
    const md5 = createHash("md5").update(data).digest("hex");
    let hex = randomEtagHex();
    while (hex === md5) hex = randomEtagHex();
    const etag = `"${hex}"`;
    this.set(bucket, key, { upstreamEtag, etag, kms: true });
    return etag;
  }
}
