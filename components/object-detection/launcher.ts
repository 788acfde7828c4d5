import type { Launcher } from "@aves2/core";

/** No preflight: the entry checks the dataset (every box, image and class) before training, naming the file of each problem. */
const launcher: Launcher = {};

export default launcher;
