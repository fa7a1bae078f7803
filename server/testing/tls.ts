import path from "node:path";

const dir = path.join(import.meta.dirname, "tls");

/** The committed test certificate for 127.0.0.1 / localhost (see tls/README.md) and its key. */
export const testTls = {
  cert: path.join(dir, "localhost.crt"),
  key: path.join(dir, "localhost.key"),
};
