import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import tls from "node:tls";
import { ConfigError } from "../config/config.ts";
import type { Logger } from "../observability/logger.ts";
import { watchFile } from "../util/watch-file.ts";

/** The files of the server's certificate, and the CA its clients' certificates are checked against. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** mtls mode: the PEM CA bundle client certificates must chain to. */
  clientCaFile?: string;
}

type Contents = { cert: Buffer; key: Buffer; ca?: Buffer };

/**
 * The certificate the TLS listener presents, reloaded when its files change
 * (rotation without a restart). A new pair is taken only once cert and key
 * match: a rotation that has replaced one file and not yet the other keeps
 * the old pair until the second arrives. Connections already open keep the
 * certificate they were made with.
 */
export class TlsCertificate {
  #contents: Contents;
  readonly #watchers: { close(): void }[];
  readonly #files: TlsFiles;
  readonly #logger: Logger;
  readonly #apply: (options: tls.SecureContextOptions) => void;

  constructor(files: TlsFiles, logger: Logger, apply: (options: tls.SecureContextOptions) => void) {
    this.#files = files;
    this.#logger = logger;
    this.#apply = apply;
    if (files.keyFile === "") {
      throw new ConfigError("OTTOSCALER_TLS_KEY_FILE: required with OTTOSCALER_TLS_CERT_FILE");
    }
    try {
      this.#contents = {
        cert: readFileSync(files.certFile),
        key: readFileSync(files.keyFile),
        ...(files.clientCaFile !== undefined && { ca: readFileSync(files.clientCaFile) }),
      };
      tls.createSecureContext(this.options());
    } catch (error) {
      throw new ConfigError(`OTTOSCALER_TLS_CERT_FILE/KEY_FILE: ${(error as Error).message}`);
    }
    this.#logger.info("tlsLoaded", this.#describe());
    const paths = [files.certFile, files.keyFile, files.clientCaFile].filter(
      (f) => f !== undefined,
    );
    this.#watchers = paths.map((file) => watchFile(file, () => void this.reload()));
  }

  /** What tls.createServer and setSecureContext take. */
  options(): tls.SecureContextOptions {
    return this.#contents;
  }

  /** Re-reads the files; resolves once a new pair is in use, or the old one kept. */
  async reload(): Promise<void> {
    let next: Contents;
    try {
      const [cert, key, ca] = await Promise.all([
        readFile(this.#files.certFile),
        readFile(this.#files.keyFile),
        this.#files.clientCaFile === undefined ? undefined : readFile(this.#files.clientCaFile),
      ]);
      next = { cert, key, ...(ca !== undefined && { ca }) };
      if (this.#same(next)) return;
      tls.createSecureContext(next); // throws when the key does not match the certificate
    } catch (error) {
      this.#logger.warn("tlsReloadFailed", { error: (error as Error).message });
      return;
    }
    this.#contents = next;
    this.#apply(next);
    this.#logger.info("tlsLoaded", this.#describe());
  }

  close(): void {
    for (const w of this.#watchers) w.close();
  }

  #same(next: Contents): boolean {
    const now = this.#contents;
    return (
      next.cert.equals(now.cert) &&
      next.key.equals(now.key) &&
      (next.ca === undefined) === (now.ca === undefined) &&
      (next.ca === undefined || now.ca === undefined || next.ca.equals(now.ca))
    );
  }

  #describe() {
    const x509 = new X509Certificate(this.#contents.cert);
    return { subject: x509.subject, validTo: x509.validTo, fingerprint256: x509.fingerprint256 };
  }
}
