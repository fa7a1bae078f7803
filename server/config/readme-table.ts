import type { Declaration } from "./setting.ts";
import { settings } from "./settings.ts";

/** The README's configuration table: a row a setting in declaration order, columns aligned. */
export function settingsTable(declarations: readonly Declaration[] = Object.values(settings)) {
  const rows = [
    ["variable", "default", "meaning"],
    ...declarations.map((s) => {
      const shown = s.shownDefault ?? s.default;
      return [`\`${s.env}\``, `\`${shown === "" ? '""' : shown}\``, s.description];
    }),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |\n`;
  const [header = [], ...body] = rows;
  return line(header) + line(widths.map((w) => "-".repeat(w))) + body.map(line).join("");
}

/** Where README.md holds the table: the run of lines starting with `|` after its heading. */
export function tableSpan(readme: string): { start: number; end: number } {
  const heading = readme.indexOf("\n## Configuration\n");
  const start = heading === -1 ? 0 : readme.indexOf("\n|", heading) + 1;
  if (start === 0) throw new Error('README.md has no table under "## Configuration"');
  let end = start;
  while (readme.startsWith("|", end)) {
    const next = readme.indexOf("\n", end);
    end = next === -1 ? readme.length : next + 1;
  }
  return { start, end };
}
