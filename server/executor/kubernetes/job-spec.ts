import type { V1Job, V1OwnerReference } from "@kubernetes/client-node";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import { annotations, labels, managedBy } from "../../k8s/labels.ts";
import type { WorkerResources, WorkerSpec } from "../executor.ts";
import { workerIdentityEnv } from "../worker-identity.ts";

export interface JobSpecOptions {
  namespace: string;
  controllerInstance: string;
  defaults: WorkerResources;
  imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  runAsUser: number;
  terminationGraceSeconds: number;
  /** The workers' own ServiceAccount (no permissions, no token mounted); empty: the namespace's default. */
  serviceAccount?: string;
  /** The resource the Job belongs to (its PipelineRun): the Job goes when it does. */
  owner?: V1OwnerReference;
}

export const workerContainer = "worker";
const workspacePath = "/workspace";

/** The environment every worker gets, as the local executor gives it. */
export function workerEnv(spec: WorkerSpec): Record<string, string> {
  return { ...spec.env, ...workerIdentityEnv(spec, workspacePath) };
}

function pick(value: string, fallback: string): string {
  return value === "" ? fallback : value;
}

/**
 * A label value for a stage id: a matrix instance's (`test[node=20.1,os=alpine]`)
 * has characters a label may not, so it reads `test-node-20.1-os-alpine`, cut
 * to 63. Labels are for people and selectors, not identity: the Job's name
 * and its worker-id annotation say exactly which worker it is.
 */
export function labelValueOf(stageId: string): string {
  return stageId
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/**
 * One worker as one Job of one pod with one container. Kubernetes never
 * retries it (the engine does), and the pod gets no privileges: the API has
 * no way to ask for them.
 */
export function createJobSpec(spec: WorkerSpec, options: JobSpecOptions): V1Job {
  const name = kubernetesNameOf(spec.workerId);
  const objectLabels: Record<string, string> = {
    [labels.managedBy]: managedBy,
    [labels.worker]: name,
    ...(spec.pipelineId !== undefined && { [labels.pipeline]: spec.pipelineId }),
    ...(spec.stageId !== undefined && { [labels.stage]: labelValueOf(spec.stageId) }),
    ...(spec.attempt !== undefined && { [labels.attempt]: String(spec.attempt) }),
    ...(spec.taskId !== undefined && { [labels.task]: spec.taskId }),
  };
  const objectAnnotations = {
    [annotations.workerId]: spec.workerId,
    [annotations.workerIndex]: String(spec.index),
    [annotations.workerCount]: String(spec.count),
    [annotations.controller]: options.controllerInstance,
  };
  const command =
    spec.command.length === 1 ? ["sh", "-c", spec.command[0] ?? ""] : [...spec.command];
  const { defaults } = options;
  const r = spec.resources;
  const timeoutSeconds =
    spec.timeoutMs === undefined ? undefined : Math.ceil(spec.timeoutMs / 1000);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: options.namespace,
      labels: objectLabels,
      annotations: objectAnnotations,
      ...(options.owner !== undefined && { ownerReferences: [options.owner] }),
    },
    spec: {
      backoffLimit: 0,
      // No ttlSecondsAfterFinished: an ended Job stays until its result and log are recorded
      // (a long outage must not let the TTL controller delete what a restarted controller reads).
      // A backstop only: the engine enforces the timeout first, and deletes the Job itself.
      ...(timeoutSeconds !== undefined && { activeDeadlineSeconds: timeoutSeconds + 30 }),
      template: {
        metadata: { labels: objectLabels, annotations: objectAnnotations },
        spec: {
          restartPolicy: "Never",
          ...(options.serviceAccount && { serviceAccountName: options.serviceAccount }),
          // Workers talk to no API server: no token in the pod, whichever account it runs as.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          hostNetwork: false,
          hostPID: false,
          hostIPC: false,
          terminationGracePeriodSeconds: options.terminationGraceSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: options.runAsUser,
            runAsGroup: options.runAsUser,
            fsGroup: options.runAsUser,
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumes: [{ name: "workspace", emptyDir: {} }],
          containers: [
            {
              name: workerContainer,
              image: spec.image,
              imagePullPolicy: options.imagePullPolicy,
              command,
              workingDir: workspacePath,
              env: [
                ...Object.entries(workerEnv(spec)).map(([name, value]) => ({ name, value })),
                // By reference: the kubelet reads the Secret, the controller never does.
                ...(spec.secretEnv ?? []).map((ref) => ({
                  name: ref.name,
                  valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
                })),
              ],
              volumeMounts: [{ name: "workspace", mountPath: workspacePath }],
              resources: {
                requests: {
                  cpu: pick(r.cpuRequest, defaults.cpuRequest),
                  memory: pick(r.memoryRequest, defaults.memoryRequest),
                },
                limits: {
                  cpu: pick(r.cpuLimit, defaults.cpuLimit),
                  memory: pick(r.memoryLimit, defaults.memoryLimit),
                },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * Why a Job found under a worker's name cannot be taken as that worker's, or
 * undefined when it can: it must be ours, for that worker, and not being deleted.
 */
export function adoptionRefusal(job: V1Job, workerId: string): string | undefined {
  const name = kubernetesNameOf(workerId);
  const meta = job.metadata;
  if (meta?.labels?.[labels.managedBy] !== managedBy || meta.labels[labels.worker] !== name) {
    return `job ${name} exists and is not an Ottoscaler worker's`;
  }
  const owner = meta.annotations?.[annotations.workerId];
  if (owner !== workerId) {
    return `job ${name} exists for another worker (${owner ?? "unknown"})`;
  }
  if (meta.deletionTimestamp !== undefined) return `job ${name} is being deleted`;
  return undefined;
}
