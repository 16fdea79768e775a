import type { DataSourceOptions } from 'typeorm';
import { LineEntity } from '../lines/line.entity';
import { DeadLetterEntity } from '../telemetry/dead-letter.entity';
import { TelemetryEntity } from '../telemetry/telemetry.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';

export const ENTITIES = [LineEntity, TelemetryEntity, DeadLetterEntity];
/** In order. Never edit a landed migration: add a new one (docs/adr/0002-migrations.md). */
export const MIGRATIONS = [InitialSchema1764000000000];

/** Schema only through migrations, run at start; never `synchronize`. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: { max: 10, application_name: 'line-monitor-api' },
  };
}
