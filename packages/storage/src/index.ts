/**
 * @aves2/storage: moving data between this machine and object storage, the
 * engine every run's stage-in and stage-out uses (local runs, and the staging
 * containers of Kubernetes pods through this package's own `aves2-storage`).
 *
 * - URIs (uri.ts) name where data lives; a store per scheme (stores.ts) stages
 *   it in and out (store.ts); `syncUris` (sync-uris.ts) is `storage sync`.
 * - s3/: one HTTP stack, SigV4, listings, multipart, credentials, errors.
 * - checksum/: ETag math, MD5s over pieces, MD5s on worker threads.
 * - archive/: archives unpacked within limits.
 * - retry/: the one retry engine and sleep (the engine's Kubernetes client
 *   uses them too), and object storage's retry policies.
 * - config/: where the endpoint and credentials come from (env, ~/.aws,
 *   ~/.aves2/aves2.cfg); errors.ts: the errors every package shares;
 *   disk-full.ts: a full disk, wherever data is written, as one UserError.
 */
export * from "./errors.js";
export * from "./uri.js";
export * from "./config/index.js";
export * from "./store.js";
export * from "./stores.js";
export * from "./sync-uris.js";
export * from "./content-cache.js";
export * from "./disk-full.js";
export * from "./completion-marker.js";
export * from "./transfer-progress.js";
export * from "./archive/unpack.js";
export * from "./archive/limits.js";
export * from "./retry/index.js";
export * from "./retry/transfer.js";
export * from "./checksum/index.js";
export { hostpathStore } from "./hostpath/hostpath-store.js";
export { localStore } from "./local/local-store.js";
export { connect, type S3Connection } from "./s3/connection.js";
export { findCredentials, type CredentialChoice } from "./s3/credentials.js";
export { explainS3Error } from "./s3/errors.js";
export { headObject, listAll } from "./s3/lookups.js";
export { send } from "./s3/request.js";
export { s3Store } from "./s3/s3-store.js";
