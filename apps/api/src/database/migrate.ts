// `npm run migration:run`: applies pending migrations to DATABASE_URL without starting the api
// (the api also runs them at start).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './migrate-locked';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set (the embedded database is migrated by the api when it starts)');
    process.exit(2);
  }
  const ds = new DataSource({ ...dataSourceOptions(url), migrationsRun: false });
  await ds.initialize();
  const applied = await runMigrationsLocked(ds);
  console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Schema is up to date');
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
