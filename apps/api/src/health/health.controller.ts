import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Get, HttpException, HttpStatus, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { BrokerStatus } from '../broker/broker-status';
import { ClusterService } from '../cluster/cluster.service';
import { RealtimeService } from '../realtime/realtime.service';
import { TelemetryService } from '../telemetry/telemetry.service';
import { EventLoopQuery } from './dto/event-loop.query';

// Event-loop delay over the last minute (benchmarks and monitoring read its P99; budget 20 ms).
const RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();
// The histogram records the whole interval between its timer's ticks (an idle loop reads ~10 ms):
// the delay is what exceeds the resolution.
const delayMs = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
setInterval(() => loopDelay.reset(), 60_000).unref();
let measuring = false;

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
    private readonly cluster: ClusterService,
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
      cluster: this.cluster.health(),
      uptime_s: Math.round(process.uptime()),
      event_loop_delay_p99_ms: delayMs(loopDelay.percentile(99)),
      event_loop_delay_max_ms: delayMs(loopDelay.max),
    };
  }

  // A window chosen by the caller, so a benchmark measures its load alone (the minute of /health also
  // holds start-up and the clients' connecting). One at a time: each measurement runs a timer.
  @Get('event-loop')
  @ApiOperation({ summary: 'Event-loop delay percentiles over the next window_ms (429 while another measurement runs)' })
  async eventLoop(@Query() query: EventLoopQuery): Promise<object> {
    if (measuring) throw new HttpException({ detail: 'An event-loop measurement is already running: retry when it is done' }, HttpStatus.TOO_MANY_REQUESTS);
    measuring = true;
    const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    h.enable();
    try {
      await new Promise((resolve) => setTimeout(resolve, query.window_ms));
    } finally {
      h.disable();
      measuring = false;
    }
    return {
      window_ms: query.window_ms,
      samples: h.count,
      event_loop_delay_p50_ms: delayMs(h.percentile(50)),
      event_loop_delay_p99_ms: delayMs(h.percentile(99)),
      event_loop_delay_max_ms: delayMs(h.max),
    };
  }

  @Get('websocket')
  @ApiOperation({ summary: 'WebSocket statistics (FastAPI reference keys)' })
  websocket(): object {
    return this.realtime.health();
  }
}
