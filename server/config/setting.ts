import path from "node:path";
import { parseQuantity } from "../util/quantity.ts";
import { type Bounds, wholeNumber } from "../util/whole-number.ts";
import { ConfigError } from "./config-error.ts";

/** What every setting is declared with. */
export interface Declaration {
  /** The environment variable. */
  env: string;
  /** Used when the variable is unset or empty, and read like a value it was given. */
  default: string;
  /**
   * How the README shows a default computed on this machine.
   * @default the default itself
   */
  shownDefault?: string;
  /** What it does, for the README. */
  description: string;
}

/** One environment variable and how its text becomes the value the server uses. */
export interface Setting<T> extends Declaration {
  /** The value of the text, or a ConfigError naming the variable. */
  parse(text: string): T;
}

/** Any text, as it is. */
export function text(declaration: Declaration): Setting<string> {
  return { ...declaration, parse: (value) => value };
}

/** A whole number within bounds. */
export function integer(declaration: Declaration & Bounds): Setting<number> {
  const { env, min, max = Number.MAX_SAFE_INTEGER } = declaration;
  return {
    ...declaration,
    parse(value) {
      const n = wholeNumber(value, { min, max });
      if (n === undefined) {
        throw new ConfigError(`${env}: "${value}" is not a whole number from ${min} to ${max}`);
      }
      return n;
    },
  };
}

/** Yes or no, in any case: 1/true/yes/on or 0/false/no/off. */
export function boolean(declaration: Declaration): Setting<boolean> {
  return {
    ...declaration,
    parse(value) {
      const word = value.toLowerCase();
      if (["1", "true", "yes", "on"].includes(word)) return true;
      if (["0", "false", "no", "off"].includes(word)) return false;
      throw new ConfigError(`${declaration.env}: "${word}" is not true or false`);
    },
  };
}

/** One of a few words, spelled exactly; the default must be one of them. */
export function oneOf<const T extends string>(
  declaration: Declaration & { choices: readonly T[]; default: NoInfer<T> },
): Setting<T> {
  const { env, choices } = declaration;
  return {
    ...declaration,
    parse(value) {
      const found = choices.find((choice) => choice === value);
      if (found === undefined) {
        throw new ConfigError(`${env}: "${value}" is not one of ${choices.join(", ")}`);
      }
      return found;
    },
  };
}

/** A file system path, made absolute against the working directory. */
export function directory(declaration: Declaration): Setting<string> {
  return { ...declaration, parse: (value) => path.resolve(value) };
}

/** A Kubernetes quantity such as "8", "500m" or "16Gi", kept as written. */
export function quantity(declaration: Declaration): Setting<string> {
  return {
    ...declaration,
    parse(value) {
      if (parseQuantity(value) === undefined) {
        throw new ConfigError(`${declaration.env}: "${value}" is not a Kubernetes quantity`);
      }
      return value;
    },
  };
}

/** Comma-separated items, trimmed, empty ones dropped. */
export function list(declaration: Declaration): Setting<string[]> {
  return {
    ...declaration,
    parse: (value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== ""),
  };
}

/** An http:// or https:// URL without trailing slashes, or empty for none. */
export function httpUrl(declaration: Declaration): Setting<string> {
  const { env } = declaration;
  return {
    ...declaration,
    parse(value) {
      if (value === "") return "";
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new ConfigError(`${env}: "${value}" is not a URL`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ConfigError(`${env}: "${value}" must be http:// or https://`);
      }
      return value.replace(/\/+$/, "");
    },
  };
}
