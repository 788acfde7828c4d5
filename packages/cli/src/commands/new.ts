import { spawnSync } from "node:child_process";
import type { NewComponent, Template } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { bold, dim, green } from "../output/style.js";
import { table } from "../output/table.js";

interface NewOpts {
  template?: string;
  title?: string;
  description?: string;
  category?: string;
  framework?: string;
  listTemplates?: boolean;
  install: boolean;
  json?: boolean;
}

export function newCommand(): Command {
  return new Command("new")
    .description("scaffold a new component from a template (asks for what is missing on a terminal)")
    .argument("[name]", "component name: lowercase letters, digits and '-' (a DNS-1123 label)")
    .option("-t, --template <template>", "template to start from (see --list-templates)")
    .option("--title <text>", "one-line title")
    .option("--description <text>", "what it does")
    .option("--category <path>", "catalog family, e.g. ml/classification (default: the template's)")
    .option("--framework <name>", "training framework (default: the template's)")
    .option("--list-templates", "list the templates and exit")
    .option("--no-install", "do not run `pnpm install` (which links and builds the new package)")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `
Examples:
  $ pnpm component new --list-templates
  $ pnpm component new
  $ pnpm component new iris-classifier --template sklearn-estimator --title "Iris classifier"`,
    )
    .action(async (name: string | undefined, opts: NewOpts) => {
      const { checkNewName, findTemplate, generateComponent, listTemplates, UserError } = await import("@aves2/core");
      const ctx = await context();
      const templates = listTemplates(ctx.root);
      if (opts.listTemplates) {
        if (opts.json) process.stdout.write(json(templates.map(({ dir: _d, ...t }) => t)));
        else process.stdout.write(`${table(["TEMPLATE", "FRAMEWORK", "DESCRIPTION"], templates.map((t) => [t.name, t.framework, t.summary + (t.caveat ? ` (${t.caveat})` : "")]))}\n`);
        return;
      }
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !opts.json;
      const answers = interactive ? await ask(name, opts, templates, (n) => checkNewName(ctx.root, n)) : undefined;
      const finalName = answers?.name ?? name;
      const templateName = answers?.template ?? opts.template;
      const missing = [...(finalName ? [] : ["<name>"]), ...(templateName ? [] : ["--template"])];
      if (missing.length) {
        throw UserError.of(`missing ${missing.join(" and ")}`, { hint: "e.g. component new my-model --template sklearn-estimator (see --list-templates)" });
      }
      const nameProblems = checkNewName(ctx.root, finalName!);
      if (nameProblems.length) throw new UserError(nameProblems);
      const template = findTemplate(ctx.root, templateName!);
      const values: NewComponent = {
        name: finalName!,
        title: answers?.title ?? opts.title ?? finalName!,
        description: answers?.description ?? opts.description ?? `${template.summary}.`,
        category: answers?.category ?? opts.category ?? template.category,
        framework: opts.framework ?? template.framework,
      };
      const made = generateComponent(ctx.root, template, values);
      const installed = opts.install ? install(ctx.root) : undefined;
      if (opts.json) {
        process.stdout.write(json({ ...made, template: template.name, installed: installed ?? null }));
        return;
      }
      const out = [
        `${green("✓")} created ${bold(`components/${values.name}`)} from ${template.name} (${made.files.length} files) and ${made.changeset.split("/").slice(-2).join("/")}`,
        ...(made.registered ? [`  added it to ${made.registered.split("/").slice(-3).join("/")}: the catalog's tests run its sample`] : []),
        ...(template.caveat ? [`  note: ${template.caveat}`] : []),
        installed === false ? "  pnpm install failed: run it yourself to link and build the package" : "",
        dim("next:"),
        ...(opts.install ? [] : [dim("  pnpm install")]),
        dim(`  pnpm component run ${values.name}`),
        dim(`  pnpm --filter @aves2-components/${values.name} test`),
      ].filter(Boolean);
      process.stdout.write(`${out.join("\n")}\n`);
    });
}

/** Links the new workspace member and builds it (the root `prepare` runs turbo build). */
function install(root: string): boolean {
  const r = spawnSync("pnpm", ["install", "--prefer-offline"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  return r.status === 0;
}

async function ask(
  name: string | undefined,
  opts: NewOpts,
  templates: Template[],
  checkName: (n: string) => { message: string }[],
): Promise<{ name: string; template: string; title: string; description?: string; category: string } | undefined> {
  const p = await import("@clack/prompts");
  const cancelled = (v: unknown) => {
    if (p.isCancel(v)) {
      p.cancel("nothing was created");
      process.exit(2);
    }
  };
  p.intro("new component");
  const n =
    name ??
    (await p.text({
      message: "Name (lowercase, digits, '-')",
      validate: (v) => (v ? checkName(v)[0]?.message : "a name is needed"),
    }));
  cancelled(n);
  const t =
    opts.template ??
    (await p.select({ message: "Template", options: templates.map((x) => ({ value: x.name, label: x.name, hint: x.summary })) }));
  cancelled(t);
  const chosen = templates.find((x) => x.name === t);
  const title = opts.title ?? (await p.text({ message: "Title", placeholder: String(n), defaultValue: String(n) }));
  cancelled(title);
  const category = opts.category ?? (await p.text({ message: "Category", placeholder: chosen?.category, defaultValue: chosen?.category ?? "" }));
  cancelled(category);
  p.outro("creating it");
  return { name: String(n), template: String(t), title: String(title), category: String(category), ...(opts.description ? { description: opts.description } : {}) };
}
