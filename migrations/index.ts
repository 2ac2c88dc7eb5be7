import { Foundation1764300000000 } from './1764300000000-Foundation';
import { Brands1764300100000 } from './1764300100000-Brands';
import { Trainees1764300200000 } from './1764300200000-Trainees';
import { Placements1764300300000 } from './1764300300000-Placements';
import { Certifications1764300400000 } from './1764300400000-Certifications';
import { Statistics1764300500000 } from './1764300500000-Statistics';
import { IdempotencyPrivacy1764300600000 } from './1764300600000-IdempotencyPrivacy';
import { StatisticsTallies1764300700000 } from './1764300700000-StatisticsTallies';
import { EndsByMonth1764300800000 } from './1764300800000-EndsByMonth';
import { CredentialStatusLists1764300810000 } from './1764300810000-CredentialStatusLists';
import { RegionDisclosure1764300820000 } from './1764300820000-RegionDisclosure';
import { Webhooks1764300840000 } from './1764300840000-Webhooks';
import { TraineeImports1764300850000 } from './1764300850000-TraineeImports';
import { MonthPartitions1764300860000 } from './1764300860000-MonthPartitions';
import { HotTraineeUpdates1764300870000 } from './1764300870000-HotTraineeUpdates';
import { TallyDeletes1764300880000 } from './1764300880000-TallyDeletes';
import { RegionTallies1764300890000 } from './1764300890000-RegionTallies';

/** Every migration in order. Listed explicitly so the app, the CLI and ts-jest load the same set without globbing. */
export const MIGRATIONS: Function[] = [Foundation1764300000000, Brands1764300100000, Trainees1764300200000, Placements1764300300000, Certifications1764300400000, Statistics1764300500000, IdempotencyPrivacy1764300600000, StatisticsTallies1764300700000, EndsByMonth1764300800000, CredentialStatusLists1764300810000, RegionDisclosure1764300820000, Webhooks1764300840000, TraineeImports1764300850000, MonthPartitions1764300860000, HotTraineeUpdates1764300870000, TallyDeletes1764300880000, RegionTallies1764300890000];
