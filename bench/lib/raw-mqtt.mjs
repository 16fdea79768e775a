// A minimal MQTT 3.1.1 device (CONNECT, PUBLISH QoS 0/1, PUBACK counting) writing pre-built packets:
// mqtt.js costs ~50 us per publish, which on the shared load core would cap the offered load.
import { connect as netConnect } from 'node:net';

function varint(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s) => {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

export class RawMqtt {
  constructor(url, clientId, { username, password } = {}) {
    this.url = new URL(url);
    this.clientId = clientId;
    this.username = username;
    this.password = password;
    this.nextId = 1;
    this.acked = 0;
    this.sent = 0;
    this.connected = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const sock = netConnect(Number(this.url.port), this.url.hostname);
      this.sock = sock;
      sock.setNoDelay(true);
      let buf = Buffer.alloc(0);
      sock.once('error', reject);
      sock.on('connect', () => {
        let flags = 0x02; // clean session
        const parts = [str('MQTT'), Buffer.from([4]), null, Buffer.from([0, 60]), str(this.clientId)];
        if (this.username) {
          flags |= 0x80;
          parts.push(str(this.username));
        }
        if (this.password) {
          flags |= 0x40;
          parts.push(str(this.password));
        }
        parts[2] = Buffer.from([flags]);
        const body = Buffer.concat(parts);
        sock.write(Buffer.concat([Buffer.from([0x10]), varint(body.length), body]));
      });
      sock.on('data', (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        let i = 0;
        while (i + 2 <= buf.length) {
          const type = buf[i] >> 4;
          const len = buf[i + 1]; // CONNACK and PUBACK have remaining length 2
          if (i + 2 + len > buf.length) break;
          if (type === 2) {
            if (buf[i + 3] !== 0) return reject(new Error(`CONNACK refused: ${buf[i + 3]}`));
            this.connected = true;
            resolve(this);
          } else if (type === 4) this.acked++;
          i += 2 + len;
        }
        buf = buf.subarray(i);
      });
      sock.on('close', () => (this.connected = false));
    });
  }

  /** Queues one PUBLISH (written on the next write of the batch). QoS 1 gets a packet id. */
  publish(topic, payload, qos = 1) {
    const t = str(topic);
    const p = Buffer.from(payload);
    let id = null;
    if (qos === 1) {
      id = Buffer.alloc(2);
      id.writeUInt16BE(this.nextId);
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
    }
    const remaining = t.length + (id ? 2 : 0) + p.length;
    const header = Buffer.concat([Buffer.from([0x30 | (qos << 1)]), varint(remaining)]);
    this.sock.write(id ? Buffer.concat([header, t, id, p]) : Buffer.concat([header, t, p]));
    this.sent++;
  }

  end() {
    return new Promise((resolve) => {
      if (!this.sock || this.sock.destroyed) return resolve();
      this.sock.end(Buffer.from([0xe0, 0x00]), () => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }
}
