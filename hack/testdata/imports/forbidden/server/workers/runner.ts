// A re-export is an import too: workers ↛ engine.
export { count } from "../engine/run.ts";
