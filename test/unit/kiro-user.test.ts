import { describe, expect, it } from "vitest";
import { type KiroUserProfile, kiroUserProblems, toScimUserResource } from "../../core/domain/kiro-user";

const jane: KiroUserProfile = {
  externalId: "00ued6gq9jItNhAsN0h7",
  userName: "jane.doe@acme.com",
  displayName: "Jane Doe",
  givenName: "Jane",
  familyName: "Doe",
  email: "jane.doe@acme.com",
  active: true,
};

describe("kiroUserProblems", () => {
  it("finds nothing wrong with a complete profile", () => {
    // Act
    const problems = kiroUserProblems(jane);

    // Assess
    expect(problems).toEqual([]);
  });

  it("names every missing required attribute", () => {
    // Act
    const problems = kiroUserProblems({ ...jane, givenName: "", familyName: "  ", displayName: "" });

    // Assess
    expect(problems).toEqual(["displayName is empty", "givenName is empty", "familyName is empty"]);
  });

  it("enforces Kiro's length limits and reserved names", () => {
    // Act
    const problems = kiroUserProblems({ ...jane, userName: "Administrator", externalId: "x".repeat(257) });
    const tooLong = kiroUserProblems({ ...jane, userName: "u".repeat(129) });

    // Assess
    expect(problems).toEqual([
      "externalId is longer than 256 characters",
      'userName "Administrator" is reserved',
    ]);
    expect(tooLong).toEqual(["userName is longer than 128 characters"]);
  });

  it("refuses an email that is not an address", () => {
    // Act
    const problems = kiroUserProblems({ ...jane, email: "not-an-email" });

    // Assess
    expect(problems).toEqual(['email "not-an-email" is not an email address']);
  });
});

describe("toScimUserResource", () => {
  it("sends one primary email and the IdP id as externalId", () => {
    // Act
    const resource = toScimUserResource(jane);

    // Assess
    expect(resource).toMatchObject({
      externalId: "00ued6gq9jItNhAsN0h7",
      emails: [{ value: "jane.doe@acme.com", type: "work", primary: true }],
      name: { givenName: "Jane", familyName: "Doe" },
    });
  });

  it("leaves out empty optional attributes and adds the enterprise extension only when used", () => {
    // Act
    const plain = toScimUserResource({ ...jane, email: undefined, title: "" });
    const withDepartment = toScimUserResource({ ...jane, department: "R&D" });

    // Assess
    expect(plain).not.toHaveProperty("emails");
    expect(plain).not.toHaveProperty("title");
    expect(plain.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    expect(withDepartment["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]).toEqual({
      department: "R&D",
    });
  });
});
