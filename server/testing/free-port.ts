import { once } from "node:events";
import net from "node:net";

/** A local port nothing listens on now (bound and released), for what cannot take port 0. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
