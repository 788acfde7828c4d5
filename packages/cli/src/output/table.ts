const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

function aligner(header: readonly string[], rows: readonly (readonly string[])[]): (cells: readonly string[]) => string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  return (cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - width(c))))
      .join("  ")
      .trimEnd();
}

/** A plain aligned table: header row, then rows; the last column is never padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = aligner(header, rows);
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * One table in groups: the header row, then each group's heading line with its
 * rows indented under it; columns are aligned across all groups.
 */
export function groupedTable(header: readonly string[], groups: readonly { heading: string; rows: readonly (readonly string[])[] }[]): string {
  const line = aligner(header, groups.flatMap((g) => g.rows));
  return [`  ${line(header)}`, ...groups.flatMap((g) => [g.heading, ...g.rows.map((r) => `  ${line(r)}`)])].join("\n");
}
