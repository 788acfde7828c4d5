import { describe, expect, it } from "vitest";
import { describeReplacedCode, jobToRequest } from "../../src/aves2/from-job.js";
import { parseJobFile } from "../../src/aves2/parse.js";
import { UserError } from "../../src/errors.js";
import { loadComponent } from "../../src/manifest/load.js";
import type { Component } from "../../src/manifest/types.js";
import { resolveRun } from "../../src/run/spec.js";
import { distDemo, fixed, fixture, mobilenet, options, problemsOf, readFixture } from "./helpers.js";

/** Three components that replace upstream AVES2 entries, all `python3 run.py` like the upstream's. */
const rfClassifier = loadComponent(fixture("upstream/rf-classifier"));
const rfRegressor = loadComponent(fixture("upstream/rf-regressor"));
const treeClassifier = loadComponent(fixture("upstream/tree-classifier"));
const catalog: Component[] = [mobilenet, distDemo, rfClassifier, rfRegressor, treeClassifier];

const opts = (ref?: string) =>
  options({
    ...(ref ? { ref } : {}),
    components: () => catalog,
    findComponent: (r) => {
      const c = catalog.find((x) => x.name === r.split("@")[0]);
      if (!c) throw UserError.of(`unknown component "${r}"`);
      return c;
    },
  });

const JOB = readFixture("upstream-rf-job.yaml");
const withSource = (path: string, text = JOB) => text.replace("s3://aves2/opensource/components/ml/classification/randomForest/", path);
const requestOf = (text: string, ref?: string) => jobToRequest(parseJobFile(text, "job.yaml"), opts(ref));

describe("job files of upstream AVES2 components (all `python3 run.py`)", () => {
  it("chooses the component whose upstream folder the source_code names, and runs its own code instead", () => {
    const r = requestOf(JOB);
    expect(r.component.name).toBe("rf-classifier");
    expect(r.matchedBy).toBe("upstream folder");
    expect(r.request.code).toBeUndefined();
    expect(r.replacedCode).toEqual({ uri: "s3://aves2/opensource/components/ml/classification/randomForest/", upstream: "ml/classification/randomForest", component: "rf-classifier" });
    expect(describeReplacedCode(r.replacedCode!)).toBe(
      "source_code s3://aves2/opensource/components/ml/classification/randomForest/ is the upstream ml/classification/randomForest, which rf-classifier replaces: its own code runs instead",
    );
    const spec = resolveRun(r.component, r.request, fixed);
    // no code given: the component's bundled folder
    expect(spec.code).toEqual({ scheme: "file", path: rfClassifier.sourceDir });
    expect(spec.params.map((p) => [p.name, p.value])).toEqual([
      ["n_estimators", 50],
      ["max_depth", "None"],
    ]);
  });

  it("tells classification from regression by the last two folders, in any case, wherever the upstream was copied", () => {
    const reg = requestOf(withSource("s3://team/mirror/aves2_algorithm_components/src/ml/Regression/RandomForest/"));
    expect([reg.component.name, reg.matchedBy, reg.replacedCode?.upstream]).toEqual(["rf-regressor", "upstream folder", "ml/regression/randomForest"]);
    const onNode = withSource("/data/aves2_algorithm_components/src/ml/classification/decisionTree").replace("storage_mode: OSSFile", "storage_mode: HostPath");
    const tree = requestOf(onNode);
    expect([tree.component.name, tree.replacedCode?.uri]).toEqual(["tree-classifier", "hostpath:///data/aves2_algorithm_components/src/ml/classification/decisionTree"]);
  });

  it("needs both folders, consecutive: randomForest alone, or split by another folder, names no component", () => {
    for (const path of ["s3://aves2/code/randomForest/", "s3://aves2/classification/v2/randomForest/", "s3://aves2/randomForest/classification/"]) {
      expect(problemsOf(() => requestOf(withSource(path))), path).toEqual([
        "job.yaml:18: running_spec.cmd: is the command of several components: rf-classifier, rf-regressor, tree-classifier (add component: <name> to choose one)",
      ]);
    }
  });

  it("still prefers a source path that names a component (its published code), and keeps that code", () => {
    const r = requestOf(withSource("s3://aves2/components/rf-regressor/1.0.0/"));
    expect([r.component.name, r.matchedBy]).toEqual(["rf-regressor", "command"]);
    expect(r.request.code).toBe("s3://aves2/components/rf-regressor/1.0.0/");
    expect(r.replacedCode).toBeUndefined();
  });

  it("drops the upstream's code however the component was chosen, but only its own upstream's", () => {
    const byKey = requestOf(`component: rf-classifier\n${JOB}`);
    expect([byKey.matchedBy, byKey.request.code, byKey.replacedCode?.upstream]).toEqual(["component key", undefined, "ml/classification/randomForest"]);
    const byArg = requestOf(JOB, "rf-classifier");
    expect([byArg.matchedBy, byArg.request.code]).toEqual(["argument", undefined]);
    // another component's upstream code is not this one's to replace: it is kept (and runs, as asked)
    const other = requestOf(JOB, "tree-classifier");
    expect([other.component.name, other.request.code, other.replacedCode]).toEqual(["tree-classifier", "s3://aves2/opensource/components/ml/classification/randomForest/", undefined]);
  });

  it("keeps a source_code for components with no upstream, as before", () => {
    const r = jobToRequest(parseJobFile(readFixture("seed-job.yaml"), "seed-job.yaml"), opts());
    expect([r.component.name, r.matchedBy, r.request.code, r.replacedCode]).toEqual(["mobilenet-v2", "command", "s3://aves2/opensource/components/mobilenet-v2-14/", undefined]);
  });
});
