import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  AuditEventSchema,
  type AuditService,
  ListAuditEventsResponseSchema,
} from "../../gen/ottoscaler/v1/audit_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import type { ApiDeps } from "./api-deps.ts";

const defaultLimit = 1000;
const maxLimit = 10_000;

/** The audit trail, for admins (see the access rules). */
export function createAuditService(app: ApiDeps): ServiceImpl<typeof AuditService> {
  return {
    async listAuditEvents(req) {
      if (req.limit > maxLimit) {
        throw new OttoscalerError("invalid", `limit: ${req.limit} is more than ${maxLimit}`);
      }
      const records = await app.audit.list({
        ...(req.since !== undefined && { sinceMs: timestampMs(req.since) }),
        user: req.user,
        limit: req.limit === 0 ? defaultLimit : req.limit,
      });
      return create(ListAuditEventsResponseSchema, {
        events: records.map(({ time, groups, traceId: _traceId, ...rest }) =>
          create(AuditEventSchema, {
            ...rest,
            groups: [...groups],
            time: timestampFromMs(Date.parse(time)),
          }),
        ),
      });
    },
  };
}
