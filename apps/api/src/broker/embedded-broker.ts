import { createServer, type Server } from 'node:net';
import { Logger } from '@nestjs/common';
import type { AuthenticateError } from 'aedes';
import { authenticateMqtt, type BrokerAccess, mayPublish, maySubscribe, mayUseClientId, type MqttIdentity } from '../auth/mqtt-acl';

const logger = new Logger('EmbeddedBroker');

export type { BrokerAccess };

export interface EmbeddedBroker {
  url: string;
  port: number;
  // A function property, not a method: callers pass it around unbound (bootstrap's stop list).
  stop: () => Promise<void>;
}

// MQTT CONNACK return codes (aedes' AuthErrorCode is a const enum: not usable with isolated modules).
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign<Error, Pick<AuthenticateError, 'returnCode'>>(new Error(message), { returnCode });
}

/**
 * An in-process aedes MQTT broker for laptops and tests (production uses mosquitto via MQTT_URL).
 * Every client authenticates: devices with their credentials (publish and subscribe only under their own
 * line), the api with its own account (`access.service`). `serviceClientIdPrefix`: client ids reserved
 * for the api.
 */
export async function startEmbeddedBroker(port: number, access: BrokerAccess, opts: { host?: string; serviceClientIdPrefix?: string } = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '0.0.0.0';
  const reservedPrefix = opts.serviceClientIdPrefix ?? 'line-monitor-api';
  const { Aedes } = await import('aedes');
  const identities = new WeakMap<object, MqttIdentity>();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const id = authenticateMqtt(access, username, password?.toString('utf8'));
      if (!id) {
        logger.warn(`MQTT login refused for "${String(username ?? '')}" (client ${client.id})`);
        return done(authError('Bad username or password', BAD_USERNAME_OR_PASSWORD), false);
      }
      if (!mayUseClientId(id, client.id, reservedPrefix)) return done(authError('Client id reserved', NOT_AUTHORIZED), false);
      identities.set(client, id);
      done(null, true);
    },
    authorizePublish: (client, packet, done) => {
      // client is null for messages the broker itself publishes ($SYS).
      if (!client) return done(null);
      const id = identities.get(client);
      if (id && mayPublish(id, packet.topic)) return done(null);
      done(new Error(`publish to ${packet.topic} not allowed`));
    },
    authorizeSubscribe: (client, sub, done) => {
      const id = identities.get(client);
      // Refusing one filter answers it with 0x80 (failure) and keeps the connection open.
      done(null, id && maySubscribe(id, sub.topic) ? sub : null);
    },
  });
  const server: Server = createServer((socket) => {
    // Nagle adds tens of ms to small telemetry frames (TOOLCHAIN.md).
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`MQTT port ${port} is in use (another broker, e.g. a system mosquitto?). Set MQTT_PORT to another port, or MQTT_URL=mqtt://localhost:${port} to use that broker instead.`)
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  logger.log(`MQTT broker (aedes) listening on ${host}:${actualPort}, ${access.devices.length} device account(s)`);
  return {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop: async () => {
      // Let clients that are already disconnecting (the api's own) finish, so no one sees a reset.
      const deadline = Date.now() + 1000;
      while (broker.connectedClients > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise<void>((resolve) => broker.close(() => server.close(() => resolve())));
    },
  };
}
