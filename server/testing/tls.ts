import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDataDir } from "./data-dir.ts";

const dir = path.join(import.meta.dirname, "tls");

/** The committed test certificate for 127.0.0.1 / localhost (see tls/README.md) and its key. */
export const testTls = {
  cert: path.join(dir, "localhost.crt"),
  key: path.join(dir, "localhost.key"),
};

/** Debian's openssl, to make certificates in tests (CAs, client certificates, rotations). */
export const openssl = "/usr/bin/openssl";
export const hasOpenssl = spawnSync(openssl, ["version"], { stdio: "ignore" }).status === 0;
export const noOpenssl = hasOpenssl ? false : `${openssl} is missing: apt-get install openssl`;

export interface Pem {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

function run(args: string[], cwd: string): void {
  execFileSync(openssl, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function pem(work: string, name: string): Pem {
  const certFile = path.join(work, `${name}.crt`);
  const keyFile = path.join(work, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** A new self-signed CA. */
export function makeCa(name = "ottoscaler test CA"): Pem {
  const work = tempDataDir();
  run(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    ],
    work,
  );
  return pem(work, "ca");
}

/**
 * A certificate signed by `ca`: a server's for 127.0.0.1 and localhost, or a
 * client's with CN (the user) and O (one per group).
 */
export function makeCert(
  ca: Pem,
  options: { cn: string; o?: readonly string[]; client?: boolean },
): Pem {
  const work = tempDataDir();
  const subject = `/CN=${options.cn}${(options.o ?? []).map((o) => `/O=${o}`).join("")}`;
  run(
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      subject,
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
    ],
    work,
  );
  const ext = options.client
    ? "extendedKeyUsage=clientAuth\n"
    : "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
  writeFileSync(path.join(work, "ext.cnf"), ext);
  run(
    [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      ca.certFile,
      "-CAkey",
      ca.keyFile,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
      "-out",
      "leaf.crt",
    ],
    work,
  );
  return pem(work, "leaf");
}
