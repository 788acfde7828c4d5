import type { Launcher } from "@aves2/core";

/** No preflight: the entry checks the checkpoint and the data before running, naming the file of each problem. */
const launcher: Launcher = {};

export default launcher;
