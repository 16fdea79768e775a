/**
 * What the alarms need from the other instances (cluster/cluster.service.ts): which instance evaluates
 * the alarms of a line (alone, every line is ours), and word that the rules changed elsewhere.
 */
export interface LineOwnership {
  owns(lineId: string): boolean;
  /** Lines that have just become ours (their alarm state is reloaded from the database). */
  onOwnershipGained(listener: (lineIds: string[]) => void): void;
  /** Tells the other instances that the alarm rules changed (they reload them at once). */
  announceRulesChanged(): void;
  onRulesChangedElsewhere(listener: () => void): void;
}

export const LINE_OWNERSHIP = Symbol('LINE_OWNERSHIP');

/** A single instance: it owns every line, always. */
export const soleInstance: LineOwnership = {
  owns: () => true,
  onOwnershipGained: () => undefined,
  announceRulesChanged: () => undefined,
  onRulesChangedElsewhere: () => undefined,
};
