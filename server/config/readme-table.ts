import type { Declaration } from "./setting.ts";
import { settings } from "./settings.ts";

/** The README's configuration table: a row a setting in declaration order, columns aligned. */
export function settingsTable(declarations: readonly Declaration[] = Object.values(settings)) {
  return markdownTable([
    ["variable", "default", "meaning"],
    ...declarations.map((s) => {
      const shown = s.shownDefault ?? s.default;
      return [`\`${s.env}\``, `\`${shown === "" ? '""' : shown}\``, s.description];
    }),
  ]);
}

/** A Markdown table of a header row and body rows, columns aligned (as Biome formats them). */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const columns = rows[0]?.length ?? 0;
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |\n`;
  const [header = [], ...body] = rows;
  return line(header) + line(widths.map((w) => "-".repeat(w))) + body.map(line).join("");
}

/** Where README.md holds a table: the run of lines starting with `|` after its heading. */
export function tableSpan(
  readme: string,
  heading = "## Configuration",
): { start: number; end: number } {
  const at = readme.indexOf(`\n${heading}\n`);
  const start = at === -1 ? 0 : readme.indexOf("\n|", at) + 1;
  if (start === 0) throw new Error(`README.md has no table under "${heading}"`);
  let end = start;
  while (readme.startsWith("|", end)) {
    const next = readme.indexOf("\n", end);
    end = next === -1 ? readme.length : next + 1;
  }
  return { start, end };
}
