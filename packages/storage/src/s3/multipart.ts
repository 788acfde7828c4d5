import { etagIsOpaque } from "./lookups.js";
import { s3Error, type S3Transport } from "./transport.js";
import { escapeXml, xmlTag } from "./xml.js";

/** A multipart upload's start, end and abort. */

export interface UploadedPart {
  readonly partNumber: number;
  /** As the server gave it, quotes included. */
  readonly etag: string;
}

/** Starts an upload; resolves with its id. */
export async function createUpload(t: S3Transport, bucket: string, key: string): Promise<string> {
  const { body } = await t.send({ method: "POST", bucket, key, query: { uploads: "" } });
  const id = xmlTag(body.toString("utf8"), "UploadId");
  if (!id) throw Object.assign(new Error("the start of a multipart upload came back without an UploadId"), { name: "NotS3Answer" });
  return id;
}

/** Joins the parts into the object; resolves with its ETag, and whether that ETag is no MD5 (encryption). */
export async function completeUpload(t: S3Transport, bucket: string, key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<{ etag?: string; opaqueEtag: boolean }> {
  const xml = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`)
    .join("")}</CompleteMultipartUpload>`;
  const answer = await t.send({ method: "POST", bucket, key, query: { uploadId }, body: Buffer.from(xml), headers: { "content-type": "application/xml" } });
  const body = answer.body.toString("utf8");
  // S3 may answer 200 and then an <Error> in the body, when joining the parts failed after it began answering
  if (/<Error[\s>]/.test(body)) throw s3Error(/<Code>(SlowDown|InternalError|ServiceUnavailable)</.test(body) ? 503 : 400, body);
  const etag = xmlTag(body, "ETag");
  return { ...(etag ? { etag } : {}), opaqueEtag: etagIsOpaque(answer.headers) };
}

/** Drops the parts sent so far; the upload leaves nothing behind. */
export async function abortUpload(t: S3Transport, bucket: string, key: string, uploadId: string): Promise<void> {
  await t.send({ method: "DELETE", bucket, key, query: { uploadId } });
}
