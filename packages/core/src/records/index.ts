/** Run records: the one format every backend writes (record.ts) and the store of them on this machine (run-store.ts). */
export * from "./record.js";
export * from "./run-store.js";
