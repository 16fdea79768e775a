import { describe, expect, it } from '@jest/globals';
import { lineProfile } from '../../../simulator/src/line-model';
import { DEMO_LINES } from './demo-lines';

describe('DEMO_LINES', () => {
  it.each(DEMO_LINES.map((l) => [l.id, l] as const))('line %s matches the simulator\'s model (target diameter, zone count)', (id, line) => {
    const p = lineProfile(id);
    expect(line.diameterTarget).toBe(p.diameter);
    expect(line.zoneCount).toBe(p.zoneSetPoints.length);
  });
});
