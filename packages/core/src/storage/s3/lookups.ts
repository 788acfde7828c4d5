import { normalizeEtag } from "../checksum.js";
import { readBytes, readObject } from "./reads.js";
import { xmlBlocks, xmlTag } from "./xml.js";
import type { WireTarget } from "./wire.js";

/** What a HEAD says of an object. */
export interface ObjectHead {
  readonly size: number;
  /** Normalized (see checksum.ts); the raw header for If-Match is `etagHeader`. */
  readonly etag: string;
  readonly etagHeader?: string;
  readonly lastModified?: Date;
  /** `x-amz-meta-*` headers, by the name after the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly kms: boolean;
}

export async function headObject(target: WireTarget, bucket: string, key: string): Promise<ObjectHead> {
  const { headers: h } = await readObject(target, { method: "HEAD", bucket, key }, { data: () => undefined });
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith("x-amz-meta-")) metadata[k.slice("x-amz-meta-".length)] = v;
  const modified = h["last-modified"] ? new Date(h["last-modified"]) : undefined;
  return {
    size: Number(h["content-length"] ?? 0),
    etag: normalizeEtag(h.etag),
    ...(h.etag ? { etagHeader: h.etag } : {}),
    ...(modified && !Number.isNaN(modified.getTime()) ? { lastModified: modified } : {}),
    metadata,
    kms: h["x-amz-server-side-encryption"] === "aws:kms",
  };
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified?: Date;
}

export interface ListPage {
  readonly objects: ListedObject[];
  /** With a delimiter: the "folders" (common prefixes, ending with it). */
  readonly prefixes: string[];
  /** Where the next page starts; absent on the last page. */
  readonly next?: string;
}

export interface ListRequest {
  readonly bucket: string;
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  readonly token?: string;
}

/** One page of ListObjectsV2. */
export async function listPage(target: WireTarget, r: ListRequest): Promise<ListPage> {
  const query: Record<string, string> = { "list-type": "2" };
  if (r.prefix) query.prefix = r.prefix;
  if (r.delimiter) query.delimiter = r.delimiter;
  if (r.maxKeys !== undefined) query["max-keys"] = String(r.maxKeys);
  if (r.token) query["continuation-token"] = r.token;
  const { body } = await readBytes(target, { bucket: r.bucket, key: "", query });
  return parseListPage(body.toString("utf8"));
}

/**
 * A ListBucketResult. Keys are XML-escaped text (no `encoding-type`: not
 * every S3-compatible server decodes it the same way).
 */
export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw Object.assign(new Error("a listing came back without a ListBucketResult"), { name: "NotS3Answer" });
  const prefixes = xmlBlocks(xml, "CommonPrefixes")
    .map((b) => xmlTag(b, "Prefix"))
    .filter((p): p is string => p !== undefined);
  const objects = xmlBlocks(xml, "Contents").map((b): ListedObject => {
    const modified = xmlTag(b, "LastModified");
    const date = modified ? new Date(modified) : undefined;
    return {
      key: xmlTag(b, "Key") ?? "",
      size: Number(xmlTag(b, "Size") ?? 0),
      etag: normalizeEtag(xmlTag(b, "ETag")),
      ...(date && !Number.isNaN(date.getTime()) ? { lastModified: date } : {}),
    };
  });
  const next = xmlTag(xml, "IsTruncated") === "true" ? xmlTag(xml, "NextContinuationToken") : undefined;
  return { objects, prefixes, ...(next ? { next } : {}) };
}
