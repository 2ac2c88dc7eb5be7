/**
 * The services of the product wired by hand on one DataSource, for benches that run a use case in-process (to
 * time it alone, or to capture the SQL it runs through a logging DataSource). The app wires the same classes
 * through Nest; only what these benches call is built here.
 */
import type { DataSource } from 'typeorm';
import { AuditRepository } from '../../src/audit/audit.repository';
import { AuditLog } from '../../src/audit/audit.service';
import { BrandsRepository } from '../../src/brands/brands.repository';
import { BrandsService } from '../../src/brands/brands.service';
import type { PiiCipher } from '../../src/common/crypto/pii-cipher';
import { IdempotencyRepository } from '../../src/common/idempotency/idempotency.repository';
import { Transactions } from '../../src/database/transactions';
import { OutboxRepository } from '../../src/events/outbox.repository';
import { Outbox } from '../../src/events/outbox.service';
import { OrganizationsRepository } from '../../src/organizations/organizations.repository';
import { OrganizationsService } from '../../src/organizations/organizations.service';
import { ApiKeyResolver } from '../../src/organizations/api-key-resolver';
import { PlacementsRepository } from '../../src/placements/placements.repository';
import { PlacementsService } from '../../src/placements/placements.service';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { StatisticsRepository } from '../../src/statistics/statistics.repository';
import { TraineesRepository } from '../../src/trainees/trainees.repository';
import { TraineesService } from '../../src/trainees/trainees.service';
import { loadConfig } from '../../src/config/config';

export function servicesOn(ds: DataSource, cipher?: PiiCipher) {
  const transactions = new Transactions(ds);
  const audit = new AuditLog(new AuditRepository(ds));
  const outbox = new Outbox(new OutboxRepository(ds));
  const brands = new BrandsService(transactions, new BrandsRepository(ds), audit, outbox);
  const organizationsRepository = new OrganizationsRepository(ds);
  const organizations = new OrganizationsService(transactions, organizationsRepository, audit, outbox, new ApiKeyResolver(organizationsRepository, loadConfig({})));
  const trainees = new TraineesService(transactions, new TraineesRepository(ds), brands, new IdempotencyRepository(ds), audit, outbox, cipher as PiiCipher);
  const placements = new PlacementsService(transactions, new PlacementsRepository(ds), trainees, brands, organizations, audit, outbox);
  const calculator = new StatisticsCalculator(new StatisticsRepository(ds), brands);
  return { brands, trainees, placements, calculator };
}
