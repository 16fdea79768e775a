import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  CHANNELS,
  CLIENT_FIELDS,
  CLIENT_TYPES,
  CloseCode,
  ErrorCode,
  LINE_STATES,
  SCALAR_METRICS,
  SERVER_FIELDS,
  SERVER_TYPES,
  STREAM_TYPES,
  topics,
} from '@lm/protocol';

// docs/asyncapi.yaml is written by hand for people; this test keeps it equal to libs/protocol.
type Node = { [key: string]: unknown };
const doc = parse(readFileSync(join(process.cwd(), 'docs/asyncapi.yaml'), 'utf8')) as Node;

function at(path: string): Node {
  let node: unknown = doc;
  for (const part of path.replace(/^#\//, '').split('/')) node = (node as Node | undefined)?.[part];
  if (typeof node !== 'object' || node === null) throw new Error(`${path} does not resolve`);
  return node as Node;
}

const deref = (node: Node): Node => (typeof node.$ref === 'string' ? deref(at(node.$ref)) : node);

function message(name: string): { type: unknown; seq: boolean; fields: string[] } {
  const payload = deref(at(`#/components/messages/${name}/payload`));
  const props = payload.properties as Node;
  const data = deref(props.data as Node);
  return {
    type: (props.type as Node).const,
    seq: 'seq' in props,
    fields: Object.keys((data.properties as Node | undefined) ?? {}).sort(),
  };
}

function allRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => allRefs(n, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

describe('docs/asyncapi.yaml', () => {
  it('is AsyncAPI 3 and every $ref resolves', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    for (const ref of allRefs(doc)) expect(() => at(ref)).not.toThrow();
  });

  it.each(CLIENT_TYPES.map((t) => [t]))('documents the client message %s with exactly its fields', (type) => {
    const m = message(`client_${type}`);
    expect(m.type).toBe(type);
    expect(m.fields).toEqual(Object.keys(CLIENT_FIELDS[type]).sort());
  });

  it.each(SERVER_TYPES.map((t) => [t]))('documents the server message %s with exactly its fields', (type) => {
    const m = message(`server_${type}`);
    expect(m.type).toBe(type);
    expect(m.fields).toEqual(Object.keys(SERVER_FIELDS[type]).sort());
    expect(m.seq).toBe((STREAM_TYPES as readonly string[]).includes(type));
  });

  it('documents nothing the protocol does not have, and lists every message on /ws', () => {
    const names = Object.keys(at('#/components/messages')).filter((n) => /^(client|server)_/.test(n));
    expect(names.sort()).toEqual([...CLIENT_TYPES.map((t) => `client_${t}`), ...SERVER_TYPES.map((t) => `server_${t}`)].sort());
    expect(Object.keys(at('#/channels/ws/messages')).sort()).toEqual(names.sort());
  });

  it('has the error codes, channels and line states of libs/protocol', () => {
    const code = at('#/components/messages/server_error/payload/properties/data/properties/code');
    expect([...(code.enum as string[])].sort()).toEqual(Object.values(ErrorCode).sort());
    expect(at('#/components/schemas/channels/items').enum).toEqual([...CHANNELS]);
    expect(at('#/components/schemas/LineStatus/properties/state').enum).toEqual([...LINE_STATES]);
  });

  it('lists every close code of libs/protocol', () => {
    const text = String((doc.info as Node).description).replace(/\s+/g, ' ');
    const listed = /Close codes: ([^.]*)\./.exec(text)?.[1] ?? '';
    const codes = [...listed.matchAll(/\b(1\d{3}|4\d{3})\b/g)].map((m) => Number(m[1]));
    expect(codes.sort()).toEqual(Object.values(CloseCode).sort());
  });

  it('has the MQTT topics and telemetry fields of libs/protocol', () => {
    expect(at('#/channels/telemetry').address).toBe(topics.telemetry('{line_id}'));
    expect(at('#/channels/status').address).toBe(topics.status('{line_id}'));
    const fields = Object.keys(at('#/components/messages/telemetry/payload/properties'));
    expect(fields).toEqual(expect.arrayContaining(['timestamp', 'body_temperatures', ...SCALAR_METRICS]));
  });
});
