import type { TransferUpdate } from "../src/store.js";
import { describe, expect, it } from "vitest";
import { TransferView } from "../src/transfer-view.js";

function stream(tty: boolean) {
  let text = "";
  const s = {
    isTTY: tty,
    columns: 200,
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { s, text: () => text };
}

const MB = 1024 * 1024;
const base = { name: "train_data_dir", direction: "in", uri: "s3://aves2/datasets/digits/train/", totalFiles: 10, totalBytes: 10 * MB } as const;
const updates: TransferUpdate[] = [
  { ...base, files: 2, bytes: 2 * MB },
  { ...base, files: 5, bytes: 5 * MB, skippedFiles: 1, skippedBytes: MB },
  { ...base, files: 10, bytes: 10 * MB, skippedFiles: 1, skippedBytes: MB, retries: 2, done: true },
];

describe("TransferView", () => {
  it("redraws one line with files, bytes, rate and ETA on a TTY, then a summary", async () => {
    const out = stream(true);
    const v = new TransferView(out.s, "tty");
    v.update(updates[0]!);
    await new Promise((r) => setTimeout(r, 20)); // some time passes: a rate and an ETA
    v.update(updates[1]!);
    v.update(updates[2]!);
    const t = out.text();
    expect(t).toMatch(/^\r\x1b\[2K↓ train_data_dir {2}2\/10 files {2}2\.00 MB\/10\.0 MB {2}/);
    expect(t).toMatch(/\r\x1b\[2K↓ train_data_dir {2}5\/10 files {2}5\.00 MB\/10\.0 MB {2}[\d.]+ [KMG]?B\/s {2}ETA \S+, 1 unchanged/);
    expect(t).toMatch(/\r\x1b\[2K↓ train_data_dir s3:\/\/aves2\/datasets\/digits\/train\/: 10\/10 files, 10\.0 MB\/10\.0 MB in \S+ \([\d.]+ [KMG]?B\/s\), 1 unchanged, 2 retried\n$/);
  });

  it("prints plain lines when not a TTY: none for a short transfer but its summary", () => {
    const out = stream(false);
    const v = new TransferView(out.s, "lines");
    for (const u of updates) v.update(u);
    expect(out.text()).toMatch(/^↓ train_data_dir s3:\/\/aves2\/datasets\/digits\/train\/: 10\/10 files, 10\.0 MB\/10\.0 MB in \S+ \(.+\), 1 unchanged, 2 retried\n$/);
    expect(out.text()).not.toMatch(/[\r\x1b]/);

    // a long one also gets a line every `everyMs`
    const every = stream(false);
    const often = new TransferView(every.s, "lines", 0);
    for (const u of updates) often.update(u);
    expect(every.text().trim().split("\n")).toHaveLength(3);
    expect(every.text()).not.toMatch(/[\r\x1b]/);
  });

  it("emits one JSON event per update with --json", () => {
    const out = stream(false);
    const v = new TransferView(out.s, "json");
    for (const u of updates) v.update(u);
    const events = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["transfer", "transfer", "transfer-done"]);
    expect(events[2]).toMatchObject({ files: 10, totalFiles: 10, bytes: 10 * MB, retries: 2, seconds: expect.any(Number) });
  });
});
