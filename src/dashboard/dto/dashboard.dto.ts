import { ApiProperty } from '@nestjs/swagger';
import { BrandDecisionView, BrandView } from '../../brands/dto/brand.dto';
import { BrandStatisticsView } from '../../statistics/dto/statistics.dto';

export class OrganizationRefView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '上海徐汇人力资源有限公司' }) name: string;
}

export class PublicBrandDetailView {
  @ApiProperty({ type: BrandView, description: 'As `GET /v1/brands/{id}` answers it' }) brand: BrandView;
  @ApiProperty({ type: OrganizationRefView, description: 'The HR firm operating the brand' }) operator: OrganizationRefView;
  @ApiProperty({ type: OrganizationRefView, nullable: true, description: 'The bureau that certified it; null if never certified' }) certifiedBy: OrganizationRefView | null;
  @ApiProperty({ type: BrandStatisticsView, description: 'As `GET /v1/brands/{id}/statistics` answers a key with no privilege: salary figures of fewer than 5 salaries suppressed' })
  statistics: BrandStatisticsView;
  @ApiProperty({ type: [BrandDecisionView], description: 'The whole certification history, oldest first, as `GET /v1/brands/{id}/history` lists it' })
  history: BrandDecisionView[];
}

export class OccupationView {
  @ApiProperty({ example: '4-04-05-05' }) occupationCode: string;
  @ApiProperty({ example: '人工智能训练师', description: 'The name most of its brands give it' }) occupationName: string;
  @ApiProperty({ description: 'Public brands of this occupation' }) brandCount: number;
}

export class OccupationsView {
  @ApiProperty({ type: [OccupationView], description: 'Every occupation of a public brand, the commonest first' }) items: OccupationView[];
}
