import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatProblem, type PreflightContext, type Problem, type RunSpec, readTable, type TableTask, tablePreflight } from "../../src/index.js";
import { readCsvFile } from "../../src/launchers/table/csv-file.js";
import { CsvSyntaxError, CsvTokenizer } from "../../src/launchers/table/csv-tokenizer.js";

/** The cases the Python reader (aves2_runtime.tables) must pass too. */
const CASES_FILE = fileURLToPath(new URL("../../../python-runtime/tests/fixtures/tables/cases.json", import.meta.url));

interface Case {
  name: string;
  files: Record<string, string | { base64: string }>;
  read: { files: string[]; task: TableTask; target?: string; targetOptional?: boolean; model?: string; clusters?: { param: string; value: number } };
  problem?: Problem;
  expect?: { file?: string; rows: number; target: string | null; columns: { name: string; kind: string }[]; classes?: string[] };
}

const cases = JSON.parse(readFileSync(CASES_FILE, "utf8")) as Case[];

function folder(files: Case["files"]): string {
  const dir = mkdtempSync(join(tmpdir(), "aves2-table-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === "string" ? content : Buffer.from(content.base64, "base64"));
  }
  return dir;
}

const rel = (dir: string, path: string | undefined) => (path === undefined ? undefined : relative(dir, path) || ".");

describe("cases.json, shared with the Python reader", () => {
  it("are well formed: unique names, a problem or an expected summary each", () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) expect(Boolean(c.problem) !== Boolean(c.expect), c.name).toBe(true);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const dir = folder(c.files);
      const { model, ...read } = c.read;
      const r = await readTable({ dir, ...read, ...(model ? { model: join(dir, model) } : {}) });
      if (c.problem) {
        expect(r.ok ? r.summary : undefined).toBeUndefined();
        const problems = r.ok ? [] : r.problems.map((p) => ({ ...p, path: rel(dir, p.path) }));
        expect(problems).toEqual([c.problem]);
      } else {
        expect(r.ok ? undefined : r.problems).toBeUndefined();
        const s = r.ok ? r.summary : undefined;
        const got = { ...(c.expect!.file ? { file: rel(dir, s?.file) } : {}), rows: s?.rows, target: s?.target ?? null, columns: s?.columns, ...(s?.classes ? { classes: s.classes } : {}) };
        expect(got).toEqual(c.expect);
      }
    });
  }
});

describe("the CSV tokenizer", () => {
  const records = (pieces: string[]) => {
    const t = new CsvTokenizer();
    const out: [number, string[]][] = [];
    const on = (fields: string[], line: number) => out.push([line, fields]) > 0;
    try {
      for (const p of pieces) t.push(p, on);
      t.end(on);
    } catch (e) {
      if (!(e instanceof CsvSyntaxError)) throw e;
      out.push([e.line, [e.message]]);
    }
    return out;
  };

  it("reads the same records whatever the pieces the text comes in", () => {
    for (const c of cases) {
      for (const text of Object.values(c.files)) {
        if (typeof text !== "string") continue;
        expect(records([...text]), c.name).toEqual(records([text]));
      }
    }
  });

  it("keeps quoted line ends and doubled quotes, and numbers records by their first line", () => {
    expect(records(['a,"b\r\nc","say ""x"""\r\n\r\n"",\n'])).toEqual([
      [1, ["a", "b\r\nc", 'say "x"']],
      [4, ["", ""]],
    ]);
  });
});

describe("reading a file in chunks", () => {
  it("keeps a character whose bytes straddle two chunks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aves2-table-"));
    const file = join(dir, "train.csv");
    const head = "a,label\n";
    // "é" is 2 bytes: put its first byte last in the first 1 MiB chunk
    const pad = "x".repeat((1 << 20) - head.length - 3);
    writeFileSync(file, `${head}1,${pad}é\n2,y\n`);
    const seen: string[] = [];
    const end = await readCsvFile(file, (fields) => seen.push(fields[1]!.slice(-2)) > 0);
    expect(end).toEqual({ kind: "read" });
    expect(seen).toEqual(["label".slice(-2), "xé", "y"]);
  });
});

function spec(params: Record<string, string | number>): RunSpec {
  return { params: Object.entries(params).map(([name, value]) => ({ name, value, from: "--set" })) } as unknown as RunSpec;
}

const JOBLIB = "a stand-in for a pickled pipeline\n";
function modelFolder(dir: string, over: Record<string, unknown> = {}): string {
  const m = join(dir, "model");
  mkdirSync(m, { recursive: true });
  writeFileSync(join(m, "model.joblib"), JOBLIB);
  const record = {
    format: "aves2-sklearn-model/1",
    file: "model.joblib",
    sha256: createHash("sha256").update(JOBLIB).digest("hex"),
    task: "classification",
    component: "random-forest-classifier",
    target: "label",
    features: [
      { name: "a", kind: "numeric" },
      { name: "b", kind: "categorical" },
    ],
    ...over,
  };
  writeFileSync(join(m, "model.json"), JSON.stringify(record));
  return m;
}

describe("tablePreflight", () => {
  const train = tablePreflight({ data: "data_dir", files: ["train.csv"], task: "classification", target: "target" });

  it("refuses a wrong target before the run, in the run's words", async () => {
    const data = folder({ "train.csv": "sepal_length,sepal_width,label\n5.1,3.5,setosa\n4.9,3.0,versicolor\n" });
    const problems = await train({ spec: spec({ target: "lable" }), inputDir: (n) => (n === "data_dir" ? data : undefined) });
    expect(problems?.map(formatProblem)).toEqual([`${join(data, "train.csv")}:1: has no column "lable" (did you mean "label"?)`]);
  });

  it("accepts good data, the target unset meaning the last column", async () => {
    const data = folder({ "train.csv": "a,b,label\n1,x,p\n2,y,q\n" });
    expect(await train({ spec: spec({}), inputDir: () => data })).toEqual([]);
    expect(await train({ spec: spec({ target: "" }), inputDir: () => data })).toEqual([]);
  });

  it("skips inputs that are unbound or not local: the run checks those", async () => {
    const none: PreflightContext["inputDir"] = () => undefined;
    expect(await train({ spec: spec({ target: "nope" }), inputDir: none })).toEqual([]);
    const data = folder({ "test.csv": "a,b\nnot,read\n" });
    const predict = tablePreflight({ data: "data_dir", files: ["test.csv"], task: "classification", target: "target", targetOptional: true, model: "model_dir" });
    expect(await predict({ spec: spec({}), inputDir: (n) => (n === "data_dir" ? data : undefined) })).toEqual([]);
  });

  it("reads training's val.csv, when there, with train.csv's columns and target", async () => {
    const withVal = tablePreflight({ data: "data_dir", files: ["train.csv"], task: "regression", target: "target", validation: "val.csv" });
    const data = folder({ "train.csv": "size,colour,price\n1,red,10\n2,blue,20\n3,red,30\n" });
    expect(await withVal({ spec: spec({}), inputDir: () => data })).toEqual([]);
    // "size" is numeric in train.csv, so "big" is wrong here even though val.csv alone would call the column categorical
    writeFileSync(join(data, "val.csv"), "price,size,colour\n15,big,red\n25,huge,blue\n");
    expect((await withVal({ spec: spec({}), inputDir: () => data }))?.map(formatProblem)).toEqual([
      `${join(data, "val.csv")}:2: column "size": "big" is not a number (the model reads this column as numbers) (fix the value, or leave it empty to have it imputed)`,
    ]);
    writeFileSync(join(data, "val.csv"), "size,colour\n1,red\n");
    expect((await withVal({ spec: spec({}), inputDir: () => data }))?.map(formatProblem)).toEqual([`${join(data, "val.csv")}:1: has no column "price" (columns: size, colour)`]);
  });

  it("names the cluster param that exceeds the rows", async () => {
    const data = folder({ "data.csv": "x,y\n1,2\n3,4\n" });
    const kmeans = tablePreflight({ data: "data_dir", files: ["data.csv"], task: "clustering", clusters: "n_clusters" });
    const problems = await kmeans({ spec: spec({ n_clusters: 3 }), inputDir: () => data });
    expect(problems).toEqual([{ path: join(data, "data.csv"), message: "has 2 rows, fewer than n_clusters (3)", hint: "lower n_clusters" }]);
    expect(await kmeans({ spec: spec({ n_clusters: 2 }), inputDir: () => data })).toEqual([]);
  });

  it("stops at a model folder's problem: the rows are not judged against a model that will not load", async () => {
    const data = folder({ "val.csv": "b,a,label\nx,1,p\ny,two,q\nz,3,p\n" });
    const model = modelFolder(data);
    writeFileSync(join(model, "model.joblib"), "changed\n");
    const evaluate = tablePreflight({ data: "data_dir", files: ["val.csv", "test.csv"], task: "classification", target: "target", model: "model_dir" });
    const problems = await evaluate({ spec: spec({}), inputDir: (n) => ({ data_dir: data, model_dir: model })[n] });
    expect(problems?.map((p) => p.message)).toEqual([expect.stringMatching(/^model\.joblib does not match model\.json \(SHA-256 [0-9a-f]{12} ≠ [0-9a-f]{12}\)/)]);
    const regression = tablePreflight({ data: "data_dir", files: ["val.csv", "test.csv"], task: "regression", target: "target", model: "model_dir" });
    expect((await regression({ spec: spec({}), inputDir: (n) => ({ data_dir: data, model_dir: model })[n] }))?.map((p) => p.message)).toEqual([
      "holds a classification model (trained by random-forest-classifier), not a regression model",
    ]);
  });

  it("accepts a model folder whose file matches its record", async () => {
    const data = folder({ "test.csv": "a,b\n1,x\n" });
    const model = modelFolder(data);
    const predict = tablePreflight({ data: "data_dir", files: ["test.csv", "val.csv", "train.csv"], task: "classification", target: "target", targetOptional: true, model: "model_dir" });
    expect(await predict({ spec: spec({}), inputDir: (n) => ({ data_dir: data, model_dir: model })[n] })).toEqual([]);
  });
});

describe("large files", () => {
  const ROWS = 200_000;
  function big(lastLine?: string): string {
    const dir = mkdtempSync(join(tmpdir(), "aves2-table-"));
    const lines = ["id,x,y,color,note,label"];
    const colors = ["red", "green", "blue"];
    for (let i = 0; i < ROWS; i++) lines.push(`${i},${(i * 0.37).toFixed(3)},${i % 97 === 0 ? "NA" : i % 13},${colors[i % 3]},"row ${i}, quoted",${i % 2 ? "yes" : "no"}`);
    if (lastLine) lines.push(lastLine);
    writeFileSync(join(dir, "train.csv"), `${lines.join("\r\n")}\r\n`);
    return dir;
  }

  // how long it takes is measured by `pnpm bench catalog` (TS preflight, 200,000 rows), not asserted here
  it(`reads ${ROWS} rows`, async () => {
    const dir = big();
    const r = await readTable({ dir, files: ["train.csv"], task: "classification" });
    expect(r).toEqual({
      ok: true,
      summary: {
        file: join(dir, "train.csv"),
        rows: ROWS,
        target: "label",
        columns: [
          { name: "id", kind: "numeric" },
          { name: "x", kind: "numeric" },
          { name: "y", kind: "numeric" },
          { name: "color", kind: "categorical" },
          { name: "note", kind: "categorical" },
        ],
        classes: ["no", "yes"],
      },
    });
  });

  it("finds a problem on the last line", async () => {
    const dir = big(`${ROWS},1.0,oops,red,"last",no`);
    const r = await readTable({ dir, files: ["train.csv"], task: "classification" });
    expect(r.ok ? [] : r.problems).toEqual([
      {
        path: join(dir, "train.csv"),
        line: ROWS + 2,
        message: `column "y": "oops" is not a number (the column's other values are numbers)`,
        hint: "fix the value, or leave it empty to have it imputed",
      },
    ]);
  });

  it("finds a quote never closed on the last line", async () => {
    const dir = big(`${ROWS},1.0,2,red,"last,no`);
    const r = await readTable({ dir, files: ["train.csv"], task: "classification" });
    expect(r.ok ? [] : r.problems.map((p) => [p.line, p.message])).toEqual([[ROWS + 2, "has a quote that is never closed"]]);
  });
});
