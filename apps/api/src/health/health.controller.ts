import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { BrokerStatus } from '../broker/broker-status';
import { RealtimeService } from '../realtime/realtime.service';
import { TelemetryService } from '../telemetry/telemetry.service';

@ApiTags('health')
@Controller('health')
// Load balancers and monitoring probe these without credentials.
@Public()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly broker: BrokerStatus,
    private readonly realtime: RealtimeService,
    private readonly telemetry: TelemetryService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness, and readiness of database and broker (503 when not ready)' })
  async health(@Res({ passthrough: true }) res: Response): Promise<object> {
    let database: boolean;
    try {
      await this.db.query('SELECT 1');
      database = true;
    } catch {
      database = false;
    }
    const ready = database && this.broker.connected;
    if (!ready) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: ready ? 'ok' : 'degraded',
      live: true,
      ready,
      database: { ready: database },
      broker: { ready: this.broker.connected, state: this.broker.state, since: this.broker.since.toISOString() },
      ingest: this.telemetry.ingestStats(),
      uptime_s: Math.round(process.uptime()),
    };
  }

  @Get('websocket')
  @ApiOperation({ summary: 'WebSocket statistics (FastAPI reference keys)' })
  websocket(): object {
    return this.realtime.health();
  }
}
