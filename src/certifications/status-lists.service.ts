import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Db } from '../database/repository';
import { buildStatusListCredential, CREDENTIAL_KEYRING, CredentialKeyring, signCredential } from './credential';
import { CertificationsRepository } from './certifications.repository';
import { encodeStatusList, permuteStatusListSlot, statusListSlot, type StatusListPosition } from './status-list';

/** `ttl` of a published list, and its `Cache-Control: max-age`: how long a verifier may keep it (30 s). */
export const STATUS_LIST_TTL_MS = 30_000;

/**
 * How long a signed list stays valid (`validUntil` = `validFrom` + 1 day): a verifier handed an older copy, e.g.
 * stapled to a credential by its holder, must fetch a fresh one. The service never serves a copy older than
 * `statusListMaxAgeMs`.
 */
export const STATUS_LIST_VALIDITY_MS = 24 * 3_600_000;

/** A signed status list credential and when it was read from the database. */
export interface PublishedStatusList {
  jws: string;
  builtAt: Date;
}

interface CacheEntry {
  startedAt: number;
  result: Promise<PublishedStatusList | null>;
}

/**
 * The revocation status lists (W3C Bitstring Status List, status-list.ts): hands out each new certificate's
 * position, and publishes each list as a status list credential signed with the credential keys.
 *
 * Publishing reads the revoked indexes of the list and signs them once, then serves that copy for at most
 * `statusListMaxAgeMs` (STATUS_LIST_MAX_AGE_MS, default 20 s, at most 60 s): a revocation made through this process
 * drops the copy at once, one made through another API process shows once the copy here is that old. With the
 * 30 s `Cache-Control` allowed to caches in between, a verifier fetching the list sees a revocation within a minute.
 * Concurrent requests for a list share one build.
 */
@Injectable()
export class StatusListPublisher {
  private readonly cache = new Map<number, CacheEntry>();

  constructor(
    private readonly certifications: CertificationsRepository,
    @Inject(CREDENTIAL_KEYRING) private readonly keyring: CredentialKeyring,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A new certificate's position, in the issuing transaction: the next value of the counter gives the list and
   * slot, the list's permutation key (the list created with a fresh random key if this is its first position)
   * turns the slot into the published index.
   */
  async allocate(m: Db): Promise<StatusListPosition> {
    const { list, slot } = statusListSlot(await this.certifications.nextStatusEntry(m));
    const key = await this.certifications.statusListKey(m, list, randomBytes(32));
    return { list, index: permuteStatusListSlot(slot, key) };
  }

  /** The signed status list credential of list `list`, or null when there is no such list. */
  get(list: number, now: number = Date.now()): Promise<PublishedStatusList | null> {
    const hit = this.cache.get(list);
    if (hit && now - hit.startedAt < this.config.statusListMaxAgeMs) return hit.result;
    const entry: CacheEntry = { startedAt: now, result: this.build(list) };
    this.cache.set(list, entry);
    // Neither a failure nor "no such list" is kept: the next request asks again (a new list appears with its
    // first certificate, and must be served from then on).
    const forget = (): void => {
      if (this.cache.get(list) === entry) this.cache.delete(list);
    };
    entry.result.then((published) => published ?? forget(), forget);
    return entry.result;
  }

  /** After a revocation in list `list` has committed: the next request reads the list again. */
  invalidate(list: number): void {
    this.cache.delete(list);
  }

  private async build(list: number): Promise<PublishedStatusList | null> {
    const builtAt = new Date();
    if (!(await this.certifications.statusListExists(list))) return null;
    const revoked = await this.certifications.revokedStatusIndexes(list);
    const credential = buildStatusListCredential({
      list,
      encodedList: encodeStatusList(revoked),
      builtAt,
      ttlMs: STATUS_LIST_TTL_MS,
      validForMs: STATUS_LIST_VALIDITY_MS,
      baseUrl: this.config.publicBaseUrl,
    });
    return { jws: await signCredential(credential, this.keyring, { now: builtAt }), builtAt };
  }
}
