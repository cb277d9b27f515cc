import { DataSource, EntityManager } from "typeorm";
import { Viewer } from "../auth/viewer";
import type { RecordedEvent } from "../events/committed-events";
import type { Atomicity } from "./unit-of-work";
import { createLoaders, Loaders } from "../loaders/loaders";

/**
 * What every resolver and command gets: the caller, the database and this request's loaders.
 * Inside a unit of work (see unit-of-work.ts) `db` is the transaction's and the loaders read
 * through it.
 */
export interface Context {
  viewer: Viewer;
  db: EntityManager;
  loaders: Loaders;
  /** Inside a unit of work: how it is atomic, its writes so far and the events they recorded (see unit-of-work.ts). */
  unitOfWork?: { events: RecordedEvent[]; atomicity: Atomicity; writes: number };
}

export function createContext(db: DataSource | EntityManager, viewer: Viewer): Context {
  const manager = db instanceof DataSource ? db.manager : db;
  return { viewer, db: manager, loaders: createLoaders(manager, viewer) };
}
