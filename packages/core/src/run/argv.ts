import type { ParamValue } from "../manifest/types.js";

/**
 * The process contract: `<command...> --<param> <value> ... --<input> <dir> ... --<output> <dir> ...`,
 * an argv array that is never handed to a shell, so values are data whatever they contain.
 */
export function buildArgv(
  command: readonly string[],
  params: readonly { name: string; value: ParamValue }[],
  inputs: readonly { name: string; dir: string }[],
  outputs: readonly { name: string; dir: string }[],
): string[] {
  const argv = [...command];
  for (const p of params) argv.push(`--${p.name}`, String(p.value));
  for (const i of inputs) argv.push(`--${i.name}`, i.dir);
  for (const o of outputs) argv.push(`--${o.name}`, o.dir);
  return argv;
}
