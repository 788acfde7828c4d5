/**
 * Checking transfers: ETag math (etag.ts), MD5s over pieces as they come
 * (hashers.ts), and MD5s on worker threads (workers.ts).
 */
export * from "./etag.js";
export * from "./hashers.js";
export * from "./workers.js";
