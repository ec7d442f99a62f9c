import { admin, entraLifecycle, entraNotify, oktaEvents, status } from "./functions";

/** The public HTTP surface: the Okta hook and the protected status route. */
export const api = new sst.aws.ApiGatewayV2("Api");
api.route("POST /entra/notifications", entraNotify.arn);
api.route("POST /entra/lifecycle", entraLifecycle.arn);
api.route("GET /okta/events", oktaEvents.arn);
api.route("POST /okta/events", oktaEvents.arn);
api.route("GET /status", status.arn);
api.route("POST /admin/reconcile", admin.arn);
api.route("POST /admin/reprovision", admin.arn);
api.route("POST /admin/approve/{runId}", admin.arn);
