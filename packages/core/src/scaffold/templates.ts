import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { toolRoot } from "../catalog/catalog.js";
import { didYouMean } from "../catalog/suggest.js";
import { UserError } from "../errors.js";
import { parseYaml } from "../manifest/yaml-source.js";

export const TEMPLATE_FILE = "template.yaml";

/** A scaffold under `templates/<name>/`, described by its template.yaml. */
export interface Template {
  readonly name: string;
  readonly dir: string;
  /** One line for `component new --list-templates`. */
  readonly summary: string;
  readonly framework: string;
  readonly category: string;
  /** Why it cannot run on a machine like this one, when that is so (e.g. TensorFlow is not installable). */
  readonly caveat?: string;
}

/** The project's own templates/ first, then the ones that ship with the tool; the first of a name wins. */
export function templateDirs(root: string): string[] {
  return [...new Set([join(root, "templates"), join(toolRoot(), "templates")])].filter((d) => existsSync(d));
}

export function listTemplates(root: string): Template[] {
  const byName = new Map<string, Template>();
  for (const base of templateDirs(root)) {
    for (const d of readdirSync(base, { withFileTypes: true })) {
      if (!d.isDirectory() || byName.has(d.name) || !existsSync(join(base, d.name, TEMPLATE_FILE))) continue;
      byName.set(d.name, readTemplate(join(base, d.name), d.name));
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function readTemplate(dir: string, name: string): Template {
  const file = join(dir, TEMPLATE_FILE);
  const { data } = parseYaml(readFileSync(file, "utf8"), file);
  const t = (data ?? {}) as Record<string, unknown>;
  for (const key of ["summary", "framework", "category"]) {
    if (typeof t[key] !== "string") throw UserError.of(`${key} must be a string`, { path: file });
  }
  return {
    name,
    dir,
    summary: t.summary as string,
    framework: t.framework as string,
    category: t.category as string,
    ...(typeof t.caveat === "string" ? { caveat: t.caveat } : {}),
  };
}

export function findTemplate(root: string, name: string): Template {
  const all = listTemplates(root);
  const t = all.find((x) => x.name === name);
  if (t) return t;
  const names = all.map((x) => x.name);
  throw UserError.of(`unknown template "${name}"`, {
    path: "--template",
    hint: didYouMean(name, names) ?? `templates: ${names.join(", ")}; see component new --list-templates`,
  });
}
