import type { Actor } from './actor';

/**
 * Turns an API key secret into the actor behind it. The guard and the queue dashboard need it; the organizations
 * module, which owns the keys, provides it under ACTOR_RESOLVER (common/ knows no module).
 */
export interface ActorResolver {
  /** The actor of a valid, unrevoked key; null for any other string. */
  resolve(secret: string): Promise<Actor | null>;
  /** Notes that the key was used (cheap: written at most once a minute per key). */
  touch(apiKeyId: string): void;
}

export const ACTOR_RESOLVER = Symbol('ACTOR_RESOLVER');
