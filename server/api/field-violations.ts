import { Code, ConnectError } from "@connectrpc/connect";

/** Collects what is wrong with a request, each naming its field path. */
export class FieldViolations {
  readonly #list: string[] = [];

  /** The same violation twice (e.g. in two instances of a matrix stage) is named once. */
  add(field: string, reason: string): void {
    const violation = `${field}: ${reason}`;
    if (!this.#list.includes(violation)) this.#list.push(violation);
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
