export { type S3FidelityProxy, type S3FidelityProxyOptions, startS3FidelityProxy } from "./s3-fidelity/index.js";
