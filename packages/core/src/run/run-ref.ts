import { RUN_REF_PREFIX } from "@aves2/storage/uri";
import { UserError } from "../errors.js";

/**
 * The syntax of a run reference, `run:<run>/<output>`: another run's output
 * named where an input's URI goes. Pure; run-refs.ts resolves them.
 */

export { isRunRef, RUN_REF_PREFIX } from "@aves2/storage/uri";

/** Which run: an id, a unique prefix of one, the newest one, or the newest of a component. */
export type RunSelector =
  | { readonly kind: "id"; readonly idOrPrefix: string }
  | { readonly kind: "latest" }
  | { readonly kind: "component-latest"; readonly component: string };

export interface RunRef {
  readonly run: RunSelector;
  readonly output: string;
}

// loose on purpose: a name that is merely unknown gets "no run" or a did-you-mean, not "malformed"
const NAME_RE = /^[^/@\s]+$/;

/** `run:<run-id or prefix>/<output>`, `run:latest/<output>`, `run:<component>@latest/<output>`; `what` names it in errors. */
export function parseRunRef(raw: string, what: string): RunRef {
  const s = raw.trim();
  const body = s.slice(RUN_REF_PREFIX.length).replace(/\/+$/, "");
  const slash = body.indexOf("/");
  const run = slash < 0 ? body : body.slice(0, slash);
  const output = slash < 0 ? "" : body.slice(slash + 1);
  const at = run.indexOf("@");
  const component = at < 0 ? undefined : run.slice(0, at);
  const ok = NAME_RE.test(component ?? run) && (at < 0 || run.slice(at + 1) === "latest") && NAME_RE.test(output);
  if (!ok) {
    throw UserError.of(`malformed run reference "${s}": expected run:<run-id>/<output>`, {
      path: what,
      hint: "or run:latest/<output>, run:<component>@latest/<output>; `component runs` lists the runs",
    });
  }
  if (component !== undefined) return { run: { kind: "component-latest", component }, output };
  return { run: run === "latest" ? { kind: "latest" } : { kind: "id", idOrPrefix: run }, output };
}

/** How a reference is recorded once resolved: the full run id, so it names one run for good. */
export function formatRunRef(runId: string, output: string): string {
  return `${RUN_REF_PREFIX}${runId}/${output}`;
}
