/**
 * A journal record's kind, read from its first byte (the tag of the oneof
 * field that is set) without decoding it: a reader looking for one kind skips
 * the others for free. Field numbers as in ottoscaler/store/v1/journal.proto.
 */
export const RecordKind = {
  header: 1,
  log: 2,
  progress: 3,
  worker: 4,
} as const;

export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export function recordKindOf(payload: Uint8Array): number {
  const tag = payload[0] ?? 0;
  return tag >>> 3;
}
