import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { type LineView, LinesService } from './lines.service';

@ApiTags('lines')
@Controller('api/lines')
// Monitoring data: operators and up, and anonymous viewers when anonymous viewing is on (demo mode).
@Roles('operator', { anonymousView: true })
export class LinesController {
  constructor(private readonly lines: LinesService) {}

  @Get()
  @ApiOperation({ summary: 'Registered lines with their state and latest values' })
  list(): LineView[] {
    return this.lines.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One line with its state and latest values' })
  get(@Param('id') id: string): LineView {
    const line = this.lines.get(id);
    if (!line) throw new NotFoundException(`Line ${id} not found`);
    return line;
  }
}
