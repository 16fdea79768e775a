import 'reflect-metadata';
import { join } from 'node:path';
import { type INestApplication, Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { WsAdapter } from '@nestjs/platform-ws';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { topics } from '@lm/protocol';
import { AppModule } from './app.module';
import { fastApiValidationPipe } from './common/validation';
import { BrokerStatus } from './broker/broker-status';
import { startEmbeddedBroker } from './broker/embedded-broker';
import { DevicePayloadDeserializer } from './broker/mqtt-deserializer';
import type { AppConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { wsMessageParser } from './realtime/ws-message-parser';

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
      const broker = await startEmbeddedBroker(config.mqtt.embeddedPort);
      stops.unshift(broker.stop);
      mqttUrl = broker.url;
    }

    const app = await NestFactory.create(AppModule.forRoot(config, databaseUrl), {
      logger: opts.logger ?? ['log', 'warn', 'error'],
      abortOnError: false,
    });
    app.useWebSocketAdapter(new WsAdapter(app, { messageParser: wsMessageParser }));
    app.useGlobalPipes(fastApiValidationPipe());
    app.enableCors({ origin: true, credentials: false });

    const brokerStatus = app.get(BrokerStatus);
    const mqtt = app.connectMicroservice<MicroserviceOptions>(
      {
        transport: Transport.MQTT,
        options: {
          url: mqttUrl,
          username: config.mqtt.username,
          password: config.mqtt.password,
          clientId: config.mqtt.clientId,
          // A persistent session with QoS 1: the broker keeps what arrives while the api is down.
          clean: false,
          subscribeOptions: { qos: 1 },
          reconnectPeriod: 1000,
          deserializer: new DevicePayloadDeserializer(),
        },
      },
      { inheritAppConfig: true },
    );
    mqtt.status.subscribe((s) => brokerStatus.set(String(s)));

    const doc = new DocumentBuilder()
      .setTitle('Line Monitor API')
      .setDescription(`Production line telemetry, alarms and the live stream. WebSocket: /ws. MQTT: ${topics.allTelemetry}.`)
      .setVersion('1')
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'openapi.json' });

    await app.startAllMicroservices();
    brokerStatus.set('connected');
    await app.listen(config.http.port, config.http.host);
    const address = app.getHttpServer().address() as { port: number };
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
