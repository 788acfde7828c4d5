import { didYouMean } from "../../catalog/suggest.js";
import type { Problem } from "../../errors.js";
import { readCsvFile } from "./csv-file.js";
import type { ColumnKind, CsvRules, TableSummary } from "./types.js";
import { firstChars, isFraction, isMissing, isNumber, labelText, nameList, sortClasses, trim } from "./values.js";

export type CsvCheck = { readonly ok: true; readonly summary: TableSummary } | { readonly ok: false; readonly problem: Problem };

/** Reads and checks one CSV: the first problem, in TABLES.md's order, or what the file holds. */
export async function checkCsv(file: string, rules: CsvRules): Promise<CsvCheck> {
  const scan = new Scan(file, rules);
  const end = await readCsvFile(file, (fields, line) => scan.record(fields, line));
  const at = (message: string, extra: Omit<Problem, "message" | "path"> = {}): CsvCheck => ({ ok: false, problem: { path: file, ...extra, message } });
  if (end.kind === "not-utf8") return at("is not UTF-8 text", { hint: "save it as UTF-8" });
  if (end.kind === "syntax") return at(end.error.message, { line: end.error.line, hint: end.error.hint });
  if (scan.problem) return { ok: false, problem: scan.problem };
  if (!scan.header) return at("is empty", { hint: "a CSV needs a header row and at least one data row" });
  if (scan.rows === 0) return at("has a header but no data rows");
  const problem = scan.headerProblem() ?? scan.columnProblem() ?? scan.valueProblem() ?? scan.countProblem();
  return problem ? { ok: false, problem } : { ok: true, summary: scan.summary() };
}

/** One column's values so far. */
interface Counts {
  numbers: number;
  others: number;
  firstOther?: { readonly line: number; readonly value: string };
}

interface Feature {
  readonly name: string;
  readonly index: number;
  /** The model's kind; undefined: decided by this file's values. */
  readonly fixed?: ColumnKind;
}

/**
 * One pass over the records. The header's problems are reported only after
 * every record's structure (TABLES.md's order), and whether line 1 is data
 * depends on the values under it, so the columns are counted from the start
 * and judged at the end.
 */
class Scan {
  header?: readonly string[];
  /** A record's field count: the first structural problem, which stops the reading. */
  problem?: Problem;
  rows = 0;
  private headerLine = 1;
  private counts: Counts[] = [];
  private features: Feature[] = [];
  private targetName?: string;
  private target?: { readonly name: string; readonly index: number; readonly checked: boolean };
  private targetProblem?: Problem & { line: number };
  private readonly classes = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly rules: CsvRules,
  ) {}

  /** False stops the reading: after the first structural problem the rest of the file cannot be trusted. */
  record(fields: string[], line: number): boolean {
    if (!this.header) {
      this.start(fields.map(trim), line);
      return true;
    }
    if (fields.length !== this.header.length) {
      this.problem = this.at(line, `has ${fields.length} fields, the header has ${this.header.length}`, "a value that holds a comma must be in double quotes");
      return false;
    }
    this.rows++;
    for (let i = 0; i < fields.length; i++) this.count(this.counts[i]!, trim(fields[i]!), line);
    const t = this.target;
    if (t?.checked) this.checkTarget(trim(fields[t.index]!), line);
    return true;
  }

  /** Which columns are the target and the features; their problems wait for the end. */
  private start(names: readonly string[], line: number): void {
    this.header = names;
    this.headerLine = line;
    this.counts = names.map(() => ({ numbers: 0, others: 0 }));
    const { task, model, targetOptional } = this.rules;
    if (task !== "clustering") {
      const name = this.rules.target || model?.target || names[names.length - 1]!;
      const index = names.indexOf(name);
      this.targetName = name;
      if (index >= 0) this.target = { name, index, checked: !targetOptional };
    }
    this.features = model
      ? model.features.map((f) => ({ name: f.name, index: names.indexOf(f.name), fixed: f.kind }))
      : names.flatMap((name, index) => (index === this.target?.index ? [] : [{ name, index }]));
  }

  private count(c: Counts, v: string, line: number): void {
    if (isMissing(v)) return;
    if (isNumber(v)) c.numbers++;
    else {
      c.others++;
      c.firstOther ??= { line, value: v };
    }
  }

  private checkTarget(v: string, line: number): void {
    if (this.targetProblem) return;
    const { task } = this.rules;
    const t = this.target!.name;
    if (isMissing(v)) this.targetProblem = this.at(line, `the target "${t}" is empty`, "every training row needs a value to learn");
    else if (task === "regression" && !isNumber(v)) this.targetProblem = this.at(line, `column "${t}": "${v}" is not a number`, "a regression target must be numeric");
    else if (task === "classification" && isFraction(v)) {
      this.targetProblem = this.at(line, `the target "${t}" holds a fraction ("${v}"): that is a regression target`, "use a regression component, or a column of class labels");
    } else if (task === "classification") this.classes.add(labelText(v));
  }

  /** Numbers must outnumber the other values; a column with nothing in it is numeric (imputed). */
  private kind(index: number): ColumnKind {
    const c = this.counts[index]!;
    return c.numbers > c.others || c.numbers + c.others === 0 ? "numeric" : "categorical";
  }

  /** Line 1: data rather than names, an unnamed column, a name twice. */
  headerProblem(): Problem | undefined {
    const names = this.header!;
    const line = this.headerLine;
    // a column of numbers rarely has a number for a name; a column without values tells nothing
    const numeric = this.counts.flatMap((c, i) => (c.numbers > c.others ? [i] : []));
    if (numeric.length > 0 && numeric.every((i) => isNumber(names[i]!))) {
      return this.at(line, `has no header row: its first line is data (${firstChars(names.join(","), 60)})`, "add a first line that names the columns");
    }
    const seen = new Set<string>();
    for (const [i, name] of names.entries()) {
      if (name === "") return this.at(line, `column ${i + 1} has no name`, "name every column in the first line");
      if (seen.has(name)) return this.at(line, `column "${name}" appears twice`, "column names must be unique");
      seen.add(name);
    }
    return undefined;
  }

  /** The target column, feature columns, the model's feature columns. */
  columnProblem(): Problem | undefined {
    const names = this.header!;
    const line = this.headerLine;
    const t = this.targetName;
    if (t !== undefined && !this.target && !this.rules.targetOptional) {
      return this.at(line, `has no column "${t}"`, didYouMean(t, names) ?? `columns: ${nameList(names, 10)}`);
    }
    if (this.target && names.length === 1) return this.at(line, `has no feature columns, only the target "${this.target.name}"`);
    const missing = this.features.filter((f) => f.index < 0).map((f) => f.name);
    if (missing.length > 0) {
      return this.at(line, `lacks the model's feature columns: ${missing.join(", ")}`, `the model was trained on: ${this.features.map((f) => f.name).join(", ")}`);
    }
    return undefined;
  }

  /** The first bad value in file order: the lowest line, then the leftmost column. */
  valueProblem(): Problem | undefined {
    let first: { line: number; index: number; problem: Problem } | undefined;
    const consider = (line: number, index: number, problem: () => Problem) => {
      if (!first || line < first.line || (line === first.line && index < first.index)) first = { line, index, problem: problem() };
    };
    const why = this.rules.model ? "(the model reads this column as numbers)" : "(the column's other values are numbers)";
    for (const f of this.features) {
      const bad = this.counts[f.index]!.firstOther;
      // a categorical feature takes any value (one unseen in training encodes as zeros)
      if (!bad || (f.fixed ?? this.kind(f.index)) !== "numeric") continue;
      consider(bad.line, f.index, () => this.at(bad.line, `column "${f.name}": "${bad.value}" is not a number ${why}`, "fix the value, or leave it empty to have it imputed"));
    }
    const t = this.targetProblem;
    if (t) consider(t.line, this.target!.index, () => t);
    return first?.problem;
  }

  /** What only the whole file tells: the classes (training), the rows against a cluster count. */
  countProblem(): Problem | undefined {
    const { task, model, clusters } = this.rules;
    if (task === "classification" && !model && this.target?.checked && this.classes.size === 1) {
      return { path: this.file, message: `the target "${this.target.name}" has one class ("${[...this.classes][0]}")`, hint: "a classifier needs at least two classes" };
    }
    if (clusters && this.rows < clusters.value) {
      return { path: this.file, message: `has ${this.rows} rows, fewer than ${clusters.param} (${clusters.value})`, hint: `lower ${clusters.param}` };
    }
    return undefined;
  }

  summary(): TableSummary {
    const classification = this.rules.task === "classification" && this.target?.checked;
    return {
      file: this.file,
      columns: this.features.map((f) => ({ name: f.name, kind: f.fixed ?? this.kind(f.index) })),
      rows: this.rows,
      ...(this.target ? { target: this.target.name } : {}),
      ...(classification ? { classes: sortClasses(this.classes) } : {}),
    };
  }

  private at(line: number, message: string, hint?: string): Problem & { line: number } {
    return { path: this.file, line, message, ...(hint ? { hint } : {}) };
  }
}
