import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CurrentPrincipal, Public, Roles } from './auth.decorators';
import { AuthService, type TokenResponse } from './auth.service';
import { clientAddress } from './client-address';
import { AuthOptionsDto, MeResponseDto, TokenRequestBody, TokenResponseDto } from './dto/token.dto';
import type { Principal } from './principal';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Log in (OAuth2 password flow): a bearer token with expiry' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After' })
  async token(@Body() body: TokenRequestBody, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenResponse> {
    const r = await this.auth.login(body.username, body.password, clientAddress(req, this.config.auth.trustProxy));
    if (r.ok) {
      res.setHeader('Cache-Control', 'no-store');
      return r.token;
    }
    if (r.reason === 'rate_limited') {
      res.setHeader('Retry-After', String(r.retryAfter));
      throw new HttpException({ detail: `Too many login attempts, try again in ${r.retryAfter} s` }, HttpStatus.TOO_MANY_REQUESTS);
    }
    res.setHeader('WWW-Authenticate', 'Bearer');
    throw new UnauthorizedException('Incorrect username or password');
  }

  @Get('options')
  @Public()
  @ApiOperation({ summary: 'What the login page shows: whether anonymous viewing is on, and the demo users (demo mode only)' })
  @ApiOkResponse({ type: AuthOptionsDto })
  options(): AuthOptionsDto {
    return this.auth.options();
  }

  @Get('me')
  @Roles('operator', { anonymousView: true })
  @ApiOperation({ summary: 'Who the token belongs to (anonymous viewers too, when anonymous viewing is on)' })
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentPrincipal() p: Principal): MeResponseDto {
    return { username: p.username, role: p.role, anonymous: p.anonymous, expires_at: p.expiresAt === null ? null : new Date(p.expiresAt).toISOString() };
  }
}
