import { markdownTable } from "../config/readme-table.ts";
import { type AccessRule, accessRules, pathRules } from "./access-rules.ts";
import { roleAllows, roles } from "./roles.ts";

/** The README's table of who may call what, made from the access rules. */
export function accessTable(): string {
  const all: Record<string, AccessRule | "open"> = { ...accessRules, ...pathRules };
  const rows = Object.entries(all).map(([path, rule]) => {
    const [service = "", name = ""] = path.split("/");
    const method = path.startsWith("GET ")
      ? `\`${path}\``
      : `\`${service.slice(service.lastIndexOf(".") + 1)}/${name}\``;
    if (rule === "open") return [method, "OK", "OK", "OK", "OK", "none (open)"];
    const answers = roles.map((role) => (roleAllows(role, rule.role) ? "OK" : "PermissionDenied"));
    const kubernetes = `${rule.verb} \`${rule.resource}.ottoscaler.io\``;
    return [method, "Unauthenticated", ...answers, kubernetes];
  });
  return markdownTable([
    ["RPC", "no credentials", "viewer", "operator", "admin", "kubernetes mode"],
    ...rows,
  ]);
}

/** The README heading the table sits under. */
export const accessTableHeading = "### Who may call what";
