import { DataSource } from "typeorm";
import { AuthCacheSettings } from "../../config";
import { Notifications } from "../db/notifications";

/**
 * The channel on which the database says that what an organization's API keys resolve to has
 * changed: a key revoked, deleted or given another expiry, a user's role, type or default
 * workspace changed or the user deleted, a membership added or removed. Triggers send it
 * (migration 1764547200000), so it covers every writer: this service, the CLI in another
 * process, SQL typed by hand. The payload is the organization's id, or "*" for all of them.
 */
export const AUTH_CHANGED_CHANNEL = "auth_changed";
const EVERY_ORGANIZATION = "*";

/** What an API key resolves to, whatever workspace a request then asks for. */
export interface ResolvedKey {
  keyId: string;
  organizationId: string;
  userId: string;
  isAdmin: boolean;
  /** In ms since the epoch: checked against the clock on every request, cached or not. */
  expiresAt: number;
  revoked: boolean;
  defaultWorkspaceId: string | null;
  /** In order of joining. Frozen: requests share it. */
  workspaceIds: readonly string[];
}

/**
 * API-key hash → what the key resolves to, held in process so that a recently seen key costs no
 * round trip: least recently used out first, each entry for at most `ttlMs`.
 *
 * Trusted only while a notification of a change is certain to arrive (`setTrusted`): otherwise
 * `get` finds nothing and `set` keeps nothing. A notification drops the organization's entries.
 * A lookup that was under way when a notification arrived is not kept (`ticket`): it may have
 * read the row from before the change.
 *
 * Keys that resolve to nothing are kept apart, in a tenth of the room and for the same time, so
 * that a flood of made-up keys cannot push out the keys in use; every notification drops them.
 */
export class AuthCache {
  private readonly known = new Map<string, { key: ResolvedKey; until: number }>();
  private readonly unknown = new Map<string, number>();
  private readonly maxUnknown: number;
  /** Counts the notifications (and trust changes): a ticket from before one is stale. */
  private epoch = 0;
  private trusted = false;

  constructor(private readonly settings: AuthCacheSettings) {
    this.maxUnknown = Math.max(1, Math.ceil(settings.maxKeys / 10));
  }

  /** The key of `hash` as last resolved; null: known not to exist; undefined: not held. */
  get(hash: string, now: number): ResolvedKey | null | undefined {
    if (!this.trusted) return undefined;
    const entry = this.known.get(hash);
    if (entry) {
      this.known.delete(hash);
      if (entry.until <= now) return undefined;
      // Most recently used last: Map keeps insertion order, so the first entry is the one to evict.
      this.known.set(hash, entry);
      return entry.key;
    }
    const until = this.unknown.get(hash);
    if (until === undefined) return undefined;
    if (until > now) return null;
    this.unknown.delete(hash);
    return undefined;
  }

  /** Taken before a lookup and handed to `set`: null when nothing looked up now may be kept. */
  ticket(): number | null {
    return this.trusted ? this.epoch : null;
  }

  /** Keeps what `hash` resolved to (null: no such key), unless something changed since `ticket`. */
  set(hash: string, key: ResolvedKey | null, ticket: number | null, now: number): void {
    if (ticket === null || ticket !== this.epoch || !this.trusted) return;
    const until = now + this.settings.ttlMs;
    if (key) {
      this.known.delete(hash);
      this.known.set(hash, { key: { ...key, workspaceIds: Object.freeze([...key.workspaceIds]) }, until });
      if (this.known.size > this.settings.maxKeys) this.known.delete(this.known.keys().next().value!);
    } else {
      this.unknown.delete(hash);
      this.unknown.set(hash, until);
      if (this.unknown.size > this.maxUnknown) this.unknown.delete(this.unknown.keys().next().value!);
    }
  }

  /** Forgets the keys of an organization ("*": of every organization), and every unknown key. */
  invalidate(organizationId: string): void {
    this.epoch++;
    this.unknown.clear();
    if (organizationId === EVERY_ORGANIZATION) {
      this.known.clear();
      return;
    }
    for (const [hash, entry] of this.known) if (entry.key.organizationId === organizationId) this.known.delete(hash);
  }

  /** Trusted or not, it starts over empty: while it was not, changes may have gone unheard. */
  setTrusted(trusted: boolean): void {
    this.invalidate(EVERY_ORGANIZATION);
    this.trusted = trusted;
  }

  get size(): number {
    return this.known.size + this.unknown.size;
  }
}

const caches = new WeakMap<DataSource, AuthCache>();

/** The cache authenticate() uses with `db`, if the service started one. */
export function authCacheOf(db: DataSource): AuthCache | undefined {
  return caches.get(db);
}

/**
 * Keeps resolved API keys for authenticate() on `db`, trusted while `notifications` listens and
 * emptied of an organization's keys when the database says they changed. No cache when the TTL is 0.
 */
export function startAuthCache(db: DataSource, settings: AuthCacheSettings, notifications: Notifications): { stop(): void } {
  if (settings.ttlMs === 0) return { stop: () => undefined };
  const cache = new AuthCache(settings);
  const unsubscribe = notifications.subscribe(AUTH_CHANGED_CHANNEL, (organizationId) => cache.invalidate(organizationId));
  const unwatch = notifications.onListeningChange((listening) => cache.setTrusted(listening));
  cache.setTrusted(notifications.listening);
  caches.set(db, cache);
  return {
    stop() {
      unsubscribe();
      unwatch();
      cache.setTrusted(false);
      if (caches.get(db) === cache) caches.delete(db);
    },
  };
}

/**
 * Says that this process has just committed a change to what keys of `organizationId` resolve
 * to: its own cache forgets them at once, so its next request sees the change. (The trigger's
 * notification says it to every process, this one included, a moment later.)
 */
export function authChanged(db: DataSource, organizationId: string): void {
  caches.get(db)?.invalidate(organizationId);
}
