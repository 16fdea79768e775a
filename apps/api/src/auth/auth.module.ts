import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService, JWT_SECRET } from './auth.service';
import { resolveJwtSecret } from './jwt-secret';
import { WS_AUTHENTICATOR } from './principal';
import { RolesGuard } from './roles.guard';
import { TokenWsAuthenticator } from './ws-authenticator';

@Module({
  imports: [UsersModule, AuditModule],
  controllers: [AuthController],
  providers: [
    { provide: JWT_SECRET, inject: [APP_CONFIG], useFactory: (c: AppConfig) => resolveJwtSecret(c.auth.jwtSecret, c.dataDir) },
    AuthService,
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: WS_AUTHENTICATOR, useClass: TokenWsAuthenticator },
  ],
  exports: [AuthService, WS_AUTHENTICATOR],
})
export class AuthModule {}
