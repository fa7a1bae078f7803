import { spawnSync } from "node:child_process";

/** Debian's python3 with python3-grpcio, not whichever python3 comes first on PATH. */
export const python = "/usr/bin/python3";

export const noPythonGrpc =
  spawnSync(python, ["-c", "import grpc"], { stdio: "ignore" }).status === 0
    ? false
    : `${python} cannot import grpc: apt-get install python3-grpcio (CI installs it)`;
