import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type INestApplication, Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { topics } from '@lm/protocol';
import { AppModule } from './app.module';
import { OAUTH2_SCHEME } from './auth/auth.decorators';
import { fastApiValidationPipe } from './common/validation';
import { AckAfterCommitMqttServer } from './broker/ack-after-commit-mqtt.server';
import { SharedIngestMqttServer } from './cluster/shared-ingest.server';
import { BrokerStatus } from './broker/broker-status';
import { startEmbeddedBroker } from './broker/embedded-broker';
import { DevicePayloadDeserializer } from './broker/mqtt-deserializer';
import type { AppConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { RealtimeWsAdapter } from './realtime/realtime-ws.adapter';
import { TelemetryService } from './telemetry/telemetry.service';

/** Longer than nginx's upstream keepalive_timeout (60 s, nginx/templates). */
export const HTTP_KEEP_ALIVE_MS = 75_000;

export interface RunningApi {
  app: INestApplication;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  mqttUrl: string;
  databaseUrl: string;
  /** Stops the api, then the embedded broker and database it started (in that order). */
  close(): Promise<void>;
}

/**
 * Starts the whole api: embedded PostgreSQL and broker when no external ones are configured, then the
 * Nest hybrid app (HTTP + WebSocket on one port, MQTT microservice).
 */
export async function startApi(config: AppConfig, opts: { logger?: LoggerService | LogLevel[] | false } = {}): Promise<RunningApi> {
  const logger = new Logger('Bootstrap');
  const stops: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const db = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.database.embeddedPort);
      stops.unshift(db.stop);
      databaseUrl = db.url;
    }
    let mqttUrl = config.mqtt.url;
    if (!mqttUrl) {
      // The embedded broker gets an api account made up per start (nothing to configure or leak); devices
      // log in with theirs (DESIGN.md 8). An external broker uses MQTT_USERNAME / MQTT_PASSWORD.
      const service = { username: 'line-monitor-api', password: randomBytes(24).toString('base64url') };
      config = { ...config, mqtt: { ...config.mqtt, ...service } };
      const broker = await startEmbeddedBroker(config.mqtt.embeddedPort, { service, devices: config.auth.devices }, { serviceClientIdPrefix: config.mqtt.clientId });
      stops.unshift(broker.stop);
      mqttUrl = broker.url;
    }

    const app = await NestFactory.create(AppModule.forRoot(config, databaseUrl), {
      logger: opts.logger ?? ['log', 'warn', 'error'],
      abortOnError: false,
    });
    // /ws: realtime/realtime.gateway.ts through RealtimeWsAdapter (auth before the upgrade, raw frames).
    // Before app.init(), which connects the gateways.
    app.useWebSocketAdapter(new RealtimeWsAdapter(app));
    app.useGlobalPipes(fastApiValidationPipe());
    // Browsers only from the dashboard's origins (ALLOWED_ORIGINS), as for the WebSocket.
    app.enableCors({ origin: config.auth.allowedOrigins, credentials: false });
    // Client addresses (login rate limit, audit) from X-Forwarded-For only behind our own proxy.
    if (config.auth.trustProxy) (app.getHttpAdapter().getInstance() as { set(k: string, v: unknown): void }).set('trust proxy', 1);

    const brokerStatus = app.get(BrokerStatus);
    // Nest's MQTT transport with acknowledgement after commit (broker/ack-after-commit-mqtt.server.ts).
    const ingestOptions: ConstructorParameters<typeof AckAfterCommitMqttServer>[0] = {
      url: mqttUrl,
      username: config.mqtt.username,
      password: config.mqtt.password,
      clientId: config.mqtt.clientId,
      // A persistent session with QoS 1: the broker keeps what arrives while the api is down.
      clean: false,
      subscribeOptions: { qos: 1 },
      reconnectPeriod: 1000,
      deserializer: new DevicePayloadDeserializer(),
    };
    // Several instances share ingest through the broker (cluster/, docs/adr/0005-scale-out.md).
    const ingestTransport = config.cluster.sharedGroup
      ? new SharedIngestMqttServer(ingestOptions, config.ingest.maxInFlight, config.ingest.maxInFlightBytes, config.cluster.sharedGroup, [topics.allTelemetry])
      : new AckAfterCommitMqttServer(ingestOptions, config.ingest.maxInFlight, config.ingest.maxInFlightBytes);
    app.get(TelemetryService).attachTransportStats(() => ingestTransport.ackStats());
    // Not inheritAppConfig: the global ValidationPipe and the async RolesGuard would run on every MQTT
    // message (the handlers have no DTO, and the guard lets every non-HTTP call through): ~15% of
    // ingest CPU per message (bench/README.md, tuning log).
    const mqtt = app.connectMicroservice<MicroserviceOptions>({ strategy: ingestTransport });
    mqtt.status.subscribe((s) => brokerStatus.set(String(s)));

    const doc = new DocumentBuilder()
      .setTitle('Line Monitor API')
      .setDescription(`Production line telemetry, alarms and the live stream. WebSocket: /ws. MQTT: ${topics.allTelemetry}.`)
      .setVersion('1')
      // Swagger UI's Authorize button logs in through the token endpoint (OAuth2 password flow).
      .addOAuth2({ type: 'oauth2', flows: { password: { tokenUrl: '/api/auth/token', scopes: {} } } }, OAUTH2_SCHEME)
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'openapi.json' });

    // Init first (the line registry loads in onApplicationBootstrap): with a persistent session the broker
    // delivers what it kept the moment the transport connects, and those must not find an empty registry.
    await app.init();
    await app.startAllMicroservices();
    brokerStatus.set('connected');
    const server = app.getHttpServer() as Server;
    // Idle kept-alive connections stay open longer than nginx keeps its upstream ones (60 s): with
    // Node's 5 s, nginx (or any client) reuses a socket the api is closing and gets a 502 / reset.
    server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
    server.headersTimeout = HTTP_KEEP_ALIVE_MS + 1000;
    await app.listen(config.http.port, config.http.host);
    const address = server.address() as AddressInfo;
    const httpUrl = `http://127.0.0.1:${address.port}`;
    logger.log(`HTTP and WebSocket on ${httpUrl} (/ws), MQTT ${mqttUrl}`);

    let closing: Promise<void> | null = null;
    return {
      app,
      httpUrl,
      mqttUrl,
      databaseUrl,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          for (const stop of stops) await stop();
        })()),
    };
  } catch (err) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw err;
  }
}
