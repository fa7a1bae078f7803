import { OttoscalerError } from "../domain/errors.ts";
import { type Authenticator, adminSeesSecrets, authorizeByRole } from "./authenticator.ts";
import { type Role, roles } from "./roles.ts";

/**
 * `mtls` mode: the client certificate, verified against OTTOSCALER_TLS_CLIENT_CA_FILE during
 * the handshake, names the caller: its CN the user, its O entries the groups. A group named
 * like a role (viewer, operator, admin) grants it; the highest one counts.
 */
export const mtlsAuthenticator: Authenticator = {
  mode: "mtls",
  async authenticate({ peer }) {
    const cert = peer.certificate;
    if (!peer.tls) {
      throw new OttoscalerError(
        "unauthenticated",
        "no credentials: connect over TLS with a client certificate (ottoctl --cert and --key)",
      );
    }
    if (cert === undefined) {
      throw new OttoscalerError(
        "unauthenticated",
        "no client certificate: send one signed by the client CA",
      );
    }
    if (!cert.trusted) {
      throw new OttoscalerError(
        "unauthenticated",
        `client certificate "${cert.commonName}" is not trusted: ${cert.error ?? "not signed by the client CA"}`,
      );
    }
    if (cert.commonName === "") {
      throw new OttoscalerError("unauthenticated", "client certificate has no CN to name its user");
    }
    const granted = [...roles].reverse().find((r: Role) => cert.organizations.includes(r));
    return {
      user: cert.commonName,
      groups: cert.organizations,
      ...(granted !== undefined && { role: granted }),
      via: "mtls",
    };
  },
  authorize: authorizeByRole,
  maySeeSecret: adminSeesSecrets,
  close() {},
};
