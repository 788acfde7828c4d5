import {
  EVENT_ID,
  type Event,
  getScalarValue,
  load,
  parseEvents,
  type ScalarEvent,
  YAMLException,
} from "js-yaml";
import { UserError } from "../errors.js";

/**
 * YAML text parsed with js-yaml, plus the line of every key and item, so that
 * schema errors found on the parsed value can point at the line to edit.
 */
export interface YamlSource {
  readonly data: unknown;
  /** 1-based line of the node at `path` (or of its nearest located ancestor). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function parseYaml(text: string, file: string): YamlSource {
  let data: unknown = null;
  try {
    // js-yaml 5 refuses a document with nothing but comments; for config files that is simply "nothing set"
    if (/\S/.test(text.replace(/^\s*#.*$/gm, ""))) data = load(text, { filename: file });
  } catch (e) {
    if (e instanceof YAMLException) {
      throw new UserError({
        path: file,
        line: e.mark ? e.mark.line + 1 : undefined,
        message: `invalid YAML: ${e.reason}`,
      });
    }
    throw e;
  }
  const lines = lineIndex(text);
  let located: Map<string, number> | undefined;
  return {
    data,
    lineOf(path) {
      located ??= locateNodes(text, lines);
      for (let n = path.length; n >= 0; n--) {
        const line = located.get(pathKey(path.slice(0, n)));
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}

function pathKey(path: readonly (string | number)[]): string {
  return path.map((p) => String(p)).join("\u0000");
}

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

interface Frame {
  kind: "map" | "seq" | "doc";
  path: (string | number)[];
  index: number;
  key: string | undefined;
  expectKey: boolean;
}

/** Walks js-yaml's event stream and records the line where each path starts. */
function locateNodes(text: string, starts: number[]): Map<string, number> {
  const out = new Map<string, number>();
  const stack: Frame[] = [];
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return out;
  }
  for (const ev of events) {
    if (ev.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (ev.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: "doc", path: [], index: 0, key: undefined, expectKey: false });
      continue;
    }
    const top = stack[stack.length - 1];
    const offset = ev.type === EVENT_ID.SCALAR ? ev.valueStart : "start" in ev ? ev.start : -1;
    let path: (string | number)[] = [];
    if (top?.kind === "map") {
      if (top.expectKey) {
        top.expectKey = false;
        top.key = ev.type === EVENT_ID.SCALAR ? getScalarValue(text, ev as ScalarEvent) : undefined;
        if (top.key !== undefined && offset >= 0) out.set(pathKey([...top.path, top.key]), lineAt(starts, offset));
        if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
          // a complex key: track its nesting, but record nothing inside it
          stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", path: [...top.path, "\u0001"], index: 0, key: undefined, expectKey: true });
        }
        continue;
      }
      top.expectKey = true;
      path = top.key === undefined ? [...top.path, "\u0001"] : [...top.path, top.key];
    } else if (top?.kind === "seq") {
      path = [...top.path, top.index++];
      if (offset >= 0) out.set(pathKey(path), lineAt(starts, offset));
    } else if (offset >= 0) {
      out.set(pathKey([]), lineAt(starts, offset));
    }
    if (ev.type === EVENT_ID.MAPPING) stack.push({ kind: "map", path, index: 0, key: undefined, expectKey: true });
    else if (ev.type === EVENT_ID.SEQUENCE) stack.push({ kind: "seq", path, index: 0, key: undefined, expectKey: false });
  }
  return out;
}

/** Plans and records as YAML for people to read. */
export { dump as toYaml } from "js-yaml";
