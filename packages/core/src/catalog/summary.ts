import type { Component } from "../manifest/types.js";
import { type CatalogEntry, entryName } from "./catalog.js";

/** What every listing says of a component first: the catalog's list and a published version's record. */
export function componentHeadline(c: Component) {
  return { name: c.name, version: c.version, title: c.title, description: c.description, category: c.category, framework: c.framework, distribute: c.distribute };
}

/** One entry of `component list --json`: the headline, the upstream it replaces and its sample check; or why it does not load. */
export function catalogEntryJSON(e: CatalogEntry) {
  const c = e.component;
  if (!c) return { name: entryName(e), dir: e.dir, valid: false, problems: e.problems };
  return { ...componentHeadline(c), upstream: c.upstream ?? null, sample: c.sample ?? null, dir: c.dir, valid: true };
}
