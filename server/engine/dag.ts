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
