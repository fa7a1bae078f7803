/**
 * `${{ REF }}` references in a stage's command, env values and image, e.g.
 * `${{ params.version }}`: REF is dotted names. Expansion is one pass: what a
 * reference expands to is not scanned again.
 */
const referencePattern = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

export type ExpandResult = { text: string } | { error: string };

/** `resolve` answers a reference's value, or undefined when it names nothing (an error). */
export function expandTemplate(
  text: string,
  resolve: (reference: string) => string | undefined,
): ExpandResult {
  let out = "";
  let from = 0;
  for (let open = text.indexOf("${{", from); open >= 0; open = text.indexOf("${{", from)) {
    const close = text.indexOf("}}", open + 3);
    if (close < 0) return { error: `"\${{" at offset ${open} is not closed with "}}"` };
    const reference = text.slice(open + 3, close).trim();
    if (!referencePattern.test(reference)) {
      return { error: `"\${{ ${reference} }}" is not a reference such as \${{ params.NAME }}` };
    }
    const value = resolve(reference);
    if (value === undefined) return { error: `unknown reference "${reference}"` };
    out += text.slice(from, open) + value;
    from = close + 2;
  }
  return { text: out + text.slice(from) };
}

/** Whether the text has a reference in it (a value that does cannot be a parameter's). */
export function hasReference(text: string): boolean {
  return text.includes("${{");
}
