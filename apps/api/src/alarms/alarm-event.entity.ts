import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmState } from '@lm/protocol';

/** The audit trail: one row per transition or rule change. Append-only (a trigger refuses UPDATE, DELETE, TRUNCATE). */
@Entity({ name: 'alarm_events' })
export class AlarmEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint', name: 'alarm_id', nullable: true })
  alarmId: string | null;

  @Column({ type: 'text', name: 'line_id' })
  lineId: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text', name: 'from_state', nullable: true })
  fromState: AlarmState | null;

  @Column({ type: 'text', name: 'to_state', nullable: true })
  toState: AlarmState | null;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', name: 'actor_role', nullable: true })
  actorRole: string | null;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @Column({ type: 'double precision', nullable: true })
  value: number | null;

  @Column({ type: 'jsonb', nullable: true })
  details: unknown;
}
