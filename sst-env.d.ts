/* Hand-written stand-in for the file `sst dev`/`sst deploy` generate from the links in sst.config.ts;
   offline type-checking (npm run typecheck) needs it. Keep it in step with the linked resources. */
import "sst";
declare module "sst" {
  export interface Resource {
    Ledger: { name: string; type: "sst.aws.Dynamo" };
  }
}
export {};
