import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../../auth/principal';

export const MIN_PASSWORD_LENGTH = 8;

export class CreateUserBody {
  @ApiProperty({ example: 'jdoe' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/, { message: 'username must be 2-64 characters: a-z, 0-9, . _ -' })
  username: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxLength(256)
  password: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

export class UsernameParams {
  @IsString() @MaxLength(64)
  username: string;
}

export class ResetPasswordBody {
  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxLength(256)
  password: string;
}

export class ChangeRoleBody {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

export class SetDisabledBody {
  @ApiProperty()
  @IsBoolean()
  disabled: boolean;
}

export interface UserView {
  username: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}
