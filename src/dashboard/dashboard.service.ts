import { Injectable } from '@nestjs/common';
import { effectiveBrandStatus } from '../brands/brand.rules';
import { BrandsService } from '../brands/brands.service';
import { Policy } from '../policy/policy';
import { OrganizationsService } from '../organizations/organizations.service';
import { StatisticsService } from '../statistics/statistics.service';
import type { OccupationsView, OrganizationRefView, PublicBrandDetailView } from './dto/dashboard.dto';

/**
 * What the public pages read: public brands and their figures as a reader without a key sees them (the policy's
 * `null` reader: no drafts or submitted brands, salary figures of fewer than 5 salaries suppressed).
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly brands: BrandsService,
    private readonly statistics: StatisticsService,
    private readonly organizations: OrganizationsService,
  ) {}

  async brand(id: string): Promise<PublicBrandDetailView> {
    const brand = await this.brands.get(null, id);
    const [statistics, history, operator, certifiedBy] = await Promise.all([
      this.statistics.forBrand(null, id),
      this.brands.wholeHistory(null, id),
      this.organizationRef(brand.operatorId),
      brand.certifiedById ? this.organizationRef(brand.certifiedById) : null,
    ]);
    return { brand, operator, certifiedBy, statistics, history };
  }

  /** Whether a brand exists and is public (the website preloads only a public brand's JSON). */
  async isPublicBrand(id: string): Promise<boolean> {
    const brand = await this.brands.facts(id);
    return brand !== null && Policy.canSeeBrand(null, { ...brand, status: effectiveBrandStatus(brand.status, brand.validUntil) });
  }

  async occupations(): Promise<OccupationsView> {
    return { items: await this.brands.publicOccupations() };
  }

  private async organizationRef(id: string): Promise<OrganizationRefView> {
    const organization = await this.organizations.getOrganization(id);
    return { id: organization.id, name: organization.name };
  }
}
