// Dynamic: cli ↛ base (ottoctl shares only gen/).
export async function main(): Promise<string> {
  const { version } = await import("../util/version.ts");
  return version;
}
