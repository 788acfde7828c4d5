import type { IncomingMessage } from "node:http";
import type { Clock } from "./clock.js";
import type { ObjectLayouts } from "./object-layouts.js";
import type { S3rverClient } from "./s3rver-client.js";
import { header } from "./wire-format.js";

/** What the request handlers share: the proxy's settings and its memory of what s3rver cannot hold. */
export interface ProxyState {
  readonly clock: Clock;
  readonly s3rver: S3rverClient;
  readonly layouts: ObjectLayouts;
  /** Buckets whose new objects are SSE-KMS by default. */
  readonly encryption: Map<string, "aws:kms">;
  /** The smallest size of every part but the last when an upload completes. */
  readonly minPartSize: number;
  readonly listing: {
    /** Answer ListObjectsV2 as V1, as old servers that ignore `list-type=2`. */
    v1Only: boolean;
    /** The most keys a listing page holds, whatever the client asks. */
    maxKeys: number;
  };
}

/** Whether a new object (or upload) is SSE-KMS: asked for, or the bucket's default. */
export function kmsWanted(state: ProxyState, req: IncomingMessage, bucket: string): boolean {
  return header(req, "x-amz-server-side-encryption") === "aws:kms" || state.encryption.get(bucket) === "aws:kms";
}
