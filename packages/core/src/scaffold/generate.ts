import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { componentDir } from "../catalog/catalog.js";
import { type Problem, UserError } from "../errors.js";
import { TEMPLATE_FILE, type Template } from "./templates.js";

const NAME_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface NewComponent {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly framework: string;
}

/** Problems with a new component's name, or [] when it can be used. */
export function checkNewName(root: string, name: string): Problem[] {
  if (!NAME_RE.test(name)) {
    return [
      {
        path: "name",
        message: `"${name}" is not a valid component name`,
        hint: "a DNS-1123 label: lowercase letters, digits and -, starting with a letter, at most 63 characters",
      },
    ];
  }
  const taken = componentDir(root, name) !== undefined || existsSync(join(root, "components", name));
  return taken ? [{ path: "name", message: `components/${name} already exists`, hint: "pick another name; nothing was changed" }] : [];
}

/** `{{name}}`-style placeholders in every text file of the template. */
function fill(text: string, values: NewComponent): string {
  return text.replace(/\{\{(name|title|description|category|framework)\}\}/g, (_, k: keyof NewComponent) => values[k]);
}

function isText(buf: Buffer): boolean {
  return !buf.subarray(0, 8000).includes(0);
}

/**
 * Copies the template into `components/<name>/` with placeholders filled, and
 * writes a changeset announcing the new package. Everything is written to a
 * staging folder first and renamed into place, so a failure leaves nothing
 * behind and an existing folder is never touched.
 */
export function generateComponent(root: string, template: Template, values: NewComponent): { dir: string; files: string[]; changeset: string; registered?: string } {
  const problems = checkNewName(root, values.name);
  if (problems.length > 0) throw new UserError(problems);
  const target = join(root, "components", values.name);
  const staging = join(root, "components", `.${values.name}.new-${process.pid}`);
  const files: string[] = [];
  try {
    copyTree(template.dir, staging, values, files);
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  let registered: string | undefined;
  try {
    registered = registerWithCatalogTests(root, values.name);
  } catch (e) {
    rmSync(target, { recursive: true, force: true });
    throw e;
  }
  const changeset = join(root, ".changeset", `new-component-${values.name}.md`);
  if (existsSync(join(root, ".changeset"))) {
    writeFileSync(changeset, `---\n"@aves2-components/${values.name}": minor\n---\n\nNew component ${values.name}: ${values.title} (from the ${template.name} template).\n`);
  }
  return { dir: target, files: files.map((f) => relative(staging, f)), changeset, ...(registered ? { registered } : {}) };
}

/** The catalog-wide tests (packages/catalog-tests) run every component's sample. */
export const CATALOG_TESTS_PACKAGE = join("packages", "catalog-tests", "package.json");

/**
 * Adds the component to the catalog-wide tests' dev dependencies, so that
 * turbo builds its launcher before they run its sample; returns the file
 * changed, or undefined in a catalog without those tests.
 */
function registerWithCatalogTests(root: string, name: string): string | undefined {
  const file = join(root, CATALOG_TESTS_PACKAGE);
  if (!existsSync(file)) return undefined;
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { devDependencies?: Record<string, string> };
  const deps = { ...pkg.devDependencies, [`@aves2-components/${name}`]: "workspace:*" };
  pkg.devDependencies = Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  return file;
}

function copyTree(from: string, to: string, values: NewComponent, files: string[]): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry === TEMPLATE_FILE || entry === "node_modules" || entry === "dist" || entry === "__pycache__") continue;
    const src = join(from, entry);
    const dst = join(to, entry);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) continue; // a template never links outside itself
    if (st.isDirectory()) copyTree(src, dst, values, files);
    else {
      const buf = readFileSync(src);
      writeFileSync(dst, isText(buf) ? fill(buf.toString("utf8"), values) : buf, { mode: st.mode });
      files.push(dst);
    }
  }
}
