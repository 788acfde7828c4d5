/**
 * Where object storage is and who may use it, from the environment and the
 * files the AWS and AVES2 clients read (the engine adds its own config files
 * on top). Light: no engine code, for start-up paths.
 */
export * from "./aves2-cfg.js";
export * from "./s3-config.js";
export type { Setting } from "./setting.js";
export { DEFAULT_S3, defaultPathStyle, endpointName, type S3Settings } from "../s3/settings.js";
