interface Node {
  id: string;
  dependsOn: readonly string[];
}

/**
 * A dependency cycle as the path that closes it (["a", "b", "a"] for a → b → a),
 * or undefined. Dependencies on unknown ids are ignored: they are reported elsewhere.
 */
export function findCycle(nodes: readonly Node[]): string[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "visiting" | "done">();
  for (const root of nodes) {
    if (state.has(root.id)) continue;
    // Iterative depth-first search: a 10,000-stage chain must not overflow the stack.
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    state.set(root.id, "visiting");
    path.push(root.id);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; next: number };
      const deps = byId.get(top.id)?.dependsOn ?? [];
      if (top.next >= deps.length) {
        state.set(top.id, "done");
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[top.next++] as string;
      if (!byId.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === "visiting") return [...path.slice(path.indexOf(dep)), dep];
      if (seen === undefined) {
        state.set(dep, "visiting");
        path.push(dep);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

/** Every node `id` depends on, directly or not (iteratively: chains may be long). */
export function upstreamOf(id: string, byId: ReadonlyMap<string, Node>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(byId.get(id)?.dependsOn ?? [])];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

/** The ids in an order where each comes after everything it depends on (Kahn's algorithm). */
export function topologicalOrder(nodes: readonly Node[]): string[] {
  const waiting = new Map(nodes.map((n) => [n.id, n.dependsOn.length]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const dep of n.dependsOn) dependents.get(dep)?.push(n.id);
  }
  const order = nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.id);
  for (let i = 0; i < order.length; i++) {
    for (const next of dependents.get(order[i] as string) ?? []) {
      const left = (waiting.get(next) ?? 0) - 1;
      waiting.set(next, left);
      if (left === 0) order.push(next);
    }
  }
  return order;
}
