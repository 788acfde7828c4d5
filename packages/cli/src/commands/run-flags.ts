import { type Command, Option } from "commander";
import { collect } from "../program.js";

/** The flags that describe a run, shared by `run` and `render`. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option("-s, --set <name=value>", "set a param (repeatable; wins over --params)", collect)
    .option("-p, --params <file.yaml>", "read params from a YAML mapping (repeatable; later files win)", collect)
    .option("-i, --input <name=uri>", "bind an input to a folder or URI (repeatable)", collect)
    .option("--output <name=uri>", "save an output to a folder or URI after the run (repeatable)", collect)
    .option("--code <uri>", "use this source folder instead of the component's bundled code")
    .option("-b, --backend <name>", "where to run: local (default)")
    .addOption(new Option("--distribute <type>", "distribution type").choices(["none", "PYTORCH_DDP", "TF_PS", "HOROVOD"]))
    .option("--workers <n>", "number of workers (with --distribute)")
    .option("-r, --resource <role.key=value>", "override a resource, e.g. worker.cpu=8, worker.mem=16 (GiB), worker.gpu=1, ps.count=2 (repeatable)", collect)
    .option("--name <text>", "a human name for the run")
    .option("--python <path>", "Python interpreter for local runs (default: the first that has the component's modules)");
}
