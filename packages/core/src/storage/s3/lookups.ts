import { normalizeEtag } from "../checksum.js";
import { readObject, readText } from "./reads.js";
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
  const { text } = await readText(target, { bucket: r.bucket, key: "", query });
  return parseListPage(text);
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? whole;
  });
}

/** The text of the first `<tag>` in `xml`, unescaped. */
function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
}

function blocks(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]!);
}

/**
 * A ListBucketResult. Keys are XML-escaped text (no `encoding-type`: not
 * every S3-compatible server decodes it the same way).
 */
export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw Object.assign(new Error("a listing came back without a ListBucketResult"), { name: "NotS3Answer" });
  const prefixes = blocks(xml, "CommonPrefixes")
    .map((b) => tag(b, "Prefix"))
    .filter((p): p is string => p !== undefined);
  const objects = blocks(xml, "Contents").map((b): ListedObject => {
    const modified = tag(b, "LastModified");
    const date = modified ? new Date(modified) : undefined;
    return {
      key: tag(b, "Key") ?? "",
      size: Number(tag(b, "Size") ?? 0),
      etag: normalizeEtag(tag(b, "ETag")),
      ...(date && !Number.isNaN(date.getTime()) ? { lastModified: date } : {}),
    };
  });
  const next = tag(xml, "IsTruncated") === "true" ? tag(xml, "NextContinuationToken") : undefined;
  return { objects, prefixes, ...(next ? { next } : {}) };
}
