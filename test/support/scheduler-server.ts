import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CreateScheduleCall {
  name: string;
  body: {
    GroupName: string;
    ScheduleExpression: string;
    ScheduleExpressionTimezone?: string;
    FlexibleTimeWindow: { Mode: string };
    ActionAfterCompletion?: string;
    Target: {
      Arn: string;
      RoleArn: string;
      Input: string;
      EventBridgeParameters: { DetailType: string; Source: string };
    };
  };
}

/**
 * EventBridge Scheduler's CreateSchedule over its REST-JSON protocol, enough for the real SDK
 * client: `POST /schedules/{Name}`, a 409 ConflictException when the name already exists in the
 * group, as the real service answers.
 */
export async function startSchedulerServer() {
  const calls: CreateScheduleCall[] = [];
  const names = new Set<string>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const name = decodeURIComponent(
        new URL(req.url ?? "/", "http://local").pathname.split("/").pop() ?? "",
      );
      const parsed = JSON.parse(body) as CreateScheduleCall["body"];
      calls.push({ name, body: parsed });
      const key = `${parsed.GroupName}/${name}`;
      if (names.has(key)) {
        res.writeHead(409, { "content-type": "application/json", "x-amzn-errortype": "ConflictException" });
        res.end(JSON.stringify({ Message: `Schedule ${name} already exists.` }));
        return;
      }
      names.add(key);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${key}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
