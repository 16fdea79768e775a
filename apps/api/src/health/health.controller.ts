import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { BrokerStatus } from '../broker/broker-status';
import { RealtimeService } from '../realtime/realtime.service';
import { TelemetryService } from '../telemetry/telemetry.service';

// Event-loop delay over the last minute (benchmarks and monitoring read its P99; budget 20 ms).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
setInterval(() => loopDelay.reset(), 60_000).unref();

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
      event_loop_delay_p99_ms: Math.round((loopDelay.percentile(99) / 1e6) * 10) / 10,
      event_loop_delay_max_ms: Math.round((loopDelay.max / 1e6) * 10) / 10,
    };
  }

  @Get('websocket')
  @ApiOperation({ summary: 'WebSocket statistics (FastAPI reference keys)' })
  websocket(): object {
    return this.realtime.health();
  }
}
