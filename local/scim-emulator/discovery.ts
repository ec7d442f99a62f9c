/** Discovery documents shaped like IdC's (isync fixture ServiceProviderConfig.json). */
export const serviceProviderConfig = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
  documentationUri: "https://docs.aws.amazon.com/singlesignon/latest/developerguide/what-is-scim.html",
  authenticationSchemes: [
    {
      type: "oauthbearertoken",
      name: "OAuth Bearer Token",
      description: "Authentication scheme using the OAuth Bearer Token Standard",
      specUri: "https://www.rfc-editor.org/info/rfc6750",
      documentationUri: "https://docs.aws.amazon.com/singlesignon/latest/developerguide/what-is-scim.html",
      primary: true,
    },
  ],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 1, maxPayloadSize: 1048576 },
  filter: { supported: true, maxResults: 50 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
};

const listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

export const resourceTypes = {
  schemas: [listSchema],
  totalResults: 2,
  itemsPerPage: 2,
  startIndex: 1,
  Resources: [
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "User",
      name: "User",
      endpoint: "/Users",
      schema: "urn:ietf:params:scim:schemas:core:2.0:User",
      schemaExtensions: [
        { schema: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", required: false },
      ],
    },
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "Group",
      name: "Group",
      endpoint: "/Groups",
      schema: "urn:ietf:params:scim:schemas:core:2.0:Group",
    },
  ],
};

export const schemas = {
  schemas: [listSchema],
  totalResults: 3,
  itemsPerPage: 3,
  startIndex: 1,
  Resources: [
    { id: "urn:ietf:params:scim:schemas:core:2.0:User", name: "User" },
    { id: "urn:ietf:params:scim:schemas:core:2.0:Group", name: "Group" },
    { id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", name: "EnterpriseUser" },
  ].map((schema) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    ...schema,
    attributes: [],
  })),
};
