/** The kinds of organization, each a role of its own (API.md, Organizations and keys). */
export const ORGANIZATION_KINDS = ['platform', 'bureau', 'hr_firm', 'employer'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

/** Who is calling: the organization behind the API key, with what the policy needs to decide. */
export interface Actor {
  organizationId: string;
  kind: OrganizationKind;
  regionCode: string;
  apiKeyId: string;
}
