import { DataSource, EntityManager } from "typeorm";
import { Viewer } from "../auth/viewer";
import type { RecordedEvent } from "../events/committed-events";
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
  /** Inside a unit of work: the events its writes recorded so far (see unit-of-work.ts). */
  unitOfWork?: { events: RecordedEvent[] };
}

export function createContext(db: DataSource | EntityManager, viewer: Viewer): Context {
  const manager = db instanceof DataSource ? db.manager : db;
  return { viewer, db: manager, loaders: createLoaders(manager, viewer) };
}
