import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The line registry: telemetry for a line that is not here is dead-lettered. */
@Entity({ name: 'lines' })
export class LineEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Target product diameter in mm (for display against tolerance). */
  @Column({ type: 'double precision', name: 'diameter_target', nullable: true })
  diameterTarget: number | null;

  @Column({ type: 'integer', name: 'zone_count', default: 5 })
  zoneCount: number;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;
}
