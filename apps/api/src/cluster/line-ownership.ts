/** Which instance evaluates the alarms of a line (cluster/cluster.service.ts); alone, every line is ours. */
export interface LineOwnership {
  owns(lineId: string): boolean;
  /** Lines that have just become ours (their alarm state is reloaded from the database). */
  onOwnershipGained(listener: (lineIds: string[]) => void): void;
}

export const LINE_OWNERSHIP = Symbol('LINE_OWNERSHIP');

/** A single instance: it owns every line, always. */
export const soleInstance: LineOwnership = {
  owns: () => true,
  onOwnershipGained: () => undefined,
};
