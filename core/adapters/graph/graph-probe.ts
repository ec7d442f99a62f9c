import { SyncError } from "../../domain/errors";
import type { GraphCredentials } from "../../ports/identity-directory";
import { createGraphClient, graphError } from "./graph-directory";

/**
 * The preflight's one Graph read, `GET /groups?$top=1&$select=id`. Kept apart from GraphDirectory,
 * whose errors fold 401 and 403 into one code: here a 403 (the app lacks Group.Read.All or admin
 * consent) must be told apart from refused credentials, because the fixes differ.
 */
export async function probeGraphGroupRead(credentials: GraphCredentials): Promise<void> {
  try {
    await createGraphClient(credentials).api("/groups").select("id").top(1).get();
  } catch (error) {
    throw probeError(error);
  }
}

function probeError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if ((error as { statusCode?: number }).statusCode !== 403) return graphError(error);
  return new SyncError("IDP.FORBIDDEN", `Graph refused the group read (403): ${(error as Error).message}`, {
    retryable: false,
    cause: error,
  });
}
