import { normalizeEtag } from "../checksum/index.js";
import type { S3Answer, S3Transport } from "./transport.js";
import { xmlBlocks, xmlTag } from "./xml.js";

/** What a HEAD says of an object. */
export interface ObjectHead {
  readonly size: number;
  /** Normalized (see checksum.ts); the raw header for If-Match is `etagHeader`. */
  readonly etag: string;
  readonly etagHeader?: string;
  readonly lastModified?: Date;
  /** `x-amz-meta-*` headers, by the name after the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Encrypted so that the ETag is not an MD5 of the bytes (see etagIsOpaque). */
  readonly opaqueEtag: boolean;
}

/**
 * Server-side encryption whose ETag is not the MD5 of the object: AWS KMS
 * (aws:kms, aws:kms:dsse), customer keys (SSE-C), Aliyun OSS with KMS.
 * Such objects are checked by their size only.
 */
export function etagIsOpaque(headers: Readonly<Record<string, string>>): boolean {
  const sse = (headers["x-amz-server-side-encryption"] ?? "").toLowerCase();
  const oss = (headers["x-oss-server-side-encryption"] ?? "").toLowerCase();
  return sse.startsWith("aws:kms") || headers["x-amz-server-side-encryption-customer-algorithm"] !== undefined || oss === "kms";
}

function objectHead(h: Readonly<Record<string, string>>): ObjectHead {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith("x-amz-meta-")) metadata[k.slice("x-amz-meta-".length)] = v;
  const modified = h["last-modified"] ? new Date(h["last-modified"]) : undefined;
  return {
    size: Number(h["content-length"] ?? 0),
    etag: normalizeEtag(h.etag),
    ...(h.etag ? { etagHeader: h.etag } : {}),
    ...(modified && !Number.isNaN(modified.getTime()) ? { lastModified: modified } : {}),
    metadata,
    opaqueEtag: etagIsOpaque(h),
  };
}

export async function headObject(t: S3Transport, bucket: string, key: string): Promise<ObjectHead> {
  return objectHead((await t.send({ method: "HEAD", bucket, key })).headers);
}

/**
 * The part size of a multipart object, from the server: a HEAD of part 1
 * answers with that part's length and the number of parts (AWS, MinIO,
 * Ceph, OSS). Undefined when the server does not say (it ignores partNumber
 * and answers for the whole object) or says something that does not add up.
 */
export async function multipartPartSize(t: S3Transport, bucket: string, key: string, size: number, parts: number): Promise<number | undefined> {
  const answer: S3Answer = await t.send({ method: "HEAD", bucket, key, query: { partNumber: "1" } });
  const count = Number(answer.headers["x-amz-mp-parts-count"]);
  const length = Number(answer.headers["content-length"]);
  if (count !== parts || !(length > 0)) return undefined;
  return Math.ceil(size / length) === parts ? length : undefined;
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
  readonly truncated: boolean;
  /** ListObjectsV2's token for the next page. */
  readonly token?: string;
  /** ListObjects (V1): where the next page starts, when the server says. */
  readonly nextMarker?: string;
  /** What the server says the page holds (V2), to check against what was read. */
  readonly keyCount?: number;
}

export interface ListRequest {
  readonly bucket: string;
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  /** A V2 continuation token, or … */
  readonly token?: string;
  /** … a V1 marker: then the page is asked for with ListObjects (V1). */
  readonly marker?: string;
}

/** One page of ListObjectsV2, or of ListObjects (V1) when a marker is given. */
export async function listPage(t: S3Transport, r: ListRequest): Promise<ListPage> {
  const query: Record<string, string> = r.marker !== undefined ? { marker: r.marker } : { "list-type": "2" };
  if (r.prefix) query.prefix = r.prefix;
  if (r.delimiter) query.delimiter = r.delimiter;
  if (r.maxKeys !== undefined) query["max-keys"] = String(r.maxKeys);
  if (r.token) query["continuation-token"] = r.token;
  const { body } = await t.send({ method: "GET", bucket: r.bucket, key: "", query });
  return parseListPage(body.toString("utf8"));
}

/**
 * A ListBucketResult (V2 or V1). Keys are XML-escaped text (no
 * `encoding-type`: not every S3-compatible server decodes it the same way).
 */
export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw Object.assign(new Error("a listing came back without a ListBucketResult"), { name: "NotS3Answer" });
  // a document cut short would read as a shorter listing: whole documents only
  if (!/<\/ListBucketResult>\s*$/.test(xml)) throw Object.assign(new Error("a listing came back cut short (no closing </ListBucketResult>)"), { name: "NotS3Answer" });
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
  const token = xmlTag(xml, "NextContinuationToken");
  const nextMarker = xmlTag(xml, "NextMarker");
  const keyCount = xmlTag(xml, "KeyCount");
  return {
    objects,
    prefixes,
    truncated: xmlTag(xml, "IsTruncated") === "true",
    ...(token ? { token } : {}),
    ...(nextMarker ? { nextMarker } : {}),
    ...(keyCount !== undefined && /^\d+$/.test(keyCount) ? { keyCount: Number(keyCount) } : {}),
  };
}

/** A listing that cannot go on, or read less than the server said: never a silently partial dataset. */
export class IncompleteListing extends Error {
  override readonly name = "IncompleteListing";
}

/**
 * Every object under a prefix, page by page: ListObjectsV2, and ListObjects
 * (V1) with markers from the first page on which a server says there is more
 * but gives no continuation token (servers that ignore list-type=2).
 */
export async function listAll(t: S3Transport, r: Omit<ListRequest, "token" | "marker">, each: (page: ListPage) => void, request = <T>(f: () => Promise<T>) => f()): Promise<void> {
  let at: Cursor = {};
  for (;;) {
    // the checks run inside the request, so that what they find is explained as its failure
    const { page, next } = await request(async () => {
      const page = await listPage(t, { ...r, ...at });
      return { page, next: following(page, at) };
    });
    each(page);
    if (!next) return;
    at = next;
  }
}

type Cursor = { readonly token?: string; readonly marker?: string };

/** Where the page after `page` (asked for at `at`) starts; undefined after the last. */
function following(page: ListPage, at: Cursor): Cursor | undefined {
  const read = page.objects.length + page.prefixes.length;
  if (page.keyCount !== undefined && page.keyCount > read) throw new IncompleteListing(`the server said a page holds ${page.keyCount} keys, but it holds ${read}`);
  if (!page.truncated) return undefined;
  if (page.token && at.marker === undefined) return { token: page.token };
  const last = [page.objects.at(-1)?.key, page.prefixes.at(-1)].filter((k): k is string => k !== undefined).sort().at(-1);
  const marker = page.nextMarker ?? last;
  if (marker === undefined || marker === at.marker) throw new IncompleteListing("the server said the listing goes on, but gave no way to ask for the rest");
  return { marker };
}
