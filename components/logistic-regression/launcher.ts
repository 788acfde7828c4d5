import { type Launcher, type RunSpec, tablePreflight } from "@aves2/core";

/** scikit-learn's solvers for each penalty; src/run.py checks the same for runs this launcher never sees (AVES2). */
const SOLVERS: Readonly<Record<string, readonly string[]>> = {
  l1: ["liblinear", "saga"],
  l2: ["newton-cg", "lbfgs", "liblinear", "sag", "saga"],
  elasticnet: ["saga"],
  none: ["newton-cg", "lbfgs", "sag", "saga"],
};

const param = (spec: RunSpec, name: string) => String(spec.params.find((p) => p.name === name)?.value);

const launcher: Launcher = {
  check(spec) {
    const [penalty, solver] = [param(spec, "penalty"), param(spec, "solver")];
    const solvers = SOLVERS[penalty];
    if (!solvers || solvers.includes(solver)) return [];
    return [{ path: "--solver", message: `${solver} does not support the ${penalty} penalty`, hint: `with --penalty ${penalty} use ${solvers.join(" or ")}` }];
  },
  preflight: tablePreflight({ data: "data_dir", files: ["train.csv"], task: "classification", target: "target", validation: "val.csv" }),
};

export default launcher;
