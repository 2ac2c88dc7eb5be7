import { JsonProjection } from '../database/sql';
import type { Trainee } from './trainee.entity';

/** Events and audit entries of one trainee are of this type of aggregate and object. */
export const TRAINEE_AGGREGATE = 'trainee';

/** A registration's event type and audit action, for the service's transaction and the one-statement path alike. */
export const TRAINEE_REGISTERED_EVENT = 'trainee.registered';
export const TRAINEE_REGISTER_ACTION = 'trainee.register';

/** The data of `trainee.registered`: ids and the status, never the person. */
export const TRAINEE_REGISTERED_DATA = new JsonProjection<Trainee>({
  traineeId: { property: 'id', kind: 'value' },
  brandId: { property: 'brandId', kind: 'value' },
  status: { property: 'status', kind: 'value' },
});
