import { Injectable } from '@nestjs/common';
import { BrandsService } from '../brands/brands.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { StatisticsService } from '../statistics/statistics.service';
import type { OccupationsView, OrganizationRefView, PublicBrandView } from './dto/dashboard.dto';

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

  async brand(id: string): Promise<PublicBrandView> {
    const brand = await this.brands.get(null, id);
    const [statistics, history, operator, certifiedBy] = await Promise.all([
      this.statistics.forBrand(null, id),
      this.brands.wholeHistory(null, id),
      this.organizationRef(brand.operatorId),
      brand.certifiedById ? this.organizationRef(brand.certifiedById) : null,
    ]);
    return { brand, operator, certifiedBy, statistics, history };
  }

  async occupations(): Promise<OccupationsView> {
    return { items: await this.brands.publicOccupations() };
  }

  private async organizationRef(id: string): Promise<OrganizationRefView> {
    const organization = await this.organizations.getOrganization(id);
    return { id: organization.id, name: organization.name };
  }
}
