export * from "./cli.js";
