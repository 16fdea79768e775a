import { ConflictException, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { AuditEvent, AuditService } from '../audit/audit.service';
import { hashPassword } from '../auth/password';
import type { Principal, Role } from '../auth/principal';
import type { UserView } from './dto/user.dto';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

export const ADMIN_USERNAME = 'admin';

/** Who did an admin action, and from where (for the audit log). */
export interface Actor {
  principal: Principal;
  address: string | null;
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');

  constructor(
    private readonly repo: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.repo.findByUsername(username);
  }

  async list(): Promise<UserView[]> {
    return (await this.repo.findAll()).map(toView);
  }

  async create(actor: Actor, input: { username: string; password: string; role: Role }): Promise<UserView> {
    const inserted = await this.repo.insertIfMissing({ username: input.username, role: input.role, passwordHash: await hashPassword(input.password) });
    await this.record(actor, AuditEvent.USER_CREATED, input.username, inserted, { role: input.role });
    if (!inserted) throw new ConflictException(`User ${input.username} already exists`);
    return this.view(input.username);
  }

  async setDisabled(actor: Actor, username: string, disabled: boolean): Promise<UserView> {
    // An admin locking themselves out leaves nobody to undo it.
    if (disabled && username === actor.principal.username) throw new UnprocessableEntityException('You cannot disable yourself');
    await this.mustUpdate(username, { disabled });
    await this.record(actor, disabled ? AuditEvent.USER_DISABLED : AuditEvent.USER_ENABLED, username, true);
    return this.view(username);
  }

  async resetPassword(actor: Actor, username: string, password: string): Promise<UserView> {
    await this.mustUpdate(username, { passwordHash: await hashPassword(password) });
    await this.record(actor, AuditEvent.PASSWORD_RESET, username, true);
    return this.view(username);
  }

  async changeRole(actor: Actor, username: string, role: Role): Promise<UserView> {
    if (username === actor.principal.username && role !== 'admin') throw new UnprocessableEntityException('You cannot take the admin role from yourself');
    const before = await this.repo.findByUsername(username);
    if (!before) throw new NotFoundException(`User ${username} not found`);
    await this.repo.update(username, { role });
    await this.record(actor, AuditEvent.ROLE_CHANGED, username, true, { from: before.role, to: role });
    return this.view(username);
  }

  /** A new hash with today's scrypt parameters (after a successful login); not an admin action. */
  async rehash(username: string, password: string): Promise<void> {
    await this.repo.update(username, { passwordHash: await hashPassword(password) });
  }

  /** Demo users (laptop only): created once, never overwritten (an admin may have changed them). */
  async seedDemoUsers(users: readonly { username: string; password: string; role: Role }[]): Promise<void> {
    for (const u of users) {
      if (await this.repo.findByUsername(u.username)) continue;
      await this.repo.insertIfMissing({ username: u.username, role: u.role, passwordHash: await hashPassword(u.password) });
    }
  }

  /** ADMIN_PASSWORD: the admin user exists, is enabled, is an admin and has this password. */
  async ensureAdmin(password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    const created = await this.repo.insertIfMissing({ username: ADMIN_USERNAME, role: 'admin', passwordHash });
    if (!created) await this.repo.update(ADMIN_USERNAME, { role: 'admin', passwordHash, disabled: false });
    await this.audit.record({ event: AuditEvent.ADMIN_BOOTSTRAPPED, actor: null, subject: ADMIN_USERNAME, success: true, details: { created } });
    this.logger.log(`admin user ${created ? 'created' : 'updated'} from ADMIN_PASSWORD`);
  }

  private async mustUpdate(username: string, patch: Parameters<UsersRepository['update']>[1]): Promise<void> {
    if (!(await this.repo.update(username, patch))) throw new NotFoundException(`User ${username} not found`);
  }

  private async view(username: string): Promise<UserView> {
    const u = await this.repo.findByUsername(username);
    if (!u) throw new NotFoundException(`User ${username} not found`);
    return toView(u);
  }

  private record(actor: Actor, event: AuditEvent, subject: string, success: boolean, details: Record<string, unknown> = {}): Promise<void> {
    return this.audit.record({ event, actor: actor.principal.username, subject, address: actor.address, success, details });
  }
}

function toView(u: UserEntity): UserView {
  return { username: u.username, role: u.role, disabled: u.disabled, created_at: u.createdAt.toISOString(), updated_at: u.updatedAt.toISOString() };
}
