import { StringDecoder } from "node:string_decoder";

/**
 * Turns chunks of output into lines. Multi-byte characters split across
 * chunks stay whole; a line longer than `maxLineBytes` is cut into pieces
 * so one runaway line cannot hold unbounded memory.
 */
export class LineSplitter {
  #decoder = new StringDecoder("utf8");
  #partial = "";
  readonly #maxChars: number;
  readonly #emit: (line: string) => void;

  constructor(maxLineBytes: number, emit: (line: string) => void) {
    // Characters, not bytes: a cheap bound that is never looser than 4x.
    this.#maxChars = Math.max(1, Math.floor(maxLineBytes));
    this.#emit = emit;
  }

  write(chunk: Buffer): void {
    this.#push(this.#decoder.write(chunk));
  }

  /** Flushes a final line that had no line break. */
  end(): void {
    this.#push(this.#decoder.end());
    if (this.#partial !== "") this.#emit(stripCr(this.#partial));
    this.#partial = "";
  }

  #push(text: string): void {
    if (text === "") return;
    let rest = this.#partial + text;
    let nl = rest.indexOf("\n");
    while (nl !== -1) {
      this.#emitBounded(stripCr(rest.slice(0, nl)));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
    while (rest.length > this.#maxChars) {
      this.#emit(rest.slice(0, this.#maxChars));
      rest = rest.slice(this.#maxChars);
    }
    this.#partial = rest;
  }

  #emitBounded(line: string): void {
    for (let i = 0; i < line.length; i += this.#maxChars)
      this.#emit(line.slice(i, i + this.#maxChars));
    if (line.length === 0) this.#emit("");
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
