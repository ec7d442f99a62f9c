import { type HttpFunction, type HttpRoute, httpRoutes } from "../functions/shared/http-routes";
import { admin, entraLifecycle, entraNotify, oktaEvents, status } from "./functions";

/** The public HTTP surface: every route of the shared route table whose function this stage deploys. */
export const api = new sst.aws.ApiGatewayV2("Api");

const functions: Record<HttpFunction, sst.aws.Function | undefined> = {
  "okta-events": oktaEvents,
  "entra-notify": entraNotify,
  "entra-lifecycle": entraLifecycle,
  status,
  admin,
};

for (const [route, name] of Object.entries(httpRoutes) as [HttpRoute, HttpFunction][]) {
  const fn = functions[name];
  if (fn) api.route(route, fn.arn);
}
