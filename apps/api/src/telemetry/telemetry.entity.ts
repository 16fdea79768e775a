import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One reading of one line. Written in batches by TelemetryRepository, never row by row. */
@Entity({ name: 'telemetry' })
export class TelemetryEntity {
  @PrimaryColumn({ type: 'text', name: 'line_id' })
  lineId: string;

  @PrimaryColumn({ type: 'timestamptz' })
  time: Date;

  @Column({ type: 'real', array: true, name: 'body_temperatures', nullable: true })
  bodyTemperatures: number[] | null;

  @Column({ type: 'double precision', nullable: true })
  diameter: number | null;

  @Column({ type: 'real', name: 'line_speed', nullable: true })
  lineSpeed: number | null;

  @Column({ type: 'real', name: 'melt_pressure', nullable: true })
  meltPressure: number | null;

  @Column({ type: 'real', name: 'screw_speed', nullable: true })
  screwSpeed: number | null;

  @Column({ type: 'text', name: 'msg_id', nullable: true })
  msgId: string | null;

  /** Sent late by a device after an outage: stored, but neither alarmed nor broadcast as live. */
  @Column({ type: 'boolean', default: false })
  backfill: boolean;

  @Column({ type: 'timestamptz', name: 'received_at' })
  receivedAt: Date;
}
