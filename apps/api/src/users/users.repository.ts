import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { Role } from '../auth/principal';
import { UserEntity } from './user.entity';

@Injectable()
export class UsersRepository {
  private readonly repo: Repository<UserEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.repo = dataSource.getRepository(UserEntity);
  }

  findAll(): Promise<UserEntity[]> {
    return this.repo.find({ order: { username: 'ASC' } });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ username });
  }

  /** Inserts unless the username exists; returns whether it inserted. */
  async insertIfMissing(user: { username: string; role: Role; passwordHash: string }): Promise<boolean> {
    const r = await this.repo.createQueryBuilder().insert().into(UserEntity).values(user).orIgnore().returning(['id']).execute();
    // TypeORM types `raw` as any; with RETURNING it is the inserted rows.
    return (r.raw as unknown[]).length > 0;
  }

  async update(username: string, patch: Partial<Pick<UserEntity, 'role' | 'passwordHash' | 'disabled'>>): Promise<boolean> {
    const r = await this.repo.update({ username }, patch);
    return (r.affected ?? 0) > 0;
  }
}
