import { existsSync } from "node:fs";

/** Debian's Chromium: tests never download a browser. */
export const chromiumPath = "/usr/bin/chromium";

export const noChromium = existsSync(chromiumPath)
  ? false
  : `${chromiumPath} is missing: apt-get install chromium (CI installs it)`;

/** Headless on a shared machine: no sandbox or GPU, no QUIC, nothing phoning home. */
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
