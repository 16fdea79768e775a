/**
 * MQTT device simulator: one MQTT client per line, like real line controllers. Publishes telemetry at a
 * fixed rate, keeps a retained status with an `offline` will, buffers readings while the broker is away
 * and sends them as backfill (DESIGN.md section 5) when it is back.
 */
import { performance } from 'node:perf_hooks';
import { connect, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { MAX_BACKFILL_READINGS, topics, type LineState } from '@lm/protocol';
import { LineModel, type SimReading } from './line-model';
import { OptionsError, USAGE, parseOptions, wantsHelp, type SimOptions } from './options';

const PROGRESS_EVERY_MS = 10_000;
const SHUTDOWN_BUDGET_MS = 2_000;
const BACKFILL_SECONDS = 300; // how much history a line keeps while disconnected
const BACKFILL_TOTAL = 200_000; // readings over all lines, so a big load test cannot exhaust memory
const BACKFILL_CHUNK = 500; // readings per backfill message
const VERBOSE_MAX_LINES = 16; // above this, per-line connection logs would flood the console

const log = (msg: string): void => console.log(`${new Date().toISOString()} [simulator] ${msg}`);
const statusPayload = (state: LineState): string => JSON.stringify({ state });

/**
 * Calls `onTick` every `periodMs` on absolute deadlines (start + k * period), so timer lateness never
 * accumulates. Uses the monotonic clock: wall-clock jumps do not stall or burst it. After a long stall
 * it skips the missed ticks instead of firing them all at once.
 */
function startTicker(periodMs: number, phaseMs: number, onTick: () => void): { stop: () => void; skipped: () => number } {
  const t0 = performance.now() + phaseMs;
  let k = 0;
  let skipped = 0;
  let timer: NodeJS.Timeout;
  const loop = (): void => {
    const now = performance.now();
    if (now - (t0 + k * periodMs) > 5 * periodMs) {
      const caughtUp = Math.floor((now - t0) / periodMs);
      skipped += caughtUp - k;
      k = caughtUp;
    }
    onTick();
    k++;
    timer = setTimeout(loop, Math.max(0, t0 + k * periodMs - performance.now()));
  };
  timer = setTimeout(loop, Math.max(0, phaseMs));
  return { stop: () => clearTimeout(timer), skipped: () => skipped };
}

class LineRunner {
  readonly client: MqttClient;
  published = 0; // telemetry messages acknowledged (QoS 1/2) or written (QoS 0)
  garbage = 0;
  errors = 0;
  dropped = 0; // buffered readings lost because the buffer was full
  private backlog: SimReading[] = [];
  private online = false;
  private everOnline = false;
  private closing = false;
  private lastError = '';
  private lastMs = 0;

  constructor(
    readonly model: LineModel,
    private readonly opts: SimOptions,
    private readonly backlogMax: number,
    private readonly verbose: boolean,
  ) {
    const id = model.lineId;
    this.client = connect(opts.mqttUrl, {
      clientId: `sim-line-${id}`,
      username: opts.username,
      password: opts.password,
      clean: true,
      reconnectPeriod: 1000,
      // A broker that is still starting may refuse us for a moment: keep trying.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      will: { topic: topics.status(id), payload: statusPayload('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.onClose());
    this.client.on('error', (err) => this.onError(err));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get buffered(): number {
    return this.backlog.length;
  }

  get error(): string {
    return this.lastError;
  }

  /** One reading: timestamps strictly increase per line, since (line, time) is the storage key. */
  tick(): void {
    if (!this.everOnline) return; // a device that has just booted has nothing to report or forward yet
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    const out = this.model.tick(this.lastMs);
    if (out.kind === 'silent') return;
    if (out.kind === 'garbage') {
      if (this.connected) this.send(topics.telemetry(this.model.lineId), out.raw, { qos: this.opts.qos }, () => this.garbage++);
      return;
    }
    if (!this.connected) {
      // Store and forward, like a device with a local buffer; the oldest readings go first when full.
      if (this.backlog.push(out.payload) > this.backlogMax) {
        this.backlog.shift();
        this.dropped++;
      }
      return;
    }
    this.send(topics.telemetry(this.model.lineId), JSON.stringify(out.payload), { qos: this.opts.qos }, () => this.published++);
  }

  /** Publishes retained `offline` and disconnects cleanly (so the broker discards the will). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.connected) {
      await this.client
        .publishAsync(topics.status(this.model.lineId), statusPayload('offline'), { qos: 1, retain: true })
        .catch(() => undefined);
      await this.client.endAsync();
    } else await this.client.endAsync(true);
  }

  private send(topic: string, payload: string, opts: IClientPublishOptions, onOk: () => void): void {
    this.client.publish(topic, payload, opts, (err) => (err ? this.errors++ : onOk()));
  }

  private onConnect(): void {
    const id = this.model.lineId;
    // Again on every reconnect: while we were away the broker published our `offline` will.
    this.send(topics.status(id), statusPayload(this.model.state), { qos: 1, retain: true }, () => undefined);
    const backlog = this.backlog;
    this.backlog = [];
    for (let i = 0; i < backlog.length; i += BACKFILL_CHUNK) {
      const chunk = backlog.slice(i, i + BACKFILL_CHUNK);
      this.send(topics.telemetry(id), JSON.stringify(chunk), { qos: 1 }, () => undefined);
    }
    if (this.verbose) {
      const extra = backlog.length ? `, sending ${backlog.length} buffered readings as backfill` : '';
      log(`line ${id}: ${this.everOnline ? 'reconnected' : 'connected'} as sim-line-${id}${extra}`);
    }
    this.online = true;
    this.everOnline = true;
    this.lastError = '';
  }

  private onClose(): void {
    if (!this.online) return; // a failed connect attempt: already reported by onError
    this.online = false;
    if (this.verbose && !this.closing) log(`line ${this.model.lineId}: disconnected from the broker, reconnecting every 1 s (buffering readings)`);
  }

  private onError(err: Error): void {
    if (err.message === this.lastError) return;
    this.lastError = err.message;
    if (this.verbose) log(`line ${this.model.lineId}: ${err.message}`);
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return;
  }
  let opts: SimOptions;
  try {
    opts = parseOptions(argv, process.env);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    process.stderr.write(`simulator: ${err.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }

  const n = opts.lineIds.length;
  const verbose = n <= VERBOSE_MAX_LINES;
  const backlogMax = Math.max(1, Math.min(Math.ceil(opts.rateHz * BACKFILL_SECONDS), MAX_BACKFILL_READINGS, Math.floor(BACKFILL_TOTAL / n)));
  const faultText = opts.faults.map((f) => `${f.lineId}:${f.kind}`).join(',') || 'none';
  log(
    `${n} lines at ${opts.rateHz} Hz to ${opts.mqttUrl} as ${opts.username ?? '(anonymous)'}, QoS ${opts.qos}, seed ${opts.seed}, faults ${faultText}` +
      (opts.durationS ? `, for ${opts.durationS} s` : ''),
  );

  const runners = opts.lineIds.map((lineId) => {
    const faults = opts.faults.filter((f) => f.lineId === lineId).map((f) => f.kind);
    return new LineRunner(new LineModel({ lineId, seed: opts.seed, faults }), opts, backlogMax, verbose);
  });
  // Spread the lines over the period: real controllers are not synchronised, and bursts would distort latency.
  const periodMs = 1000 / opts.rateHz;
  const tickers = runners.map((r, i) => startTicker(periodMs, (periodMs * i) / n, () => r.tick()));

  let lastCount = 0;
  let lastAt = performance.now();
  const progress = setInterval(() => {
    const now = performance.now();
    const total = runners.reduce((s, r) => s + r.published, 0);
    const rate = ((total - lastCount) * 1000) / (now - lastAt);
    [lastCount, lastAt] = [total, now];
    const sum = (f: (r: LineRunner) => number): number => runners.reduce((s, r) => s + f(r), 0);
    const parts = [
      `${sum((r) => (r.connected ? 1 : 0))}/${n} connected`,
      `${rate.toFixed(1)} msg/s (${(rate / n).toFixed(2)}/line)`,
      `${total} sent`,
    ];
    const extras: [string, number][] = [
      ['garbage', sum((r) => r.garbage)],
      ['buffered', sum((r) => r.buffered)],
      ['dropped', sum((r) => r.dropped)],
      ['publish errors', sum((r) => r.errors)],
      ['late ticks skipped', tickers.reduce((s, t) => s + t.skipped(), 0)],
    ];
    for (const [label, value] of extras) if (value) parts.push(`${value} ${label}`);
    const lastError = runners.find((r) => !r.connected && r.error)?.error;
    if (lastError) parts.push(`last error: ${lastError}`);
    log(parts.join(' | '));
  }, PROGRESS_EVERY_MS);

  let stopping = false;
  const shutdown = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: publishing offline status and disconnecting`);
    clearInterval(progress);
    for (const t of tickers) t.stop();
    // Whatever happens, exit within the budget: a dead broker must not hold up Ctrl-C.
    setTimeout(() => {
      log('shutdown budget exceeded, exiting');
      process.exit(0);
    }, SHUTDOWN_BUDGET_MS - 200).unref();
    // allSettled never rejects; the budget timer above exits if a close hangs.
    void Promise.allSettled(runners.map((r) => r.close())).then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  if (opts.durationS) setTimeout(() => shutdown(`${opts.durationS} s elapsed`), opts.durationS * 1000);
}

main();
