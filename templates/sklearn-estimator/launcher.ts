import { type Launcher, tablePreflight } from "@aves2/core";

const launcher: Launcher = {
  /**
   * Bad rows or a wrong target would otherwise fail only after the interpreter
   * and scikit-learn have loaded; the words are those train.py would print.
   */
  preflight: tablePreflight({ data: "data_dir", files: ["train.csv"], task: "classification", target: "target", validation: "val.csv" }),
};

export default launcher;
