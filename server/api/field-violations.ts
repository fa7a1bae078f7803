import { Code, ConnectError } from "@connectrpc/connect";

/** Collects what is wrong with a request, each naming its field path. */
export class FieldViolations {
  readonly #list: string[] = [];

  add(field: string, reason: string): void {
    this.#list.push(`${field}: ${reason}`);
  }

  get count(): number {
    return this.#list.length;
  }

  /** One InvalidArgument naming every violation (the first few, on a very bad request). */
  throwIfAny(): void {
    if (this.#list.length === 0) return;
    const shown = this.#list.slice(0, 10);
    const more = this.#list.length - shown.length;
    const message = shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
    throw new ConnectError(message, Code.InvalidArgument);
  }
}
