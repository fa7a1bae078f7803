/** A setting's value is unusable; the message names the variable and the value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
