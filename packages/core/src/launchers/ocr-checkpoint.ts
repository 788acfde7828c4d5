import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Problem } from "../errors.js";

/**
 * What a model folder holds, as far as its first bytes tell, for the OCR
 * components' preflight: a crnn-ocr checkpoint, or an image classifier's, a
 * detector's, the upstream's TensorFlow files. The entry checks it again.
 */

/** The string a pickled dict maps `key` to (protocol 2, as torch.save writes; data.pkl is stored uncompressed first in its zip). */
export function pickledString(head: Buffer, key: string): string | undefined {
  const k = Buffer.from(key, "utf8");
  const tag = Buffer.concat([Buffer.from([0x58]), Buffer.from(new Uint32Array([k.length]).buffer), k]);
  let at = head.indexOf(tag);
  if (at < 0) return undefined;
  at += tag.length;
  if (head[at] === 0x71) at += 2; // BINPUT
  else if (head[at] === 0x72) at += 5; // LONG_BINPUT
  if (head[at] !== 0x58 || at + 5 > head.length) return undefined;
  const n = head.readUInt32LE(at + 1);
  return head.subarray(at + 5, at + 5 + n).toString("utf8");
}

/** What model_save_dir holds, as far as its first bytes tell: a problem unless it is crnn-ocr's checkpoint. */
export function checkModelDir(dir: string, component: string): Problem[] {
  const hint = `${component} reads crnn-ocr's model_save_dir, e.g. --input model_save_dir=run:<run-id>/model_save_dir`;
  if (!existsSync(dir)) return [{ path: "--model_save_dir", message: `${dir} does not exist`, hint }];
  let file = dir;
  if (statSync(dir).isDirectory()) {
    const names = readdirSync(dir);
    const pts = names.filter((n) => (n.endsWith(".pt") || n.endsWith(".pth")) && n !== "last.pt");
    const found = ["model.pt", "best.pt"].find((n) => names.includes(n)) ?? (pts.length === 1 ? pts[0] : undefined);
    if (!found) {
      if (names.some((n) => n.includes(".ckpt") || n.endsWith(".index") || n === "checkpoint")) {
        return [{ path: "--model_save_dir", message: `${dir} holds TensorFlow checkpoints (the upstream CRNN's), which this PyTorch net cannot read`, hint: "train one with crnn-ocr and give its model_save_dir" }];
      }
      return [{ path: "--model_save_dir", message: `${dir} has no model.pt`, hint }];
    }
    file = join(dir, found);
  }
  const fd = openSync(file, "r");
  const head = Buffer.alloc(Math.min(statSync(file).size, 1 << 18));
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (head.subarray(0, 2).toString("latin1") !== "PK") return []; // not torch's zip format: the entry reads it
  const task = pickledString(head, "task");
  if (task === "text-recognition") return [];
  const name = pickledString(head, "model_name");
  let why = "is not a crnn-ocr checkpoint (no task and characters)";
  if (task) why = `is a ${task} checkpoint${name ? ` (${name})` : ""}, not a text recogniser`;
  else if (head.includes(Buffer.from("classes")) || head.includes(Buffer.from("num_class"))) why = `is an image-classification checkpoint${name ? ` (model_name ${name})` : ""}, not a text recogniser`;
  return [{ path: "--model_save_dir", message: `${file} ${why}`, hint }];
}
