/**
 * A folder of objects in a remote store (an S3 prefix today), as the sync
 * engine sees it: list, download one object, upload one file. Implementations
 * retry each request on transient failures and check every object's integrity.
 */
export interface RemoteObject {
  /** The key relative to the folder's prefix. */
  readonly rel: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified?: Date;
}

export interface RemoteTree {
  /** How messages name the folder, e.g. `s3://bucket/prefix/`. */
  readonly label: string;
  /** Requests tried again so far. */
  readonly retries: number;
  /** What names an object for the content cache (endpoint, bucket, key). */
  identity(obj: RemoteObject): string;
  list(): Promise<RemoteObject[]>;
  /** Writes the object to `file` (created or replaced). `verified`: its checksum was checked, not only its size. */
  download(obj: RemoteObject, file: string, onBytes: (n: number) => void): Promise<{ verified: boolean }>;
  /** The MD5 of `file` when it has the same content as `obj` (by its ETag), else undefined. */
  sameContent(file: string, size: number, obj: RemoteObject): Promise<string | undefined>;
  /** Uploads `file` as `rel`; returns its MD5 (checked against what the server stored). */
  upload(file: string, rel: string, size: number, onBytes: (n: number) => void): Promise<{ md5: string }>;
  putText(rel: string, text: string, contentType: string): Promise<void>;
  remove(rel: string): Promise<void>;
}
