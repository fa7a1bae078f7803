import { helper } from "../testing/helper.ts";
import { twice } from "../util/twice.ts";

export const handler = twice(helper);
