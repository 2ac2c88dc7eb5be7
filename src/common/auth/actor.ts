import type { OrganizationKind } from '../../organizations/organization.entity';

/** Who is calling: the organization behind the API key, with what the policy needs to decide. */
export interface Actor {
  organizationId: string;
  kind: OrganizationKind;
  regionCode: string;
  apiKeyId: string;
}
