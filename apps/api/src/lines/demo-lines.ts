/** The eight demo lines of `npm start`, matching the simulator's line models. */
export const DEMO_LINES = [
  { id: '1', diameterTarget: 20, zoneCount: 4 },
  { id: '2', diameterTarget: 25, zoneCount: 4 },
  { id: '3', diameterTarget: 32, zoneCount: 5 },
  { id: '4', diameterTarget: 40, zoneCount: 5 },
  { id: '5', diameterTarget: 50, zoneCount: 5 },
  { id: '6', diameterTarget: 63, zoneCount: 6 },
  { id: '7', diameterTarget: 75, zoneCount: 6 },
  { id: '8', diameterTarget: 90, zoneCount: 6 },
].map((l) => ({ ...l, name: `Extrusion line ${l.id}` }));
