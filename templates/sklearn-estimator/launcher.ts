import { open } from "node:fs/promises";
import { join } from "node:path";
import { didYouMean, type Launcher } from "@aves2/core";

/** The header row of a CSV, read without loading the whole file. */
async function csvHeader(file: string): Promise<string[] | undefined> {
  const fh = await open(file).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString("utf8").split(/\r?\n/)[0] ?? "";
    return first.split(",").map((c) => c.trim());
  } finally {
    await fh.close();
  }
}

const launcher: Launcher = {
  /** A wrong target column would otherwise fail only after the interpreter and scikit-learn have loaded. */
  async preflight({ spec, inputDir }) {
    const dir = inputDir("data_dir");
    if (!dir) return [];
    const file = join(dir, "train.csv");
    const header = await csvHeader(file);
    if (!header) return [{ path: "--input data_dir", message: `${file} does not exist`, hint: "the data folder needs a train.csv" }];
    const target = String(spec.params.find((p) => p.name === "target")?.value);
    if (header.includes(target)) return [];
    return [{ path: "target", message: `"${target}" is not a column of ${file}`, hint: didYouMean(target, header) ?? `columns: ${header.join(", ")}` }];
  },
};

export default launcher;
