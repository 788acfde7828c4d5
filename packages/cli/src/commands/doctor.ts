import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { green, red } from "../output/style.js";
import { table } from "../output/table.js";

export function doctorCommand(): Command {
  return new Command("doctor")
    .description("check this machine: Node, Python interpreters and the modules each component needs, config")
    .option("--json", "print JSON")
    .option("--python <path>", "check this interpreter only")
    .addHelpText("after", "\nExamples:\n  $ pnpm component doctor\n  $ AVES2_PYTHON=/usr/bin/python3 pnpm component doctor --json")
    .action(async (opts: { json?: boolean; python?: string }) => {
      const { defaultCandidates, findCredentials, loadCatalog, probePython, s3Settings } = await import("@aves2/core");
      const ctx = await context(opts);
      const components = loadCatalog(ctx.root).flatMap((e) => (e.component ? [e.component] : []));
      const modules = [...new Set(components.flatMap((c) => c.runtime.python?.modules ?? []))];
      const candidates = ctx.config.python ? [ctx.config.python.value] : defaultCandidates();
      const probes = await Promise.all(candidates.map((c) => probePython(c, modules)));
      const perComponent = components.map((c) => {
        const need = c.runtime.python?.modules ?? [];
        const ok = probes.find((p) => p.executable && need.every((m) => !p.missing.includes(m)));
        const install = [...new Set(need.map((m) => c.runtime.python?.packages[m]).filter(Boolean))];
        return { component: c.name, needs: need, python: ok?.executable ?? null, ...(ok ? {} : { install: install.length ? `apt-get install ${install.join(" ")}` : undefined }) };
      });
      // where s3:// settings and credentials come from; the keys themselves are never shown
      const s3 = ctx.config.s3;
      const credentials = await findCredentials(s3Settings(s3)).then(
        (c) => ({ source: c.source }),
        (e: unknown) => ({ missing: (e as Error).message }),
      );
      const report = {
        node: process.version,
        root: ctx.root,
        config: { python: ctx.config.python ?? null, runsDir: ctx.config.runsDir, backend: ctx.config.backend, files: ctx.config.files },
        s3: { ...s3, credentials },
        interpreters: probes,
        components: perComponent,
        ok: perComponent.every((c) => c.python !== null) && Number(process.versions.node.split(".")[0]) >= 20,
      };
      if (opts.json) process.stdout.write(json(report));
      else {
        const out = [
          `node ${process.version}   catalog ${ctx.root}`,
          `runs folder: ${ctx.config.runsDir.value} (${ctx.config.runsDir.source})`,
          `python: ${ctx.config.python ? `${ctx.config.python.value} (${ctx.config.python.source})` : "searched (set AVES2_PYTHON or `python:` in aves2.config.yaml to choose)"}`,
          `s3 endpoint: ${s3.endpoint ? `${s3.endpoint.value} (${s3.endpoint.source})` : "AWS (no endpoint set)"}   region: ${s3.region.value} (${s3.region.source})   path-style: ${s3.pathStyle.value}`,
          `s3 credentials: ${"source" in credentials ? credentials.source : `none found (needed only for s3:// data; ${credentials.missing})`}`,
          "",
          table(
            ["INTERPRETER", "VERSION", "MISSING MODULES"],
            probes.map((p) => [p.executable ?? p.command, p.version ?? "-", p.error ?? (p.missing.length ? p.missing.join(", ") : green("none"))]),
          ),
          "",
          table(
            ["COMPONENT", "NEEDS", "RUNS WITH"],
            perComponent.map((c) => [c.component, c.needs.join(", ") || "-", c.python ?? red(`no interpreter: ${c.install ?? "install the modules"}`)]),
          ),
        ];
        process.stdout.write(`${out.join("\n")}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
