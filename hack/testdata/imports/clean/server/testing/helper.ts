// Test helpers are outside the layering.
import { BuildStore } from "../logs/store/build-store.ts";

export const helper = String(new BuildStore().size);
