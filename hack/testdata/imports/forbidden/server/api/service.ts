// api ↛ root: the API declares what it needs instead.
import type { App } from "../app.ts";

export function serve(app: App): string {
  return app.name;
}
