import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UserError } from "../errors.js";
import type { PythonRuntime } from "../manifest/types.js";

export interface PythonProbe {
  /** As given (a name on PATH or a path). */
  readonly command: string;
  /** sys.executable, or undefined when it could not be started. */
  readonly executable?: string;
  readonly version?: string;
  readonly missing: readonly string[];
  readonly error?: string;
}

/** Asks an interpreter which of `modules` it can import, without importing them (fast even for torch). */
const PROBE = [
  "import importlib.util, json, sys",
  "def has(m):",
  "    try: return importlib.util.find_spec(m) is not None",
  "    except Exception: return False",
  "print(json.dumps({'executable': sys.executable, 'version': sys.version.split()[0], 'missing': [m for m in sys.argv[1:] if not has(m)]}))",
].join("\n");

export function probePython(command: string, modules: readonly string[]): Promise<PythonProbe> {
  return new Promise((resolve) => {
    execFile(command, ["-c", PROBE, ...modules], { timeout: 15_000, env: { ...process.env, PYTHONNOUSERSITE: "" } }, (err, stdout) => {
      if (err) {
        resolve({ command, missing: [...modules], error: (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : err.message.split("\n")[0] });
        return;
      }
      try {
        const r = JSON.parse(stdout) as { executable: string; version: string; missing: string[] };
        resolve({ command, executable: r.executable, version: r.version, missing: r.missing });
      } catch {
        resolve({ command, missing: [...modules], error: "did not answer the module probe" });
      }
    });
  });
}

/** python3 on PATH first, then the system interpreters (Debian's /usr/bin/python3 carries python3-torch & co). */
export function defaultCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const onPath = (env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "python3"));
  const all = [...onPath, "/usr/bin/python3", "/usr/local/bin/python3"];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const c of all) {
    let real: string;
    try {
      real = realpathSync(c);
    } catch {
      continue;
    }
    if (!seen.has(real)) {
      seen.add(real);
      out.push(c);
    }
  }
  return out;
}

export interface PythonChoice {
  /** Path of the interpreter to run. */
  readonly path: string;
  readonly version: string;
  readonly probes: readonly PythonProbe[];
}

/**
 * The first interpreter that has every module the component needs. An explicit
 * choice (config `python` or AVES2_PYTHON) is the only candidate.
 */
export async function findPython(runtime: PythonRuntime, explicit?: { value: string; source: string }): Promise<PythonChoice> {
  const candidates = explicit ? [explicit.value] : defaultCandidates();
  const probes = await Promise.all(candidates.map((c) => probePython(c, runtime.modules)));
  const ok = probes.find((p) => p.executable && p.missing.length === 0);
  if (ok) return { path: ok.executable!, version: ok.version!, probes };

  const tried = probes.map((p) => `${p.command}: ${p.error ?? `missing ${p.missing.join(", ")}`}`);
  const missing = [...new Set(probes.filter((p) => p.executable).flatMap((p) => p.missing))];
  const install = [...new Set((missing.length ? missing : runtime.modules).map((m) => runtime.packages[m]).filter(Boolean))];
  throw UserError.of(
    `no Python interpreter has the modules this component needs (${runtime.modules.join(", ")})${explicit ? `; ${explicit.source} chose ${explicit.value}` : ""}. Tried: ${tried.join("; ")}`,
    {
      hint: install.length
        ? `install them, e.g. \`sudo apt-get install ${install.join(" ")}\`, or point AVES2_PYTHON at an interpreter that has them`
        : "install them, or point AVES2_PYTHON at an interpreter that has them",
    },
  );
}
