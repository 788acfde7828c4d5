import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { REPO } from "@aves2/testkit";
import { type JobRequestOptions, jobToRequest } from "../../src/aves2/from-job.js";
import { parseJobFile } from "../../src/aves2/parse.js";
import { UserError } from "../../src/errors.js";
import { loadComponent } from "../../src/manifest/load.js";
import type { Component } from "../../src/manifest/types.js";
import { resolveRun } from "../../src/run/spec.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const fixture = (name: string) => `${FIXTURES}${name}`;
export const readFixture = (name: string) => readFileSync(fixture(name), "utf8");

export const mobilenet = loadComponent(`${REPO}components/mobilenet-v2`);
export const distDemo = loadComponent(fixture("dist-demo"));
const catalog: Component[] = [mobilenet, distDemo];

export const fixed = { now: new Date("2026-01-02T03:04:05Z"), random: () => 0.5 };

export function options(over: Partial<JobRequestOptions> = {}): JobRequestOptions {
  return {
    findComponent: (ref) => {
      const c = catalog.find((x) => x.name === ref.split("@")[0]);
      if (!c) throw UserError.of(`unknown component "${ref}"`, { hint: "known components: mobilenet-v2, dist-demo" });
      return c;
    },
    components: () => catalog,
    cwd: "/work",
    backend: "aves2",
    nfsMounts: () => [],
    ...over,
  };
}

/** A job file's text → the RunSpec it means. */
export function specOf(text: string, file = "job.yaml", over: Partial<JobRequestOptions> = {}) {
  const { component, request, matchedBy } = jobToRequest(parseJobFile(text, file), options(over));
  return { spec: resolveRun(component, request, fixed), matchedBy, request };
}

/** The problems a function throws as a UserError, formatted as the CLI prints them. */
export function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.message.split("\n");
    throw e;
  }
  throw new Error("no UserError was thrown");
}
