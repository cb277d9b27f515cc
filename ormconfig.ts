/**
 * The DataSource the TypeORM CLI uses for migrations against DATABASE_URL, for example
 *   npx typeorm-ts-node-commonjs migration:show -d ormconfig.ts
 * The service itself migrates on start; `npm run migrate` runs migrations alone (also on the
 * embedded database).
 */
import { createDataSource } from "./src/core/db/data-source";

if (!process.env.DATABASE_URL) throw new Error("ormconfig.ts needs DATABASE_URL");

export default createDataSource({ url: process.env.DATABASE_URL, poolMax: 1, verbose: true });
