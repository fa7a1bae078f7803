import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export interface Account {
  username: string;
  groups: string[];
  /** "verb resource" pairs it may do, in the reviewed namespace. */
  grants: string[];
}

/**
 * A stand-in for kube-apiserver's review endpoints on a real socket: TokenReview answers from
 * `accounts` (by token), LocalSubjectAccessReview from their grants. Every review is kept, so a
 * test sees what the controller asked. For the cluster itself, see the e2e tests.
 */
export async function startReviewApiServer(accounts: Record<string, Account>) {
  const reviews: { kind: string; path: string; spec: Record<string, unknown> }[] = [];
  const server = http.createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text || "{}") as { spec?: Record<string, unknown> };
    const spec = body.spec ?? {};
    const path = req.url ?? "";
    const answer = (status: object) =>
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ ...body, status }));
    if (path === "/apis/authentication.k8s.io/v1/tokenreviews") {
      reviews.push({ kind: "TokenReview", path, spec: {} });
      const account = accounts[String(spec.token)];
      answer(
        account === undefined
          ? { authenticated: false, error: "invalid bearer token" }
          : { authenticated: true, user: { username: account.username, groups: account.groups } },
      );
      return;
    }
    if (
      /^\/apis\/authorization.k8s.io\/v1\/namespaces\/[^/]+\/localsubjectaccessreviews$/.test(path)
    ) {
      reviews.push({ kind: "LocalSubjectAccessReview", path, spec });
      const attributes = (spec.resourceAttributes ?? {}) as Record<string, string>;
      const account = Object.values(accounts).find((a) => a.username === spec.user);
      const allowed =
        account?.grants.includes(`${attributes.verb} ${attributes.resource}`) === true;
      answer(allowed ? { allowed } : { allowed, reason: "no RBAC policy matched" });
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "reviews", server: url, skipTLSVerify: true }],
    users: [{ name: "controller", token: "the-controller's-own" }],
    contexts: [{ name: "reviews", cluster: "reviews", user: "controller" }],
    currentContext: "reviews",
  });
  return {
    kc,
    reviews,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
