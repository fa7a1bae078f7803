import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "./config-error.ts";
import { boolean, directory, httpUrl, integer, list, oneOf, text } from "./setting.ts";

const declared = { env: "X", default: "", description: "" };

function rejects(parse: () => unknown, message: string) {
  assert.throws(parse, (e: unknown) => e instanceof ConfigError && e.message === message);
}

describe("setting kinds", () => {
  it("text keeps the value as it is", () => {
    assert.equal(text(declared).parse(" a b "), " a b ");
  });

  it("integer takes whole numbers within its bounds and names both bounds when refusing", () => {
    const port = integer({ ...declared, min: 0, max: 65535 });
    assert.equal(port.parse("65535"), 65535);
    rejects(() => port.parse("65536"), 'X: "65536" is not a whole number from 0 to 65535');
    rejects(() => port.parse(" "), 'X: " " is not a whole number from 0 to 65535');
    rejects(
      () => integer({ ...declared, min: 1 }).parse("1.5"),
      `X: "1.5" is not a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`,
    );
  });

  it("boolean takes yes/no words in any case", () => {
    const flag = boolean(declared);
    assert.equal(flag.parse("Yes"), true);
    assert.equal(flag.parse("OFF"), false);
    rejects(() => flag.parse("Maybe"), 'X: "maybe" is not true or false');
  });

  it("oneOf takes only its choices, spelled exactly", () => {
    const language = oneOf({ ...declared, choices: ["en", "ko"], default: "en" });
    assert.equal(language.parse("ko"), "ko");
    rejects(() => language.parse("EN"), 'X: "EN" is not one of en, ko');
  });

  it("directory makes a path absolute", () => {
    assert.equal(directory(declared).parse("data"), path.resolve("data"));
  });

  it("list splits on commas, trims, and drops empty items", () => {
    assert.deepEqual(list(declared).parse(" a, b ,,c "), ["a", "b", "c"]);
  });

  it("httpUrl takes http(s) URLs without their trailing slashes", () => {
    const url = httpUrl(declared);
    assert.equal(url.parse("https://h.test:8443//"), "https://h.test:8443");
    assert.equal(url.parse(""), "");
    rejects(() => url.parse("h.test"), 'X: "h.test" is not a URL');
    rejects(() => url.parse("ftp://h.test"), 'X: "ftp://h.test" must be http:// or https://');
  });
});
