import { objectRequest, responseText, s3Error, type WireTarget } from "./wire.js";
import { escapeXml, xmlTag } from "./xml.js";

/**
 * A multipart upload's start, end and abort, signed here like its parts
 * (wire.ts), so that an upload does not load the AWS SDK for three requests.
 */

export interface UploadedPart {
  readonly partNumber: number;
  /** As the server gave it, quotes included. */
  readonly etag: string;
}

/** Starts an upload; resolves with its id. */
export async function createUpload(target: WireTarget, bucket: string, key: string): Promise<string> {
  const res = await objectRequest(target, { method: "POST", bucket, key, query: { uploads: "" } });
  const body = await responseText(res);
  const id = xmlTag(body, "UploadId");
  if (!id) throw Object.assign(new Error("the start of a multipart upload came back without an UploadId"), { name: "NotS3Answer" });
  return id;
}

/** Joins the parts into the object; resolves with its ETag and server-side encryption. */
export async function completeUpload(target: WireTarget, bucket: string, key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<{ etag?: string; sse?: string }> {
  const xml = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`)
    .join("")}</CompleteMultipartUpload>`;
  const res = await objectRequest(target, { method: "POST", bucket, key, query: { uploadId }, body: Buffer.from(xml), headers: { "content-type": "application/xml" } });
  const body = await responseText(res);
  // S3 may answer 200 and then an <Error> in the body, when joining the parts failed after it began answering
  if (/<Error[\s>]/.test(body)) throw s3Error(/<Code>(SlowDown|InternalError|ServiceUnavailable)</.test(body) ? 503 : 400, body);
  const etag = xmlTag(body, "ETag");
  const sse = res.headers["x-amz-server-side-encryption"];
  return { ...(etag ? { etag } : {}), ...(typeof sse === "string" ? { sse } : {}) };
}

/** Drops the parts sent so far; the upload leaves nothing behind. */
export async function abortUpload(target: WireTarget, bucket: string, key: string, uploadId: string): Promise<void> {
  const res = await objectRequest(target, { method: "DELETE", bucket, key, query: { uploadId } });
  res.resume();
}
