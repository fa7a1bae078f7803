import type { Role } from "./roles.ts";

/**
 * What calling one RPC takes: the least role (tokens and mtls modes) and the
 * Kubernetes verb on a resource of the ottoscaler.io group (kubernetes mode,
 * checked with a SubjectAccessReview). `mutating` calls are audited.
 */
export interface AccessRule {
  role: Role;
  verb: "get" | "list" | "watch" | "create" | "update" | "delete";
  resource: string;
  mutating: boolean;
}

const read = (verb: AccessRule["verb"], resource: string): AccessRule => ({
  role: "viewer",
  verb,
  resource,
  mutating: false,
});
const write = (
  verb: AccessRule["verb"],
  resource: string,
  role: Role = "operator",
): AccessRule => ({
  role,
  verb,
  resource,
  mutating: true,
});

/**
 * Every RPC, by "package.Service/Method", once: the interceptor enforces it,
 * the README shows it. `open` needs no credentials. A method missing here is
 * refused (a test checks that every served method is listed).
 */
export const accessRules: Readonly<Record<string, AccessRule | "open">> = {
  "ottoscaler.v1.OttoscalerService/ScaleUp": write("update", "workergroups"),
  "ottoscaler.v1.OttoscalerService/ScaleDown": write("update", "workergroups"),
  "ottoscaler.v1.OttoscalerService/GetWorkerStatus": read("list", "workergroups"),
  "ottoscaler.v1.OttoscalerService/WatchWorkers": read("watch", "workergroups"),
  "ottoscaler.v1.OttoscalerService/ExecutePipeline": write("create", "pipelineruns"),
  "ottoscaler.v1.OttoscalerService/WatchPipeline": read("watch", "pipelineruns"),
  "ottoscaler.v1.OttoscalerService/CancelPipeline": write("update", "pipelineruns"),
  "ottoscaler.v1.OttoscalerService/ListPipelines": read("list", "pipelineruns"),
  "ottoscaler.v1.LogStreamingService/StreamWorkerLogs": read("get", "buildlogs"),
  "ottoscaler.v1.LogStreamingService/StreamBuildLogs": read("get", "buildlogs"),
  "ottoscaler.v1.LogStreamingService/GetLogForwardingStatus": read("get", "forwarding"),
  "ottoscaler.v1.AuditService/ListAuditEvents": {
    role: "admin",
    verb: "list",
    resource: "auditevents",
    mutating: false,
  },
  // What the server serves is no secret among its callers, but strangers are told nothing.
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": read("get", "reflection"),
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": read("get", "reflection"),
  // Probes and load balancers ask without credentials, like /healthz.
  "grpc.health.v1.Health/Check": "open",
  "grpc.health.v1.Health/Watch": "open",
};

/** Plain HTTP paths behind the same authentication, by "METHOD /path". */
export const pathRules = {
  "GET /metrics": read("get", "metrics"),
} as const satisfies Record<string, AccessRule>;

/** The rule for a method; a method nobody listed is nobody's to call. */
export function accessRuleOf(service: string, method: string): AccessRule | "open" | undefined {
  return accessRules[`${service}/${method}`];
}
