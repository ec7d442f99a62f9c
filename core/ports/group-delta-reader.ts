import type { GroupDelta } from "../adapters/graph/graph-directory";

/** Graph's /groups delta query: one round, pages merged; throws `IDP.DELTA_EXPIRED` on a stale link. */
export interface GroupDeltaReader {
  groupsDelta(deltaLink: string | undefined): Promise<{ groups: Map<string, GroupDelta>; deltaLink: string }>;
}
