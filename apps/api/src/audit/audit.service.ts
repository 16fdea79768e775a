import { Injectable, Logger } from '@nestjs/common';
import type { AuditEntity } from './audit.entity';
import { AuditRepository } from './audit.repository';

export const AuditEvent = {
  LOGIN: 'login', // a token was issued
  LOGIN_FAILED: 'login_failed', // wrong password, unknown or disabled user
  LOGIN_RATE_LIMITED: 'login_rate_limited', // refused with 429 before checking the password
  USER_CREATED: 'user_created',
  USER_DISABLED: 'user_disabled',
  USER_ENABLED: 'user_enabled',
  PASSWORD_RESET: 'password_reset',
  ROLE_CHANGED: 'role_changed',
  ADMIN_BOOTSTRAPPED: 'admin_bootstrapped', // the admin user created or updated from ADMIN_PASSWORD
} as const;
export type AuditEvent = (typeof AuditEvent)[keyof typeof AuditEvent];

export interface AuditRecord {
  event: AuditEvent;
  actor?: string | null;
  subject?: string | null;
  address?: string | null;
  success: boolean;
  details?: Record<string, unknown>;
}

export interface AuditView {
  id: number;
  time: string;
  event: string;
  actor: string | null;
  subject: string | null;
  address: string | null;
  success: boolean;
  details: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repo: AuditRepository) {}

  /** Writes the event; a failing audit write is logged, never turned into a failed login or 500. */
  async record(r: AuditRecord): Promise<void> {
    try {
      await this.repo.insert({ event: r.event, actor: r.actor ?? null, subject: r.subject ?? null, address: r.address ?? null, success: r.success, details: r.details ?? {} });
    } catch (err) {
      this.logger.error(`audit write failed (${r.event}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async list(opts: { limit: number; beforeId?: number; event?: string; actor?: string }): Promise<AuditView[]> {
    const rows = await this.repo.list({ ...opts, beforeId: opts.beforeId === undefined ? undefined : String(opts.beforeId) });
    return rows.map(toView);
  }
}

function toView(e: AuditEntity): AuditView {
  return { id: Number(e.id), time: e.time.toISOString(), event: e.event, actor: e.actor, subject: e.subject, address: e.address, success: e.success, details: e.details };
}
