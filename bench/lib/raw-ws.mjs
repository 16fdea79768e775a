// A minimal WebSocket client for the load generator: handshake by hand, then a frame parser that only
// counts frames unless asked for the payload. With `ws` the clients' own parsing (~1-2 us and a Buffer
// per frame) capped what one load core could receive well below what the server can send.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

const ZERO_MASK = Buffer.alloc(4); // a zero masking key is legal and makes masking a copy

function frame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, ZERO_MASK, payload]);
}

export class RawWs {
  /**
   * handlers: onOpen(), onFrame(payload | null) per text frame (payload only while `wantPayload()`),
   * onClose(code, opened).
   */
  constructor(url, handlers) {
    const u = new URL(url);
    this.h = handlers;
    this.open = false;
    this.closed = false;
    this.pending = null;
    const sock = connect(Number(u.port), u.hostname);
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('connect', () => {
      sock.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    sock.on('data', (chunk) => this.onData(chunk));
    sock.on('error', () => undefined);
    sock.on('close', () => this.finish(this.closeCode ?? 1006));
  }

  finish(code) {
    if (this.closed) return;
    this.closed = true;
    this.h.onClose?.(code, this.open);
  }

  onData(chunk) {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let i = 0;
    if (!this.open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      const status = buf.toString('latin1', 0, 12);
      if (!status.startsWith('HTTP/1.1 101')) {
        this.closeCode = -Number(status.slice(9, 12));
        this.sock.destroy();
        return;
      }
      this.open = true;
      this.h.onOpen?.();
      i = end + 4;
    }
    while (i + 2 <= buf.length) {
      const op = buf[i] & 0x0f;
      let len = buf[i + 1] & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (i + 4 > buf.length) break;
        len = buf.readUInt16BE(i + 2);
        hdr = 4;
      } else if (len === 127) {
        if (i + 10 > buf.length) break;
        len = buf.readUInt32BE(i + 6);
        hdr = 10;
      }
      if (i + hdr + len > buf.length) break;
      const start = i + hdr;
      i = start + len;
      if (op === 1 || op === 0) {
        this.h.onFrame(this.h.wantPayload?.() ? buf.subarray(start, start + len) : null);
      } else if (op === 9) {
        this.sock.write(frame(0xa, Buffer.from(buf.subarray(start, start + len))));
      } else if (op === 8) {
        this.closeCode = len >= 2 ? buf.readUInt16BE(start) : 1005;
        this.sock.end(frame(0x8, Buffer.from(buf.subarray(start, start + Math.min(2, len)))));
      }
    }
    if (i < buf.length) this.pending = Buffer.from(buf.subarray(i));
  }

  send(text) {
    if (!this.closed) this.sock.write(frame(0x1, Buffer.from(text)));
  }

  terminate() {
    this.sock.destroy();
  }
}
