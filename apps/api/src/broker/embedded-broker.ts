import { createServer, type Server } from 'node:net';
import { Logger } from '@nestjs/common';

const logger = new Logger('EmbeddedBroker');

export interface EmbeddedBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** An in-process aedes MQTT broker for laptops and tests (production uses mosquitto via MQTT_URL). */
export async function startEmbeddedBroker(port: number, host = '0.0.0.0'): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server: Server = createServer((socket) => {
    // Nagle adds tens of ms to small telemetry frames (TOOLCHAIN.md).
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  logger.log(`MQTT broker (aedes) listening on ${host}:${actualPort}`);
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
