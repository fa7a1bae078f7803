import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("uses the documented defaults", () => {
    const config = loadConfig({});
    assert.equal(config.port, 9090);
    assert.equal(config.maxWorkers, 100);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.logLanguage, "en");
    assert.equal(config.keepWorkspaces, false);
    assert.equal(config.ottoHandlerUrl, "");
  });

  it("reads overrides from the environment", () => {
    const config = loadConfig({
      OTTOSCALER_MAX_WORKERS: "20",
      OTTOSCALER_CORS_ORIGINS: "http://a.test, http://b.test",
      OTTOSCALER_LOG_LANG: "ko",
    });
    assert.equal(config.maxWorkers, 20);
    assert.deepEqual(config.corsOrigins, ["http://a.test", "http://b.test"]);
    assert.equal(config.logLanguage, "ko");
  });

  it("takes an empty variable for an unset one", () => {
    assert.equal(loadConfig({ OTTOSCALER_PORT: "", OTTOSCALER_LOG_LANG: "" }).port, 9090);
  });

  it("names the variable and the value it rejects", () => {
    assert.throws(
      () => loadConfig({ OTTOSCALER_MAX_WORKERS: "0" }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /OTTOSCALER_MAX_WORKERS: "0" is not a whole number/.test(e.message),
    );
    assert.throws(() => loadConfig({ OTTOSCALER_KEEP_WORKSPACES: "maybe" }), ConfigError);
    assert.throws(() => loadConfig({ OTTOSCALER_LOG_LANG: "fr" }), /one of en, ko/);
    assert.throws(
      () => loadConfig({ OTTO_HANDLER_BATCH_ENTRIES: "100001" }),
      /^ConfigError: OTTO_HANDLER_BATCH_ENTRIES: "100001" is not a whole number from 1 to 100000$/,
    );
  });
});
