/** What a caller may do, each role everything the one before may and more. */
export const roles = ["viewer", "operator", "admin"] as const;
export type Role = (typeof roles)[number];

export function isRole(name: string): name is Role {
  return (roles as readonly string[]).includes(name);
}

/** Whether a caller of role `has` may do what needs role `needs`. */
export function roleAllows(has: Role, needs: Role): boolean {
  return roles.indexOf(has) >= roles.indexOf(needs);
}
