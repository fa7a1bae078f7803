import { readdir, readFile, readlink } from "node:fs/promises";

/** A TCP socket a process listens on, from the kernel's socket table. */
export interface ListenSocket {
  address: string;
  port: number;
}

/**
 * The TCP sockets a process listens on (Linux): its socket inodes from
 * /proc/PID/fd matched against /proc/net/tcp and tcp6, state 0A (LISTEN).
 * What the kernel says, not what the process logged.
 */
export async function listenSockets(pid: number): Promise<ListenSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const found: ListenSocket[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const text = await readFile(`/proc/${pid}/net/${table}`, "utf8");
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (local === undefined || state !== "0A" || inode === undefined || !inodes.has(inode)) {
        continue;
      }
      const [hex = "", portHex = "0"] = local.split(":");
      found.push({ address: decodeAddress(hex), port: Number.parseInt(portHex, 16) });
    }
  }
  return found;
}

/** /proc/net/tcp's addresses: little-endian 32-bit words, in hex. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) =>
    (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // The URL parser writes IPv6 addresses in their short form ("::1").
  return new URL(`http://[${groups.join(":")}]`).hostname.slice(1, -1);
}
