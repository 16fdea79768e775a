import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One security event: append-only. */
@Entity({ name: 'audit_log' })
export class AuditEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  time: Date;

  @Column({ type: 'text' })
  event: string;

  /** Who did it (username), null when unknown. */
  @Column({ type: 'text', nullable: true })
  actor: string | null;

  /** Whom or what it was done to (a username, a line id). */
  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ type: 'boolean' })
  success: boolean;

  @Column({ type: 'jsonb', default: {} })
  details: Record<string, unknown>;
}
