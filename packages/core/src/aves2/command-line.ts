/**
 * AVES2 keeps the start command as one string (`cmd: "python3 main.py"`) and
 * runs it through a shell in the pod; components keep it as an argv array.
 * These two convert between them: words split on blanks, with '...', "..."
 * and backslash quoting as a POSIX shell reads them.
 */

/** `cmd` → argv. Throws a plain message (the caller adds the key path) on an unclosed quote. */
export function splitCommandLine(cmd: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      if (end < 0) throw new Error("has an unclosed ' quote");
      word += cmd.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < cmd.length && cmd[j] !== '"'; j++) {
        if (cmd[j] === "\\" && j + 1 < cmd.length && '"\\$`'.includes(cmd[j + 1]!)) j++;
        word += cmd[j];
      }
      if (j >= cmd.length) throw new Error('has an unclosed " quote');
      i = j;
    } else if (c === "\\" && i + 1 < cmd.length) {
      word += cmd[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** argv → `cmd`, quoting only the words a shell would otherwise split or strip. */
export function joinCommandLine(argv: readonly string[]): string {
  return argv.map((w) => (w !== "" && !/[\s'"\\]/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}
