import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError } from "../config/config.ts";
import { OttoscalerError } from "../domain/errors.ts";
import type { Logger } from "../observability/logger.ts";
import { watchFile } from "../util/watch-file.ts";
import { parseTokenFile, type TokenEntry, tokenDigest } from "./token-file.ts";

/**
 * The tokens of OTTOSCALER_TOKENS_FILE, reloaded when the file changes. A
 * reload that fails (a half-written or broken file) keeps the tokens in use
 * and logs why; a bad file at start stops the server.
 */
export class TokenStore {
  #entries: readonly TokenEntry[];
  #text: string;
  readonly #watcher: { close(): void };
  readonly file: string;
  private readonly logger: Logger;

  constructor(file: string, logger: Logger) {
    this.file = file;
    this.logger = logger;
    try {
      this.#text = readFileSync(file, "utf8");
      this.#entries = parseTokenFile(this.#text);
    } catch (error) {
      throw new ConfigError(`OTTOSCALER_TOKENS_FILE: ${file}: ${(error as Error).message}`);
    }
    logger.info("tokensLoaded", { file, tokens: this.#entries.length });
    this.#watcher = watchFile(file, () => void this.reload());
  }

  /** Re-reads the file; resolves once the new tokens are in use (or the old ones kept). */
  async reload(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
      if (text === this.#text) return;
      this.#entries = parseTokenFile(text);
    } catch (error) {
      this.logger.error("tokensReloadFailed", { file: this.file, error: (error as Error).message });
      return;
    }
    this.#text = text;
    this.logger.info("tokensLoaded", { file: this.file, tokens: this.#entries.length });
  }

  /** The entry of a token, or Unauthenticated saying why (never echoing the token). */
  verify(token: string, nowMs = Date.now()): TokenEntry {
    const digest = Buffer.from(tokenDigest(token), "hex");
    // Compared with every entry, in constant time each, so timing tells nothing.
    let found: TokenEntry | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.sha256, digest)) found = entry;
    }
    if (found === undefined) throw new OttoscalerError("unauthenticated", "token not recognised");
    if (found.expires !== undefined && found.expires.getTime() <= nowMs) {
      throw new OttoscalerError(
        "unauthenticated",
        `token "${found.name}" expired at ${found.expires.toISOString()}`,
      );
    }
    return found;
  }

  close(): void {
    this.#watcher.close();
  }
}
