import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

const styles: Record<string, Style> = {
  SUCCEEDED: "green",
  FAILED: "red",
  RETRYING: "yellow",
  RUNNING: "cyan",
  CANCELLED: "magenta",
  STOPPED: "yellow",
  SKIPPED: "gray",
  QUEUED: "gray",
  PENDING: "gray",
};

/**
 * Colours a status or phase cell by its name (the text may be padded). Plain when the stream is
 * not a terminal or NO_COLOR is set.
 */
export function colorStatus(text: string, stream: NodeJS.WriteStream): string {
  const style = styles[text.trim()];
  return style === undefined ? text : styleText(style, text, { stream });
}

export function bold(text: string, stream: NodeJS.WriteStream): string {
  return styleText("bold", text, { stream });
}
