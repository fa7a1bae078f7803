import type { CustomObjectsApi, V1ObjectMeta } from "@kubernetes/client-node";
import { Backoff } from "../util/backoff.ts";
import { sleep } from "../util/sleep.ts";
import { classifyKubernetesError, errorClassOf } from "./errors.ts";

/** Any of our custom resources, as plain JSON. */
export interface CustomObject {
  metadata: V1ObjectMeta & { name: string };
}

export interface CustomResource {
  group: string;
  version: string;
  plural: string;
}

/**
 * One kind of our custom resources in one namespace: typed reads and writes,
 * each failure a classified KubernetesError, and read-modify-write updates that
 * read the object again on a conflict.
 */
export class CustomObjects<T extends CustomObject> {
  readonly #custom: CustomObjectsApi;
  readonly #base: CustomResource & { namespace: string };
  readonly #kind: string;

  constructor(
    custom: CustomObjectsApi,
    resource: CustomResource & { kind: string },
    namespace: string,
  ) {
    this.#custom = custom;
    const { group, version, plural } = resource;
    this.#base = { group, version, plural, namespace };
    this.#kind = resource.kind;
  }

  /** The list as the API server answers it (with its resourceVersion), for an informer. */
  listRaw(): Promise<unknown> {
    return this.#custom.listNamespacedCustomObject(this.#base);
  }

  /** Every object, riding out an API server that is briefly away (until `signal` aborts). */
  async list(signal: AbortSignal): Promise<T[]> {
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    for (;;) {
      try {
        return ((await this.listRaw()) as { items: T[] }).items;
      } catch (cause) {
        const error = classifyKubernetesError(cause, `listing ${this.#kind}s`);
        if (error.class !== "transient" || !(await sleep(retries.next(), signal))) throw error;
      }
    }
  }

  async get(name: string): Promise<T> {
    return this.#call(`reading ${this.#kind} ${name}`, () =>
      this.#custom.getNamespacedCustomObject({ ...this.#base, name }),
    );
  }

  async create(body: T): Promise<T> {
    return this.#call(`creating ${this.#kind} ${body.metadata.name}`, () =>
      this.#custom.createNamespacedCustomObject({ ...this.#base, body }),
    );
  }

  async replace(body: T): Promise<T> {
    return this.#call(`writing ${this.#kind} ${body.metadata.name}`, () =>
      this.#custom.replaceNamespacedCustomObject({ ...this.#base, name: body.metadata.name, body }),
    );
  }

  async replaceStatus(body: T): Promise<T> {
    return this.#call(`writing the status of ${this.#kind} ${body.metadata.name}`, () =>
      this.#custom.replaceNamespacedCustomObjectStatus({
        ...this.#base,
        name: body.metadata.name,
        body,
      }),
    );
  }

  /**
   * Applies `change` to `object` and writes it (the status subresource with `status`), reading
   * it again and applying `change` anew after each conflict. `change` answers undefined when
   * there is nothing to write. Resolves with the newest object.
   */
  async update(
    object: T,
    change: (current: T) => T | undefined,
    { status = false, tries = 10 }: { status?: boolean; tries?: number } = {},
  ): Promise<T> {
    let current = object;
    for (let attempt = 1; ; attempt++) {
      const changed = change(current);
      if (changed === undefined) return current;
      try {
        return await (status ? this.replaceStatus(changed) : this.replace(changed));
      } catch (error) {
        if (errorClassOf(error) !== "conflict" || attempt >= tries) throw error;
        current = await this.get(current.metadata.name);
      }
    }
  }

  async #call(doing: string, call: () => Promise<unknown>): Promise<T> {
    try {
      return (await call()) as T;
    } catch (cause) {
      throw classifyKubernetesError(cause, doing);
    }
  }
}

/**
 * Runs `write` until it succeeds, waiting out an API server that is away (with backoff)
 * until `signal` aborts. An error `isFinal` says will not go away ends the tries: it is
 * handed to `onFinal` and not thrown.
 */
export async function writeUntilDone(
  write: () => Promise<void>,
  options: {
    signal: AbortSignal;
    isFinal: (error: unknown) => boolean;
    onFinal: (error: unknown) => void;
  },
): Promise<void> {
  const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
  while (!options.signal.aborted) {
    try {
      await write();
      return;
    } catch (error) {
      if (options.isFinal(error)) {
        options.onFinal(error);
        return;
      }
      await sleep(retries.next(), options.signal);
    }
  }
}
