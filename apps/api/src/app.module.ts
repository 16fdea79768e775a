import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AlarmsModule } from './alarms/alarms.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BrokerStatus } from './broker/broker-status';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { runMigrationsLocked } from './database/migrate-locked';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { HistoryModule } from './history/history.module';
import { LinesModule } from './lines/lines.module';
import { RealtimeModule } from './realtime/realtime.module';
import { TelemetryModule } from './telemetry/telemetry.module';
import { UsersModule } from './users/users.module';

/** Configuration and process-wide singletons every feature may inject. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, BrokerStatus],
      exports: [APP_CONFIG, BrokerStatus],
    };
  }
}

@Module({})
export class AppModule {
  /** `databaseUrl`: the resolved one (external, or the embedded cluster started before Nest). */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(databaseUrl), migrationsRun: false, retryAttempts: 5, retryDelay: 1000 }),
          // Migrations at start, one instance at a time.
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            await runMigrationsLocked(ds);
            return ds;
          },
        }),
        LinesModule,
        RealtimeModule,
        AlarmsModule,
        EventsModule,
        TelemetryModule,
        HistoryModule,
        HealthModule,
        AuthModule,
        UsersModule,
        AuditModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
