import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerToken } from "./bearer.ts";
import { newToken, parseTokenFile, tokenDigest } from "./token-file.ts";

const digest = tokenDigest("t");

describe("the tokens file", () => {
  it("reads names, roles, digests and expiries, in YAML or JSON", () => {
    const entries = parseTokenFile(
      `tokens:\n  - { name: ci, role: operator, sha256: ${digest}, expires: 2030-01-01T00:00:00Z }\n`,
    );
    assert.equal(entries[0]?.name, "ci");
    assert.equal(entries[0]?.role, "operator");
    assert.equal(entries[0]?.sha256.toString("hex"), digest);
    assert.equal(entries[0]?.expires?.toISOString(), "2030-01-01T00:00:00.000Z");
    const json = parseTokenFile(
      JSON.stringify({ tokens: [{ name: "a", role: "viewer", sha256: digest }] }),
    );
    assert.equal(json[0]?.expires, undefined);
  });

  it("names the entry and the field it rejects", () => {
    const bad = (entry: object) => () => parseTokenFile(JSON.stringify({ tokens: [entry] }));
    assert.throws(
      bad({ name: "a", role: "boss", sha256: digest }),
      /^OttoscalerError: tokens\[0\].role: expected one of viewer, operator, admin$/,
    );
    assert.throws(
      bad({ name: "a", role: "viewer", sha256: "abc" }),
      /tokens\[0\].sha256: expected the token's SHA-256/,
    );
    assert.throws(bad({ name: "", role: "viewer", sha256: digest }), /tokens\[0\].name/);
    assert.throws(
      bad({ name: "a", role: "viewer", sha256: digest, expires: "soon" }),
      /tokens\[0\].expires: expected a date/,
    );
    assert.throws(() => parseTokenFile("tokens: 5"), /tokens: expected a list/);
    assert.throws(() => parseTokenFile("{"), /not YAML or JSON/);
    const twice = JSON.stringify({
      tokens: [
        { name: "a", role: "viewer", sha256: digest },
        { name: "a", role: "admin", sha256: digest },
      ],
    });
    assert.throws(() => parseTokenFile(twice), /tokens\[1\].name: "a" is listed twice/);
  });

  it("makes tokens of 256 random bits", () => {
    const token = newToken();
    assert.match(token, /^otto_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(token, newToken());
  });
});

describe("the Authorization header", () => {
  it("takes a bearer token in any case of the scheme", () => {
    assert.equal(bearerToken("Bearer abc.DEF-_~+/="), "abc.DEF-_~+/=");
    assert.equal(bearerToken("bearer  x"), "x");
    assert.equal(bearerToken(null), undefined);
    assert.equal(bearerToken(""), undefined);
  });

  it("refuses anything else as unauthenticated, without echoing it", () => {
    for (const header of [
      "Basic c2VrcmV0",
      "Bearer",
      "Bearer sekrit1 sekrit2",
      "Bearer sëkrit",
      "sekrit",
    ]) {
      assert.throws(
        () => bearerToken(header),
        (e: Error & { kind?: string }) =>
          e.kind === "unauthenticated" && !/sekrit|c2Vr/.test(e.message),
        header,
      );
    }
  });
});
