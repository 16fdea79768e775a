import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LinesModule } from '../lines/lines.module';
import { RealtimeCommands } from './realtime-commands';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimeService } from './realtime.service';
import { StreamStateRepository } from './stream-state.repository';

@Module({
  // AuthModule provides WS_AUTHENTICATOR (auth/ws-authenticator.ts: token, Origin allow-list).
  imports: [LinesModule, AuthModule],
  providers: [
    RealtimeGateway,
    RealtimeService,
    RealtimeCommands,
    StreamStateRepository,
  ],
  exports: [RealtimeService, RealtimeCommands, AuthModule],
})
export class RealtimeModule {}
