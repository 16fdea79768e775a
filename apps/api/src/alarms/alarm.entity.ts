import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmLimitKind, AlarmSeverity, AlarmState } from '@lm/protocol';

/** One alarm occurrence, from raise to close (normal or out of service). State changes only through AlarmsRepository. */
@Entity({ name: 'alarms' })
export class AlarmEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text', name: 'line_id' })
  lineId: string;

  @Column({ type: 'text' })
  metric: string;

  @Column({ type: 'text', name: 'limit_kind' })
  limitKind: AlarmLimitKind;

  @Column({ type: 'text' })
  severity: AlarmSeverity;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'text' })
  state: AlarmState;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ type: 'double precision' })
  value: number;

  @Column({ type: 'double precision' })
  limit: number;

  @Column({ type: 'boolean', name: 'comment_required' })
  commentRequired: boolean;

  @Column({ type: 'timestamptz', name: 'raised_at' })
  raisedAt: Date;

  @Column({ type: 'text', name: 'acknowledged_by', nullable: true })
  acknowledgedBy: string | null;

  @Column({ type: 'timestamptz', name: 'acknowledged_at', nullable: true })
  acknowledgedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @Column({ type: 'timestamptz', name: 'shelved_until', nullable: true })
  shelvedUntil: Date | null;

  @Column({ type: 'text', name: 'shelved_by', nullable: true })
  shelvedBy: string | null;

  @Column({ type: 'text', name: 'shelve_reason', nullable: true })
  shelveReason: string | null;

  @Column({ type: 'timestamptz', name: 'cleared_at', nullable: true })
  clearedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'closed_at', nullable: true })
  closedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;
}
