/** W3C Trace Context: version 00, a trace id and a parent id not all zeros, the flags. */
const traceparentPattern = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The header as it is when it is a valid traceparent, else undefined (it is then ignored, as the spec says). */
export function validTraceparent(header: string | null | undefined): string | undefined {
  const value = header?.trim().toLowerCase();
  return value !== undefined && traceparentPattern.test(value) ? value : undefined;
}

/** The trace id of a valid traceparent. */
export function traceIdOf(traceparent: string): string {
  return traceparent.split("-")[1] ?? "";
}
