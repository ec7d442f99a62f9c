import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface PutEventsCall {
  entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[];
}

/**
 * EventBridge's PutEvents over its JSON 1.1 protocol, enough for the real SDK client: it records
 * each call and fails the entries `failEntry` picks, the way EventBridge reports a partial failure
 * (HTTP 200, FailedEntryCount, ErrorCode per entry, in request order).
 */
export async function startPutEventsServer(failEntry: (call: number, index: number) => boolean) {
  const calls: PutEventsCall[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const { Entries } = JSON.parse(body) as { Entries: PutEventsCall["entries"] };
      const call = calls.push({ entries: Entries }) - 1;
      const results = Entries.map((_, index) =>
        failEntry(call, index)
          ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
          : { EventId: `event-${call}-${index}` },
      );
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify({
          FailedEntryCount: results.filter((entry) => "ErrorCode" in entry).length,
          Entries: results,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
