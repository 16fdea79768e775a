import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { clientAddress } from '../auth/client-address';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ChangeRoleBody, CreateUserBody, ResetPasswordBody, UsernameParams, type UserView } from './dto/user.dto';
import { type Actor, UsersService } from './users.service';

@ApiTags('users')
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'All users (admin)' })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admin)' })
  create(@CurrentPrincipal() p: Principal, @Req() req: Request, @Body() body: CreateUserBody): Promise<UserView> {
    return this.users.create(this.actor(p, req), body);
  }

  @Post(':username/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user: no new logins, existing tokens refused (admin)' })
  disable(@CurrentPrincipal() p: Principal, @Req() req: Request, @Param() params: UsernameParams): Promise<UserView> {
    return this.users.setDisabled(this.actor(p, req), params.username, true);
  }

  @Post(':username/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled user (admin)' })
  enable(@CurrentPrincipal() p: Principal, @Req() req: Request, @Param() params: UsernameParams): Promise<UserView> {
    return this.users.setDisabled(this.actor(p, req), params.username, false);
  }

  @Put(':username/password')
  @ApiOperation({ summary: 'Reset a user password (admin)' })
  resetPassword(@CurrentPrincipal() p: Principal, @Req() req: Request, @Param() params: UsernameParams, @Body() body: ResetPasswordBody): Promise<UserView> {
    return this.users.resetPassword(this.actor(p, req), params.username, body.password);
  }

  @Put(':username/role')
  @ApiOperation({ summary: 'Change a user role (admin)' })
  changeRole(@CurrentPrincipal() p: Principal, @Req() req: Request, @Param() params: UsernameParams, @Body() body: ChangeRoleBody): Promise<UserView> {
    return this.users.changeRole(this.actor(p, req), params.username, body.role);
  }

  private actor(principal: Principal, req: Request): Actor {
    return { principal, address: clientAddress(req, this.config.auth.trustProxy) };
  }
}
