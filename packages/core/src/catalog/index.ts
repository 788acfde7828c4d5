/**
 * The read-only part of core (catalog, manifests, config, errors), as its own
 * entry point: `component list` and `info` load these dozen modules instead of
 * the whole engine, which keeps the CLI's start-up close to bare node.
 */
export { findComponent, findProjectRoot, loadCatalog, componentDir, componentDirs, componentNames, entryName, parseComponentRef, type CatalogEntry } from "./catalog.js";
export { type CatalogProblem, checkCatalog, type ValidationResult, validateComponents } from "./check.js";
export { catalogEntryJSON, componentHeadline } from "./summary.js";
export { type CatalogQuery, type CategoryGroup, groupByCategory, queryCatalog } from "./query.js";
export { describeBound, describeSample, parseSampleUse } from "../manifest/sample.js";
export { loadComponent, MANIFEST_FILE } from "../manifest/load.js";
export { loadConfig, type Config, type Setting } from "../config/config.js";
export { formatProblem, isUserError, RunFailedError, UserError, type Problem } from "../errors.js";
