/** The part of a stream that a live area writes to. */
export interface LiveStream {
  write(text: string): unknown;
  columns?: number | undefined;
  rows?: number | undefined;
}

/**
 * A block of lines at the bottom of a terminal that is redrawn in place. Lines must not wrap:
 * callers fit them to width() before adding colour.
 */
export class LiveArea {
  readonly #stream: LiveStream;
  #drawn = 0;

  constructor(stream: LiveStream) {
    this.#stream = stream;
  }

  /** Characters a line may use without wrapping. */
  width(): number {
    return Math.max(20, (this.#stream.columns ?? 80) - 1);
  }

  /** Replaces the block with these lines, cutting it to the terminal's height. */
  render(lines: readonly string[]): void {
    const room = Math.max(3, (this.#stream.rows ?? 24) - 1);
    const shown =
      lines.length > room
        ? [...lines.slice(0, room - 1), `… ${lines.length - room + 1} more lines`]
        : lines;
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : "";
    this.#stream.write(`${up}\x1b[0J${shown.map((l) => `${l}\n`).join("")}`);
    this.#drawn = shown.length;
  }

  /** Leaves the last drawing on screen; later output goes below it. */
  done(): void {
    this.#drawn = 0;
  }
}
