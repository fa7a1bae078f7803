import { createContextKey } from "@connectrpc/connect";
import type { Role } from "./roles.ts";

/** Who is calling, once authenticated. */
export interface Identity {
  user: string;
  groups: readonly string[];
  /** In tokens and mtls modes, what the caller may do; kubernetes mode asks the API server. */
  role?: Role;
  /** How the caller was authenticated. */
  via: "none" | "tokens" | "mtls" | "kubernetes";
}

/** The connection a request came on, as the HTTP edge saw it. */
export interface Peer {
  /** "address:port" of the client. */
  address: string;
  tls: boolean;
  /** The client certificate, when one was presented (mtls mode asks for one). */
  certificate?: ClientCertificate;
}

export const anonymous: Identity = { user: "anonymous", groups: [], role: "admin", via: "none" };

/** Set by the HTTP edge for every request. */
export const peerKey = createContextKey<Peer>({ address: "", tls: false });

/** Set by the authentication interceptor once it knows the caller; unset while it does not. */
export const identityKey = createContextKey<Identity | undefined>(undefined);

/** A client certificate as the TLS handshake left it. */
export interface ClientCertificate {
  /** Whether it chains to the configured client CA (and is within its dates). */
  trusted: boolean;
  /** Why it is not trusted, as OpenSSL says. */
  error?: string;
  commonName: string;
  organizations: readonly string[];
}
