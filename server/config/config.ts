import type { Setting } from "./setting.ts";
import { settings } from "./settings.ts";

export { ConfigError } from "./config-error.ts";

/** Everything the server can be told through its environment, as declared in settings.ts. */
export type Config = {
  [K in keyof typeof settings]: (typeof settings)[K] extends Setting<infer T> ? T : never;
};

type Env = Record<string, string | undefined>;

/** Reads the configuration, failing with the variable's name on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const value = env[setting.env];
    config[key] = setting.parse(value === undefined || value === "" ? setting.default : value);
  }
  return config as Config;
}
