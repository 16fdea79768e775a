import type { DataSourceOptions } from 'typeorm';
import { LineEntity } from '../lines/line.entity';
import { DeadLetterEntity } from '../telemetry/dead-letter.entity';
import { TelemetryEntity } from '../telemetry/telemetry.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { UsersAndAudit1764100000000 } from './migrations/1764100000000-users-and-audit';
import { TelemetryPartitions1764200000000 } from './migrations/1764200000000-telemetry-partitions';
import { UserEntity } from '../users/user.entity';
import { AuditEntity } from '../audit/audit.entity';
import { AlarmRuleEntity } from '../alarms/alarm-rule.entity';
import { AlarmEntity } from '../alarms/alarm.entity';
import { AlarmEventEntity } from '../alarms/alarm-event.entity';
import { Alarms1764300000000 } from './migrations/1764300000000-alarms';
import { TelemetryRollup1764400000000 } from './migrations/1764400000000-telemetry-rollup';
import { StreamState1764500000000 } from './migrations/1764500000000-stream-state';

export const ENTITIES = [LineEntity, TelemetryEntity, DeadLetterEntity, UserEntity, AuditEntity, AlarmRuleEntity, AlarmEntity, AlarmEventEntity];
/** In order. Never edit a landed migration: add a new one (docs/adr/0002-migrations.md). */
export const MIGRATIONS = [InitialSchema1764000000000, UsersAndAudit1764100000000, TelemetryPartitions1764200000000, Alarms1764300000000, TelemetryRollup1764400000000, StreamState1764500000000];

/** Schema only through migrations, run at start; never `synchronize`. (The api runs them itself, under a lock: database/migrate-locked.ts.) */
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
