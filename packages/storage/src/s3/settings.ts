/**
 * How to reach an S3-compatible service. Plain values, no secrets: this goes
 * into plans and run records. Credentials are looked up when a connection is
 * made (see credentials.ts).
 */
export interface S3Settings {
  /** Absent = AWS itself. */
  readonly endpoint?: string;
  readonly region: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO, Ceph, s3rver). */
  readonly pathStyle: boolean;
  /** A profile of ~/.aws/credentials and ~/.aws/config. */
  readonly profile?: string;
}

export const DEFAULT_S3: S3Settings = { region: "us-east-1", pathStyle: false };

/** The endpoint as messages name it. */
export function endpointName(s: S3Settings): string {
  return s.endpoint ?? `https://s3.${s.region}.amazonaws.com`;
}

/**
 * Path-style unless the host is one that wants virtual-hosted buckets:
 * AWS and Alibaba OSS; MinIO, Ceph and local servers want path-style.
 */
export function defaultPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return !/(^|\.)(amazonaws\.com|amazonaws\.com\.cn|aliyuncs\.com)$/.test(host);
  } catch {
    return true;
  }
}
