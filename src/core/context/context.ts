import { DataSource } from "typeorm";
import { Viewer } from "../auth/viewer";
import { createLoaders, Loaders } from "../loaders/loaders";

/** What every resolver gets: the caller, the database and this request's loaders. */
export interface Context {
  viewer: Viewer;
  db: DataSource;
  loaders: Loaders;
}

export function createContext(db: DataSource, viewer: Viewer): Context {
  return { viewer, db, loaders: createLoaders(db, viewer) };
}
