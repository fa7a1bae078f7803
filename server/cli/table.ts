/** How to show one padded cell, such as in colour; the text's width must not change. */
export type CellStyle = (text: string, row: number, column: number) => string;

/**
 * Lays out a header and rows in columns separated by two spaces; the last column is not padded.
 * Row -1 is the header.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  style?: CellStyle,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[], row: number): string =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return style === undefined ? padded : style(padded, row, i);
      })
      .join("  ")
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))];
}

/** Cuts the last column's cells so every line of formatTable fits in maxWidth characters. */
export function fitLastColumn(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxWidth: number,
): string[][] {
  const last = header.length - 1;
  const before = header
    .slice(0, last)
    .reduce(
      (sum, h, i) => sum + Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)) + 2,
      0,
    );
  const room = Math.max(1, maxWidth - before);
  return rows.map((r) =>
    r.map((cell, i) =>
      i === last && cell.length > room ? `${cell.slice(0, Math.max(0, room - 1))}…` : cell,
    ),
  );
}
