import { describe, expect, it } from "vitest";
import { RunProgress } from "../src/output/progress.js";

function stream(tty: boolean) {
  let text = "";
  const s = { isTTY: tty, columns: 200, write: (chunk: string) => {
      text += chunk;
      return true;
    } } as unknown as NodeJS.WriteStream;
  return { s, text: () => text };
}

describe("RunProgress", () => {
  it("draws a bar with the epoch and latest metrics on a TTY, log lines above it", () => {
    const out = stream(true);
    const p = new RunProgress(out.s, true, false);
    p.event({ type: "progress", epoch: 1, epochs: 4, step: 5, steps: 10 });
    p.log({ replica: "worker-0", stream: "stdout", text: "hello" });
    p.event({ type: "metric", epoch: 1, epochs: 4, loss: 0.5, accuracy: 0.75 });
    p.finish();
    const t = out.text();
    expect(t).toContain("\r\x1b[2Kepoch 1/4 ███░░░░░░░░░░░░░░░░░░░░░ 13% step 5/10");
    expect(t).toContain("\r\x1b[2Khello\n");
    expect(t).toMatch(/epoch 1\/4 █{6}░{18} 25% step 10\/10 {2}loss 0\.5000 {2}accuracy 0\.7500/);
    expect(t.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("prints plain lines only when not a TTY, prefixed per replica when there are several", () => {
    const out = stream(false);
    const p = new RunProgress(out.s, false, true);
    p.event({ type: "progress", epoch: 1, epochs: 4, step: 5, steps: 10 });
    p.log({ replica: "worker-1", stream: "stdout", text: "hello" });
    p.event({ type: "metric", epoch: 1, epochs: 4, loss: 0.5 });
    p.finish();
    expect(out.text()).toBe("[worker-1] hello\n");
  });
});
