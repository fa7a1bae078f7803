/**
 * Container image references as Docker and Kubernetes read them
 * (github.com/distribution/reference): [registry[:port]/]path[:tag][@digest].
 */
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const reference = new RegExp(
  `^(?:(${domain})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);
const maxNameLength = 255;

export interface ImageReference {
  /** The repository with its registry, as Docker resolves it: "busybox" is docker.io/library/busybox. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** The parts of a reference, or why it is not one. */
export function parseImageReference(text: string): ImageReference | string {
  const m = reference.exec(text);
  if (m === null) return "is not an image reference ([registry/]name[:tag][@digest])";
  const [, host, path = "", tagPart, digestPart] = m;
  // The first component is a registry only if it looks like a host: a dot, a port, or localhost.
  let registry = host;
  let name = path;
  if (registry !== undefined && !/[.:[]/.test(registry) && registry !== "localhost") {
    name = `${registry}/${path}`;
    registry = undefined;
    if (!new RegExp(`^${pathComponent}(?:/${pathComponent})*$`).test(name)) {
      return "is not an image reference ([registry/]name[:tag][@digest])";
    }
  }
  if (`${registry === undefined ? "" : `${registry}/`}${name}`.length > maxNameLength) {
    return `has a name longer than ${maxNameLength} characters`;
  }
  const repository =
    registry === undefined
      ? `docker.io/${name.includes("/") ? name : `library/${name}`}`
      : `${registry}/${name}`;
  return {
    repository,
    ...(tagPart !== undefined && { tag: tagPart }),
    ...(digestPart !== undefined && { digest: digestPart }),
  };
}

/**
 * Whether the operator's allow-list (OTTOSCALER_ALLOWED_IMAGES) lets a repository run: an
 * entry is a repository ("docker.io/library/busybox") or a prefix ending in "/*"
 * ("registry.example.com/*", "docker.io/library/*"). An empty list allows any.
 */
export function imageAllowed(repository: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((entry) =>
    entry.endsWith("/*") ? repository.startsWith(entry.slice(0, -1)) : repository === entry,
  );
}
