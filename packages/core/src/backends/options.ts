import { type Problem, UserError } from "../errors.js";

/** The value of a backend option, once parsed. */
export type OptionValue = string | number | boolean;
/** A backend's options, by key (only those given, or set away from their default). */
export type OptionValues = Readonly<Record<string, OptionValue | undefined>>;

/**
 * One option a backend declares (like TorchX's run_opts): the CLI makes a
 * flag of it on `run` and `render`, with its help; `component backends`
 * lists it; the backend gets its parsed value under `key`.
 */
export interface BackendOption {
  /** The flag without dashes: `timeout` is `--timeout <duration>`. A boolean that defaults to true is the flag `--no-<name>`. */
  readonly name: string;
  /** Where the backend finds the value in its options (e.g. `timeoutSeconds`). */
  readonly key: string;
  readonly type: "string" | "boolean" | "integer" | "duration" | "enum";
  /** How --help names the value: `<duration>`. Booleans take none. */
  readonly valueName?: string;
  /** What the backend does when it is not given (booleans: false unless said). */
  readonly default?: OptionValue;
  /** For `enum`: the values it takes. */
  readonly choices?: readonly string[];
  /** The flag's line in --help. */
  readonly help: string;
  /**
   * The given text → the value (undefined: as if not given); a UserError
   * for a bad one, naming the flag. Default: the text as it is (integers: a
   * whole number).
   */
  readonly parse?: (raw: string, flag: string) => OptionValue | undefined;
  /** A rule across options (given as typed, before parsing): the problem, if any. */
  readonly check?: (given: Readonly<Record<string, unknown>>) => Omit<Problem, "path"> | undefined;
}

/** `--timeout <duration>`, `--no-preflight`, `--create-secret`: the flag as --help shows it. */
export function optionFlag(o: BackendOption): string {
  if (o.type === "boolean") return o.default === true ? `--no-${o.name}` : `--${o.name}`;
  return `--${o.name} ${o.valueName ?? `<${o.type === "integer" ? "n" : "value"}>`}`;
}

/** `k8s-engine` → `k8sEngine`: where commander puts a flag's value. */
export function flagKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The values of `options` among the flags given (by their flag keys), every
 * problem at once. Booleans count when they differ from their default.
 */
export function parseOptions(options: readonly BackendOption[], given: Readonly<Record<string, unknown>>): Record<string, OptionValue> {
  const problems: Problem[] = [];
  const out: Record<string, OptionValue> = {};
  for (const o of options) {
    const raw = given[flagKey(o.name)];
    const flag = optionFlag(o).split(" ")[0]!;
    if (o.type === "boolean") {
      if (raw !== undefined && Boolean(raw) !== (o.default === true)) out[o.key] = Boolean(raw);
    } else if (raw !== undefined) {
      try {
        const v = parseValue(o, String(raw), flag);
        if (v !== undefined) out[o.key] = v;
      } catch (e) {
        if (e instanceof UserError) problems.push(...e.problems);
        else throw e;
      }
    }
    const bad = raw === undefined || (o.type === "boolean" && !raw) ? undefined : o.check?.(given);
    if (bad) problems.push({ path: flag, ...bad });
  }
  if (problems.length > 0) throw new UserError(problems);
  return out;
}

function parseValue(o: BackendOption, raw: string, flag: string): OptionValue | undefined {
  if (o.parse) return o.parse(raw, flag);
  if (o.type === "integer") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(n)) throw UserError.of(`"${raw}" is not a whole number`, { path: flag });
    return n;
  }
  if (o.type === "enum" && o.choices && !o.choices.includes(raw)) throw UserError.of(`"${raw}" is not one of ${o.choices.join(", ")}`, { path: flag });
  return raw;
}
