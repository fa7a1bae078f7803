import assert from "node:assert/strict";
import { it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuditEventSchema } from "../../gen/ottoscaler/v1/audit_pb.js";
import { auditTable } from "./audit-table.ts";

it("shows a refusal before any RPC with what refused it, and no method when none was read", () => {
  const time = timestampFromMs(Date.parse("2026-01-02T03:04:05Z"));
  const [, origin, cleartext] = auditTable([
    create(AuditEventSchema, {
      time,
      method: "ottoscaler.v1.OttoscalerService/ScaleUp",
      code: "permission_denied",
      refusedBy: "origin",
      source: "127.0.0.1:5000",
    }),
    create(AuditEventSchema, {
      time,
      code: "permission_denied",
      refusedBy: "cleartext",
      source: "10.0.0.9:5001",
    }),
  ]).map((line) =>
    line
      .trim()
      .split(/\s{2,}/)
      .slice(1),
  );
  assert.deepEqual(origin, [
    "-",
    "OttoscalerService/ScaleUp",
    "-",
    "permission_denied (origin)",
    "127.0.0.1:5000",
  ]);
  assert.deepEqual(cleartext, ["-", "-", "-", "permission_denied (cleartext)", "10.0.0.9:5001"]);
});
