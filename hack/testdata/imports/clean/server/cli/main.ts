import { demoVersion } from "../../gen/demo_pb.ts";

export const cliVersion = demoVersion;
