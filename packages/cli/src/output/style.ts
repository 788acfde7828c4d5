/** Colour only on a terminal that wants it (NO_COLOR, FORCE_COLOR respected). */
const enabled = (stream: NodeJS.WriteStream) =>
  !process.env.NO_COLOR && (process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== "0" : Boolean(stream.isTTY) && process.env.TERM !== "dumb");

const wrap = (code: number, reset: number) => (s: string, stream: NodeJS.WriteStream = process.stdout) =>
  enabled(stream) ? `\x1b[${code}m${s}\x1b[${reset}m` : s;

export const bold = wrap(1, 22);
export const dim = wrap(2, 22);
export const red = wrap(31, 39);
export const green = wrap(32, 39);
export const yellow = wrap(33, 39);
export const cyan = wrap(36, 39);

export function stateColor(state: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (state === "succeeded") return green(state, stream);
  if (state === "failed") return red(state, stream);
  if (state === "canceled") return yellow(state, stream);
  return cyan(state, stream);
}
