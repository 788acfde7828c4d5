import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

const DATA = new URL("../data/shapes-voc/", import.meta.url).pathname;
/** The manifest's sample: SSDlite at 96 px on the bundled shapes, 16 epochs, validated every 4. */
const SAMPLE = ["--set", "image_size=96", "--set", "epochs=16", "--set", "batch_size=8", "--set", "learning_rate=0.003", "--set", "eval_every_epochs=4"];
const files = (dir: string) => readdirSync(dir).filter((f) => f !== "_SUCCESS").sort(); // the runner's completion marker

/** A copy of the sample data, changed by `edit`. */
function brokenCopy(edit: (root: string) => void): string {
  const root = join(tempDir("aves2-voc-"), "voc");
  cpSync(DATA, root, { recursive: true });
  edit(root);
  return root;
}

/** A run the entry refuses: its worker exits 2 with one error line, so does the command; nothing is trained. */
async function refused(args: string[]): Promise<string> {
  const runs = tempDir();
  const r = await runCli(["run", "object-detection", ...SAMPLE, ...args], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const errors = r.stdout.split("\n").filter((l) => l.startsWith("error: "));
  expect(errors, r.stdout).toHaveLength(1);
  expect(r.stdout).toContain(`worker-0 exited with code 2: ${errors[0]}`);
  expect(r.stdout + r.stderr).not.toMatch(/Traceback/);
  const [runId] = readdirSync(runs);
  expect(existsSync(join(runs, runId!, "output/output_path/last.pt"))).toBe(false);
  return errors[0]!.replace(/\/\S*\/data\/tfrecords_dir\//g, "<data>/");
}

describe("object-detection end to end on the local backend", () => {
  it("trains the sample on the bundled VOC shapes above mAP@0.5 0.5 and writes the outputs", async () => {
    const runs = tempDir();
    const out = tempDir();
    const r = await runCli(["run", "object-detection", ...SAMPLE, "--output", `output_path=${out}`], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/data: train: Pascal VOC, train: 64 images, 137 objects \(circle 50, square 47, triangle 40\) \(classes from ImageSets\/label_map.pbtxt\)/);
    expect(r.stdout).toMatch(/model: ssdlite320_mobilenet_v3_large → torchvision ssdlite320_mobilenet_v3_large .* images resized to 96x96 px, 3 classes \+ background/);

    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(result.map).toBeGreaterThan(0.5);
    for (const k of ["map_50_95", "precision", "recall"]) expect(result[k], k).toEqual(expect.any(Number));
    expect(Object.keys(result.ap_per_class)).toEqual(["circle", "square", "triangle"]);
    expect(files(out)).toEqual(["best.pt", "curves.csv", "curves.png", "label_map.pbtxt", "last.pt", "metrics.json", "model.pt", "result.json"]);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(metrics.epochs.map((e: { val_map: number | null }) => e.val_map !== null)).toEqual([false, false, false, true, false, false, false, true, false, false, false, true, false, false, false, true]);

    const [runId] = readdirSync(runs);
    const record = JSON.parse(readFileSync(join(runs, runId!, "run.json"), "utf8"));
    expect(record.metrics.summary).toMatchObject({ map: result.map, epochs: 16 });
  }, 300_000);

  it("refuses an image listed in ImageSets but missing, naming the list and line", async () => {
    const data = brokenCopy((root) => rmSync(join(root, "JPEGImages/000005.jpg")));
    expect(await refused(["--input", `tfrecords_dir=${data}`])).toBe(
      "error: <data>/ImageSets/Main/train.txt:6: image 000005: no JPEGImages/000005.jpg (nor .jpeg/.png, nor its <filename>) (add the image, or take it off the list)",
    );
  }, 120_000);

  it("refuses a box with xmax < xmin, naming the annotation", async () => {
    const data = brokenCopy((root) => {
      const xml = join(root, "Annotations/000003.xml");
      writeFileSync(xml, readFileSync(xml, "utf8").replace("<xmin>38</xmin>", "<xmin>75</xmin>"));
    });
    expect(await refused(["--input", `tfrecords_dir=${data}`])).toBe("error: <data>/Annotations/000003.xml: object 1 (triangle): xmax < xmin (69 < 75) (the corners are swapped)");
  }, 120_000);

  it("refuses an unknown class and an empty annotation file", async () => {
    const unknown = brokenCopy((root) => {
      const xml = join(root, "Annotations/000070.xml");
      writeFileSync(xml, readFileSync(xml, "utf8").replace(/<name>\w+<\/name>/, "<name>hexagon</name>"));
    });
    expect(await refused(["--input", `tfrecords_dir=${unknown}`])).toMatch(
      /^error: <data>\/Annotations\/000070.xml: object 1 \(hexagon\): unknown class "hexagon" \(the classes are circle, square, triangle \(.*label_map.pbtxt\)\)$/,
    );
    const empty = brokenCopy((root) => writeFileSync(join(root, "Annotations/000001.xml"), ""));
    expect(await refused(["--input", `tfrecords_dir=${empty}`])).toMatch(/^error: <data>\/Annotations\/000001.xml: is empty /);
  }, 120_000);

  it("refuses a detector torchvision lacks before anything starts", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "object-detection", "--set", "model_name=rfcn_resnet101"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model_name.*"rfcn_resnet101" is not one of ssdlite320_mobilenet_v3_large, /);
    expect(readdirSync(runs)).toEqual([]);
  });
});
