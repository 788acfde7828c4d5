export * from "./cli.js";
export * from "./registry-server.js";
export * from "./aves2-test-server.js";
export * from "./s3-server.js";
export * from "./archives.js";
export * from "./fault-proxy.js";
export * from "./k8s-test-server.js";
export * from "./ports.js";
